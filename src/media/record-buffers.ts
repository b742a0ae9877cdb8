import { HEADROOM_BYTES, reserveHeadroom } from "../format/index.js";

/** The largest record (format.md §4.1: header and a stored body of 16 MiB + 64 KiB). */
const LARGEST_RECORD = 24 + 16 * 1024 * 1024 + 65536;

/**
 * Memory for records assembled from several blocks, reused once a record has been handed out:
 * a restore assembles about one record per MiB read. Each record lies behind free bytes
 * (format/headroom.ts) where a carrier puts its header, to send both as one piece.
 */
export class RecordBuffers {
  readonly #free: ArrayBuffer[] = [];
  readonly #owned = new WeakSet<ArrayBufferLike>();

  /** Memory for a record of `size` bytes (at least; uninitialised). */
  take(size: number): Uint8Array {
    const index = this.#free.findIndex((buffer) => buffer.byteLength >= HEADROOM_BYTES + size);
    let memory: ArrayBuffer;
    if (index >= 0) {
      memory = this.#free.splice(index, 1)[0]!;
    } else {
      // Room to grow: the next record is usually about as large.
      memory = Buffer.allocUnsafeSlow(HEADROOM_BYTES + Math.min(LARGEST_RECORD, Math.max(size, 64 * 1024))).buffer;
      this.#owned.add(memory);
    }
    const record = new Uint8Array(memory, HEADROOM_BYTES, size);
    reserveHeadroom(record);
    return record;
  }

  /** Gives back a record's memory if it came from take() (block views are left alone). */
  give(record: Uint8Array): void {
    if (this.#owned.has(record.buffer) && this.#free.length < 4 && !this.#free.includes(record.buffer as ArrayBuffer)) this.#free.push(record.buffer as ArrayBuffer);
  }
}
