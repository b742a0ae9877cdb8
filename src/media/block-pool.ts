/**
 * Block buffers for reuse. A media agent seals blocks at more than a GB/s; left to the garbage
 * collector, that memory grows far beyond what is in flight before it is reclaimed.
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
    return this.#free.pop() ?? Buffer.allocUnsafeSlow(this.blockSize);
  }

  /** Gives back a buffer that nothing refers to any more. */
  give(block: Uint8Array): void {
    if (block.length === this.blockSize && block.byteOffset === 0 && this.#free.length < this.#limit) this.#free.push(block);
  }
}
