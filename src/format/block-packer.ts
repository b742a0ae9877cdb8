import { BLOCK_FLAG_END_OF_STREAM, BLOCK_HEADER_SIZE, BlockKind, NO_RECORD_START, reheaderBlock, sealBlock } from "./block.js";
import type { Checksum } from "./codecs.js";
import { crc32cCombine } from "./crc32c.js";
import { encodeLabel, type MediumLabel } from "./label.js";
import { RecordType } from "./record.js";

/** Record bytes 20–23 hold its checksum (format.md §4.1), which covers bytes 0–19 and 24 onwards. */
const RECORD_CHECKSUM_AT = 20;
const RECORD_HEADER_END = 24;

/** Where a block goes: the medium it is written to and its number there. */
export interface BlockPlace {
  mediumId: Uint8Array;
  blockNumber: number;
}

interface BlockPackerCommonOptions {
  streamId: Uint8Array;
  blockSize: number;
  checksum: Checksum;
  /** Takes a finished block (ownership passes to the callee). */
  emit: (block: Uint8Array) => void;
  /** Stream offset of the first record appended (non-zero when a stream continues on a new medium). */
  streamOffset?: number;
  allocate?: (size: number) => Uint8Array;
}

/**
 * Options of a packer. Either one medium (`mediumId`, and `nextBlockNumber`, which gives the
 * number of the next block written to it, shared by every stream on it), or `place`, asked for
 * the medium and number of each block as it is sealed: a writer whose streams span media
 * switches to the next medium between two blocks of a stream.
 */
export type BlockPackerOptions = BlockPackerCommonOptions &
  ({ mediumId: Uint8Array; nextBlockNumber: () => number; place?: undefined } | { place: () => BlockPlace });

/**
 * Packs the records of one stream into blocks (format.md §3.2). A multiplexing writer keeps one
 * packer per stream and lets them share `nextBlockNumber` and `emit`.
 */
export class BlockPacker {
  readonly #o: BlockPackerOptions;
  readonly #place: () => BlockPlace;
  readonly #allocate: (size: number) => Uint8Array;
  readonly #capacity: number;
  #block: Uint8Array | null = null;
  #used = 0;
  #blockStreamOffset: number;
  #firstRecordOffset = NO_RECORD_START;
  #streamOffset: number;
  /** CRC-32C of the open block's payload so far, when every piece came with its CRC (appendChecked); else null. */
  #payloadCrc: number | null = 0;

  constructor(options: BlockPackerOptions) {
    this.#o = options;
    if (options.place !== undefined) {
      this.#place = options.place;
    } else {
      const { mediumId, nextBlockNumber } = options;
      this.#place = () => ({ mediumId, blockNumber: nextBlockNumber() });
    }
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
   * How many blocks append(record) would seal now: the full blocks it leaves behind, and the
   * trailer's block (a multiplexer makes room for them on its media first).
   */
  blocksSealedBy(record: Uint8Array): number {
    if (record.length === 0) return 0;
    const full = Math.ceil((this.#used + record.length) / this.#capacity) - 1;
    return full + (record[0] === RecordType.trailer ? 1 : 0);
  }

  /** How many blocks flush() or finish() would seal now (0 or 1). */
  get blocksSealedByFlush(): number {
    return this.#block !== null && this.#used > 0 ? 1 : 0;
  }

  /**
   * Appends one whole record; it starts at the current stream offset. The block that takes the
   * last byte of a TRAILER record is sealed at once with the end-of-stream flag (format.md §3.2).
   */
  append(record: Uint8Array): void {
    this.#append(record, null);
  }

  /**
   * append() for a record whose checksum is still to be checked (format.md §4.1: header bytes
   * 0–19, then the stored body), reading its bytes once: the CRC-32C of each piece that goes into
   * a block is computed, the record's checksum is checked from them, and when it matches the
   * record is appended and the pieces' CRCs carry on into the blocks' checksums (so sealing does
   * not read the payload again). Returns false, appending nothing, when it does not match.
   */
  appendChecked(record: Uint8Array): boolean {
    const { pieces, recordCrc } = this.#pieceCrcs(record, false);
    const stored = (record[20]! | (record[21]! << 8) | (record[22]! << 16) | (record[23]! << 24)) >>> 0;
    if (recordCrc !== stored) return false;
    this.#append(record, pieces);
    return true;
  }

  /**
   * append() for a record whose checksum (bytes 20–23, format.md §4.1) is still to be written: it
   * is written here, computed with the blocks' checksums in one pass over the record's bytes.
   */
  appendSealing(record: Uint8Array): void {
    this.#append(record, this.#pieceCrcs(record, true).pieces);
  }

  /**
   * The CRC-32C of each piece of `record` that goes into a block (cut where append() would cut
   * it) and the record's own checksum, reading each byte once. `seal`: the record's checksum
   * field is written first, then the pieces that hold it are summed.
   */
  #pieceCrcs(record: Uint8Array, seal: boolean): { pieces: number[]; recordCrc: number } {
    const checksum = this.#o.checksum;
    const first = this.#block !== null && this.#used < this.#capacity ? this.#capacity - this.#used : this.#capacity;
    // Sub-pieces: the block pieces, also cut at 20 and 24 (the checksum field is not covered by the record's checksum).
    const cuts: Array<{ piece: number; from: number; to: number; crc: number }> = [];
    let recordCrc = 0;
    let hasRecordCrc = false;
    for (let piece = 0, start = 0, end = Math.min(first, record.length); start < record.length; piece++, start = end, end = Math.min(end + this.#capacity, record.length)) {
      for (let from = start; from < end;) {
        const to = from < RECORD_CHECKSUM_AT && end > RECORD_CHECKSUM_AT ? RECORD_CHECKSUM_AT : from < RECORD_HEADER_END && end > RECORD_HEADER_END ? RECORD_HEADER_END : end;
        const isField = from >= RECORD_CHECKSUM_AT && to <= RECORD_HEADER_END;
        const crc = isField && seal ? 0 : checksum.crc32c(record.subarray(from, to));
        if (!isField) {
          recordCrc = hasRecordCrc ? crc32cCombine(recordCrc, crc, to - from) : crc;
          hasRecordCrc = true;
        }
        cuts.push({ piece, from, to, crc });
        from = to;
      }
    }
    if (seal) {
      record[20] = recordCrc & 0xff;
      record[21] = (recordCrc >>> 8) & 0xff;
      record[22] = (recordCrc >>> 16) & 0xff;
      record[23] = recordCrc >>> 24;
      for (const cut of cuts) if (cut.from >= RECORD_CHECKSUM_AT && cut.to <= RECORD_HEADER_END) cut.crc = checksum.crc32c(record.subarray(cut.from, cut.to));
    }
    const pieces: number[] = [];
    for (const cut of cuts) pieces[cut.piece] = pieces[cut.piece] === undefined ? cut.crc : crc32cCombine(pieces[cut.piece]!, cut.crc, cut.to - cut.from);
    return { pieces, recordCrc };
  }

  #append(record: Uint8Array, pieceCrcs: number[] | null): void {
    let done = 0;
    let isStart = true;
    for (let piece = 0; done < record.length; piece++) {
      // A full block is sealed only when more bytes come, so that finish() can still flag it.
      if (this.#block !== null && this.#used === this.#capacity) this.#seal(0);
      if (this.#block === null) this.#open();
      if (isStart && this.#firstRecordOffset === NO_RECORD_START) this.#firstRecordOffset = this.#used;
      isStart = false;
      const n = Math.min(record.length - done, this.#capacity - this.#used);
      this.#block!.set(record.subarray(done, done + n), BLOCK_HEADER_SIZE + this.#used);
      if (pieceCrcs === null) this.#payloadCrc = null;
      else if (this.#payloadCrc !== null) this.#payloadCrc = this.#used === 0 ? pieceCrcs[piece]! : crc32cCombine(this.#payloadCrc, pieceCrcs[piece]!, n);
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
    this.#payloadCrc = 0;
  }

  #seal(flags: number): void {
    const block = this.#block!;
    const place = this.#place();
    sealBlock(
      block,
      {
        kind: BlockKind.stream,
        payloadLength: this.#used,
        mediumId: place.mediumId,
        blockNumber: place.blockNumber,
        streamId: this.#o.streamId,
        streamOffset: this.#blockStreamOffset,
        firstRecordOffset: this.#firstRecordOffset,
        flags,
      },
      this.#o.checksum,
      this.#payloadCrc ?? undefined,
    );
    this.#block = null;
    this.#used = 0;
    this.#o.emit(block);
  }

  /** Payload bytes a block of this packer holds. */
  get capacity(): number {
    return this.#capacity;
  }

  /**
   * Takes a whole block of this stream read from another medium, checked (a copy job): it goes
   * out at once, its payload unchanged under this medium's header (reheaderBlock). Only between
   * blocks: nothing may be pending, the block must start at the packer's stream offset and its
   * payload must fit. Returns false (and takes nothing) when it does not.
   */
  passBlock(source: Uint8Array, streamOffset: number, payloadLength: number): boolean {
    if (this.#used > 0 || streamOffset !== this.#streamOffset || payloadLength > this.#capacity || payloadLength === 0) return false;
    const block = this.#block ?? this.#allocate(this.#o.blockSize);
    reheaderBlock(block, source, this.#place());
    this.#streamOffset += payloadLength;
    this.#blockStreamOffset = this.#streamOffset;
    this.#block = null;
    this.#o.emit(block);
    return true;
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
