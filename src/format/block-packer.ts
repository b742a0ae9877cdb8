import { BLOCK_FLAG_END_OF_STREAM, BLOCK_HEADER_SIZE, BlockKind, NO_RECORD_START, sealBlock } from "./block.js";
import type { Checksum } from "./codecs.js";
import { encodeLabel, type MediumLabel } from "./label.js";
import { RecordType } from "./record.js";

export interface BlockPackerOptions {
  mediumId: Uint8Array;
  streamId: Uint8Array;
  blockSize: number;
  checksum: Checksum;
  /** Gives the number of the next block written to the medium (shared by every stream on it). */
  nextBlockNumber: () => number;
  /** Takes a finished block (ownership passes to the callee). */
  emit: (block: Uint8Array) => void;
  /** Stream offset of the first record appended (non-zero when a stream continues on a new medium). */
  streamOffset?: number;
  allocate?: (size: number) => Uint8Array;
}

/**
 * Packs the records of one stream into blocks (format.md §3.2). A multiplexing writer keeps one
 * packer per stream and lets them share `nextBlockNumber` and `emit`.
 */
export class BlockPacker {
  readonly #o: BlockPackerOptions;
  readonly #allocate: (size: number) => Uint8Array;
  readonly #capacity: number;
  #block: Uint8Array | null = null;
  #used = 0;
  #blockStreamOffset: number;
  #firstRecordOffset = NO_RECORD_START;
  #streamOffset: number;

  constructor(options: BlockPackerOptions) {
    this.#o = options;
    this.#allocate = options.allocate ?? ((size) => new Uint8Array(size));
    this.#capacity = options.blockSize - BLOCK_HEADER_SIZE;
    this.#streamOffset = options.streamOffset ?? 0;
    this.#blockStreamOffset = this.#streamOffset;
  }

  /** Stream offset of the next byte to be appended. */
  get streamOffset(): number {
    return this.#streamOffset;
  }

  /** Bytes waiting in the open, unfinished block. */
  get pendingBytes(): number {
    return this.#used;
  }

  /**
   * Appends one whole record; it starts at the current stream offset. The block that takes the
   * last byte of a TRAILER record is sealed at once with the end-of-stream flag (format.md §3.2).
   */
  append(record: Uint8Array): void {
    let done = 0;
    let isStart = true;
    while (done < record.length) {
      // A full block is sealed only when more bytes come, so that finish() can still flag it.
      if (this.#block !== null && this.#used === this.#capacity) this.#seal(0);
      if (this.#block === null) this.#open();
      if (isStart && this.#firstRecordOffset === NO_RECORD_START) this.#firstRecordOffset = this.#used;
      isStart = false;
      const n = Math.min(record.length - done, this.#capacity - this.#used);
      this.#block!.set(record.subarray(done, done + n), BLOCK_HEADER_SIZE + this.#used);
      this.#used += n;
      done += n;
      this.#streamOffset += n;
    }
    if (record[0] === RecordType.trailer) this.#seal(BLOCK_FLAG_END_OF_STREAM);
  }

  #open(): void {
    this.#block = this.#allocate(this.#o.blockSize);
    this.#used = 0;
    this.#blockStreamOffset = this.#streamOffset;
    this.#firstRecordOffset = NO_RECORD_START;
  }

  #seal(flags: number): void {
    const block = this.#block!;
    sealBlock(
      block,
      {
        kind: BlockKind.stream,
        payloadLength: this.#used,
        mediumId: this.#o.mediumId,
        blockNumber: this.#o.nextBlockNumber(),
        streamId: this.#o.streamId,
        streamOffset: this.#blockStreamOffset,
        firstRecordOffset: this.#firstRecordOffset,
        flags,
      },
      this.#o.checksum,
    );
    this.#block = null;
    this.#used = 0;
    this.#o.emit(block);
  }

  /** Writes out the open block even if not full (a multiplexer's flush). */
  flush(): void {
    if (this.#block !== null && this.#used > 0) this.#seal(0);
  }

  /** Ends the stream: writes out what is left (a stream cut short has no trailer and no flag). */
  finish(): void {
    if (this.#block !== null && this.#used > 0) this.#seal(0);
  }
}

/** Makes the label block of a medium (format.md §3.3). */
export function makeLabelBlock(options: { mediumId: Uint8Array; blockSize: number; label: MediumLabel; checksum: Checksum }): Uint8Array {
  const block = new Uint8Array(options.blockSize);
  const payload = encodeLabel(options.label);
  block.set(payload, BLOCK_HEADER_SIZE);
  sealBlock(
    block,
    {
      kind: BlockKind.label,
      payloadLength: payload.length,
      mediumId: options.mediumId,
      blockNumber: 0,
      streamId: new Uint8Array(16),
      streamOffset: 0,
      firstRecordOffset: NO_RECORD_START,
      flags: 0,
    },
    options.checksum,
  );
  return block;
}
