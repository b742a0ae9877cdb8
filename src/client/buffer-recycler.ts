import { BlockMemory } from "./aligned-memory.js";

/**
 * Keeps released buffers of one size for reuse. Chunk frames and blocks are allocated at
 * hundreds of MB/s; left to the garbage collector, that memory outgrows every other use before
 * it is reclaimed. Reuse keeps a backup's memory flat whatever the size of the tree.
 */
export class BufferRecycler {
  readonly size: number;
  /** Where each buffer lies in its memory: at an aligned address when made for O_DIRECT writes. */
  readonly memory: BlockMemory;
  readonly #free: ArrayBuffer[] = [];
  readonly #limit: number;

  /**
   * `aligned`: buffers at aligned addresses, for a file written with O_DIRECT; `headroom`: free
   * bytes in front of each buffer for a carrier's header (headroom.ts), when not aligned.
   */
  constructor(size: number, options: { limit?: number; aligned?: boolean; headroom?: number } = {}) {
    this.size = size;
    this.memory = new BlockMemory(size, options.aligned === true, options.headroom ?? 0);
    this.#limit = options.limit ?? 64;
  }

  /** A buffer of `size` bytes (uninitialised), reused when one was released. */
  take(): Buffer {
    const spare = this.#free.pop();
    return spare !== undefined ? this.memory.view(spare) : this.memory.allocate();
  }

  #sendTo: ((memory: ArrayBuffer) => void) | null = null;

  /** From now on, released memory goes to `receiver` (a thread that allocates it) instead. */
  sendTo(receiver: (memory: ArrayBuffer) => void): void {
    this.#sendTo = receiver;
  }

  /** Gives back memory that nothing refers to any more (other sizes are left to the collector). */
  give(memory: ArrayBufferLike): void {
    if (!this.memory.fits(memory)) return;
    if (this.#sendTo !== null) this.#sendTo(memory);
    else if (this.#free.length < this.#limit) this.#free.push(memory);
  }
}
