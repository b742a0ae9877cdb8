/**
 * Keeps released buffers of one size for reuse. Chunk frames and blocks are allocated at
 * hundreds of MB/s; left to the garbage collector, that memory outgrows every other use before
 * it is reclaimed. Reuse keeps a backup's memory flat whatever the size of the tree.
 */
export class BufferRecycler {
  readonly size: number;
  readonly #free: ArrayBuffer[] = [];
  readonly #limit: number;

  constructor(size: number, limit = 64) {
    this.size = size;
    this.#limit = limit;
  }

  /** A buffer of `size` bytes (uninitialised), reused when one was released. */
  take(): Buffer {
    const spare = this.#free.pop();
    return spare !== undefined ? Buffer.from(spare) : Buffer.allocUnsafeSlow(this.size);
  }

  #sendTo: ((memory: ArrayBuffer) => void) | null = null;

  /** From now on, released memory goes to `receiver` (a thread that allocates it) instead. */
  sendTo(receiver: (memory: ArrayBuffer) => void): void {
    this.#sendTo = receiver;
  }

  /** Gives back memory that nothing refers to any more (other sizes are left to the collector). */
  give(memory: ArrayBufferLike): void {
    if (this.#sendTo !== null && memory instanceof ArrayBuffer && memory.byteLength === this.size) {
      this.#sendTo(memory);
      return;
    }
    if (memory.byteLength === this.size && memory instanceof ArrayBuffer && this.#free.length < this.#limit) this.#free.push(memory);
  }
}
