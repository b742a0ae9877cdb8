import type { Sha256 } from "./codecs.js";
import { RecordType } from "./record.js";

/**
 * Follows the records of a stream in sequence order: where each starts (its stream offset) and
 * the running digest over their checksums (format.md §4.3).
 */
export class StreamLedger {
  #offsets = new Float64Array(1024);
  #count = 0;
  #length = 0;
  readonly #sha: Sha256;
  #crcBatch = new Uint8Array(4096);
  #crcUsed = 0;

  constructor(sha: Sha256) {
    this.#sha = sha;
  }

  /** Records the next record (in sequence order); returns its stream offset. */
  append(record: Uint8Array): number {
    return this.appendSealed(record[0] ?? 0, record.length, record.subarray(20, 24));
  }

  /** Records the next record from its type, length and 4 checksum bytes (it was sealed elsewhere). */
  appendSealed(type: number, length: number, checksum: Uint8Array): number {
    const offset = this.#length;
    if (this.#count === this.#offsets.length) {
      const grown = new Float64Array(this.#offsets.length * 2);
      grown.set(this.#offsets);
      this.#offsets = grown;
    }
    this.#offsets[this.#count++] = offset;
    this.#length += length;
    if (type !== RecordType.trailer) {
      if (this.#crcUsed === this.#crcBatch.length) this.#flushCrcs();
      this.#crcBatch.set(checksum, this.#crcUsed);
      this.#crcUsed += 4;
    }
    return offset;
  }

  #flushCrcs(): void {
    this.#sha.update(this.#crcBatch.subarray(0, this.#crcUsed));
    this.#crcUsed = 0;
  }

  /** Stream offset of record `sequence` (already appended). */
  offsetOf(sequence: number): number {
    return this.#offsets[sequence] ?? -1;
  }

  get recordCount(): number {
    return this.#count;
  }

  get streamLength(): number {
    return this.#length;
  }

  /** The digest over every record appended so far; call once, before the trailer. */
  digest(): Uint8Array {
    this.#flushCrcs();
    return this.#sha.digest();
  }
}
