import { alignedBlocks } from "./direct-io.js";

/** Blocks cut from one allocation when the pool is empty (1 MiB of 256 KiB blocks, at least 4). */
const SLAB_BYTES = 1024 * 1024;

/**
 * Block buffers for reuse. A media agent seals blocks at more than a GB/s; left to the garbage
 * collector, that memory grows far beyond what is in flight before it is reclaimed. Blocks lie at
 * aligned addresses, so that volumes can be written with O_DIRECT (direct-io.ts).
 */
export class BlockPool {
  readonly blockSize: number;
  readonly #free: Uint8Array[] = [];
  readonly #limit: number;

  /** Keeps at most `limit` free buffers of `blockSize` bytes. */
  constructor(blockSize: number, limit: number) {
    this.blockSize = blockSize;
    this.#limit = limit;
  }

  /** A block buffer (uninitialised), reused when one was given back. */
  take(): Uint8Array {
    const free = this.#free.pop();
    if (free !== undefined) return free;
    const fresh = alignedBlocks(Math.max(4, Math.floor(SLAB_BYTES / this.blockSize)), this.blockSize);
    const block = fresh.pop()!;
    for (const spare of fresh) this.give(spare);
    return block;
  }

  /** Gives back a buffer that nothing refers to any more. */
  give(block: Uint8Array): void {
    if (block.length === this.blockSize && this.#free.length < this.#limit) this.#free.push(block);
  }
}
