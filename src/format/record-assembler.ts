import { NO_RECORD_START } from "./block.js";
import type { Codecs } from "./codecs.js";
import { decodeRecordHeader, MAX_STORED_LENGTH, RECORD_HEADER_SIZE, recordChecksumMatches, type RecordHeader } from "./record.js";

/** A piece of a stream: the payload of one intact block. */
export interface StreamPiece {
  streamOffset: number;
  payload: Uint8Array;
  firstRecordOffset: number;
}

export interface StreamLoss {
  /** Stream offset from which bytes or records were lost. */
  fromOffset: number;
  /** Stream offset of the next byte that is usable again (or the end seen so far). */
  toOffset: number;
  reason: string;
}

export interface RecordAssemblerEvents {
  /** A checked record; `record` is only valid during the call. */
  record(record: Uint8Array, header: RecordHeader, streamOffset: number): void;
  loss(loss: StreamLoss): void;
}

/**
 * Cuts a stream's bytes, given as block payloads in order, into checked records (format.md §3.4,
 * §4.1). Records may span blocks. After a gap or a bad record it resynchronises at the next
 * block whose first record offset is set.
 */
export class RecordAssembler {
  readonly #events: RecordAssemblerEvents;
  readonly #codecs: Codecs;
  #expected: number;
  #isLost: boolean;
  #lostFrom = 0;
  #header = new Uint8Array(RECORD_HEADER_SIZE);
  #headerUsed = 0;
  #record: Uint8Array | null = null;
  /** Reused for records that span blocks: records are handed out only for the duration of a call. */
  #spare: Uint8Array = new Uint8Array(0);
  #recordUsed = 0;
  #recordHeader: RecordHeader | null = null;
  #recordOffset = 0;

  readonly #allocate: ((size: number) => Uint8Array) | null;
  /** Pieces come from blocks whose checksums were verified: skip record checksums (format.md §3.4). */
  readonly #trustBlocks: boolean;

  /**
   * Starts at `streamOffset`; with `atRecordStart` false, it waits for a block's first record
   * offset. With `allocate`, a record that spans blocks is assembled in memory it returns, and
   * the consumer may keep that record; otherwise in a buffer reused for the next one.
   */
  constructor(
    events: RecordAssemblerEvents,
    codecs: Codecs,
    options: { streamOffset?: number; atRecordStart?: boolean; allocate?: (size: number) => Uint8Array; trustBlocks?: boolean } = {},
  ) {
    this.#events = events;
    this.#codecs = codecs;
    this.#trustBlocks = options.trustBlocks ?? false;
    this.#allocate = options.allocate ?? null;
    this.#expected = options.streamOffset ?? 0;
    this.#isLost = options.atRecordStart === false;
    this.#lostFrom = this.#expected;
  }

  /** Stream offset of the next byte expected. */
  get streamOffset(): number {
    return this.#expected;
  }

  /** True while a record is half-assembled (its end has not arrived yet). */
  get isInsideRecord(): boolean {
    return this.#headerUsed > 0 || this.#record !== null;
  }

  #lose(at: number, reason: string, silentStart = false): void {
    if (!this.#isLost) {
      this.#isLost = true;
      this.#lostFrom = silentStart ? at : this.#partialStart(at);
      this.#lossReason = reason;
    }
    this.#headerUsed = 0;
    this.#record = null;
    this.#recordHeader = null;
  }

  #lossReason = "";

  #partialStart(at: number): number {
    return this.#headerUsed > 0 || this.#record !== null ? this.#recordOffset : at;
  }

  /** Says that the block(s) before the next piece are unreadable. */
  markGap(reason: string): void {
    this.#lose(this.#expected, reason);
  }

  push(piece: StreamPiece): void {
    const { payload } = piece;
    let at = 0;
    if (piece.streamOffset !== this.#expected) {
      if (piece.streamOffset < this.#expected) return; // a repeated block: already seen
      this.#lose(this.#expected, `stream bytes ${this.#expected}..${piece.streamOffset} missing`);
    }
    if (this.#isLost) {
      if (piece.firstRecordOffset === NO_RECORD_START) {
        this.#expected = piece.streamOffset + payload.length;
        return;
      }
      at = piece.firstRecordOffset;
      this.#isLost = false;
      this.#events.loss({ fromOffset: this.#lostFrom, toOffset: piece.streamOffset + at, reason: this.#lossReason || "resynchronised" });
      this.#lossReason = "";
    }
    this.#expected = piece.streamOffset;
    while (at < payload.length) {
      at = this.#consume(payload, at, piece.streamOffset);
      if (this.#isLost) {
        this.#expected = piece.streamOffset + payload.length;
        return;
      }
    }
    this.#expected = piece.streamOffset + payload.length;
  }

  #consume(payload: Uint8Array, at: number, base: number): number {
    if (this.#record === null) {
      if (this.#headerUsed === 0) {
        this.#recordOffset = base + at;
        // Fast path: the whole record lies in this payload.
        if (payload.length - at >= RECORD_HEADER_SIZE) {
          const header = decodeRecordHeader(payload, at);
          if (header === null) {
            this.#lose(base + at, "bad record header");
            return payload.length;
          }
          const end = at + RECORD_HEADER_SIZE + header.storedLength;
          if (end <= payload.length) {
            this.#emit(payload.subarray(at, end), header);
            return end;
          }
          this.#header.set(payload.subarray(at, at + RECORD_HEADER_SIZE));
          this.#headerUsed = RECORD_HEADER_SIZE;
          at += RECORD_HEADER_SIZE;
        }
      }
      if (this.#headerUsed < RECORD_HEADER_SIZE) {
        const n = Math.min(RECORD_HEADER_SIZE - this.#headerUsed, payload.length - at);
        this.#header.set(payload.subarray(at, at + n), this.#headerUsed);
        this.#headerUsed += n;
        at += n;
        if (this.#headerUsed < RECORD_HEADER_SIZE) return at;
      }
      const header = decodeRecordHeader(this.#header, 0);
      if (header === null) {
        this.#lose(base + at, "bad record header");
        return payload.length;
      }
      this.#recordHeader = header;
      const size = RECORD_HEADER_SIZE + header.storedLength;
      if (this.#allocate !== null) {
        this.#record = this.#allocate(size).subarray(0, size);
      } else {
        if (this.#spare.length < size) this.#spare = new Uint8Array(Math.max(size, Math.min(this.#spare.length * 2, MAX_STORED_LENGTH + RECORD_HEADER_SIZE)));
        this.#record = this.#spare.subarray(0, size);
      }
      this.#record.set(this.#header);
      this.#recordUsed = RECORD_HEADER_SIZE;
    }
    const record = this.#record;
    const n = Math.min(record.length - this.#recordUsed, payload.length - at);
    record.set(payload.subarray(at, at + n), this.#recordUsed);
    this.#recordUsed += n;
    at += n;
    if (this.#recordUsed === record.length) {
      const header = this.#recordHeader!;
      this.#record = null;
      this.#recordHeader = null;
      this.#headerUsed = 0;
      this.#emit(record, header);
    }
    return at;
  }

  #emit(record: Uint8Array, header: RecordHeader): void {
    const offset = this.#recordOffset;
    this.#headerUsed = 0;
    if (!this.#trustBlocks && !recordChecksumMatches(record, this.#codecs)) {
      this.#lose(offset, `record ${header.sequence} at stream offset ${offset}: checksum mismatch`, true);
      return;
    }
    this.#events.record(record, header, offset);
  }

  /** Ends the stream; reports a record cut off by the end. */
  end(): void {
    if (this.isInsideRecord) {
      this.#events.loss({ fromOffset: this.#recordOffset, toOffset: this.#expected, reason: "stream ends inside a record" });
    } else if (this.#isLost) {
      this.#events.loss({ fromOffset: this.#lostFrom, toOffset: this.#expected, reason: this.#lossReason || "stream ends while resynchronising" });
    }
    this.#headerUsed = 0;
    this.#record = null;
  }
}
