import { BugError } from "../errors/index.js";
import { fromUtf8, viewOf } from "./bytes.js";
import { type Entry, entryBodyLength, writeEntryBody } from "./entry.js";
import { formatError } from "./errors.js";
import { encodeHead, type StreamHead } from "./head.js";
import {
  DATA_PREFIX_SIZE,
  INDEX_ROW_FIXED_SIZE,
  ITEM_HEADER_SIZE,
  ItemType,
  MAX_DATA_LENGTH,
  writeDataPrefix,
  writeIndexRowHeader,
  writeItemHeader,
} from "./items.js";
import { MAX_PLAIN_LENGTH, RECORD_HEADER_SIZE, RecordType } from "./record.js";
import type { RecordSink } from "./record-sink.js";
import { encodeTrailer, NO_INDEX, type StreamTrailer } from "./trailer.js";

/** Plain bytes per chunk that writers aim at (format.md §4.3): 1 MiB of data plus room for headers. */
export const CHUNK_CAPACITY = 1024 * 1024 + 4096;

export interface DataRegion {
  /** The chunk frame to read file data into, at `start`, at most `capacity` bytes. */
  bytes: Uint8Array;
  start: number;
  capacity: number;
}

/** Where the last ENTRY or DELETED item went: its chunk's sequence number and its offset in the plain body. */
export interface ItemLocation {
  sequence: number;
  itemOffset: number;
}

export interface StreamEncoderOptions {
  head: StreamHead;
  sink: RecordSink;
  /** Allocates uninitialised memory for chunk frames (Buffer.allocUnsafeSlow on Node). */
  allocate?: (size: number) => Uint8Array;
}

/**
 * Turns entries and file data into the records of one stream (format.md §4, §5): HEAD, chunks of
 * items filled to about 1 MiB, the index, the trailer. File data is read by the caller straight
 * into the chunk (dataRegion → commitData), so it is copied once on its way to the medium.
 *
 * Invariants: 1. items never span chunks; 2. the DATA items of an entry follow its ENTRY item in
 * increasing file offset; 3. sequence numbers are given out in the order records reach the sink.
 */
export class StreamEncoder {
  readonly #sink: RecordSink;
  readonly #allocate: (size: number) => Uint8Array;
  #sequence = 0;
  #frame: Uint8Array | null = null;
  #view: DataView | null = null;
  #used = RECORD_HEADER_SIZE;
  #entryCount = 0;
  #dataBytes = 0;
  #currentEntry = -1;
  #pendingDataItem = -1;
  #pendingFileOffset = 0;
  #index = new Uint8Array(64 * 1024);
  #indexView = viewOf(this.#index);
  #indexUsed = 0;
  #isFinished = false;
  #lastLocation: ItemLocation = { sequence: -1, itemOffset: 0 };

  constructor(options: StreamEncoderOptions) {
    this.#sink = options.sink;
    this.#allocate = options.allocate ?? ((size) => new Uint8Array(size));
    const head = encodeHead(options.head);
    const frame = this.#allocate(RECORD_HEADER_SIZE + head.length);
    frame.set(head, RECORD_HEADER_SIZE);
    this.#sink.put(RecordType.head, this.#sequence++, frame);
  }

  get entryCount(): number {
    return this.#entryCount;
  }

  get sink(): RecordSink {
    return this.#sink;
  }

  /**
   * Where the item written by the last addEntry or addDeleted lies: the sequence number of its
   * chunk (its stream offset is known once the sink has sealed it: `sink.ledger.offsetOf`) and
   * its offset in the chunk's plain body.
   */
  get lastLocation(): ItemLocation {
    return this.#lastLocation;
  }

  #openChunk(minimum: number): void {
    const size = RECORD_HEADER_SIZE + Math.max(CHUNK_CAPACITY, minimum);
    this.#frame = this.#allocate(size);
    this.#view = viewOf(this.#frame);
    this.#used = RECORD_HEADER_SIZE;
  }

  #room(): number {
    return this.#frame === null ? 0 : this.#frame.length - this.#used;
  }

  /** Hands the current chunk to the sink, if it holds any item. */
  flushChunk(): void {
    if (this.#frame === null || this.#used === RECORD_HEADER_SIZE) return;
    const frame = this.#frame.length === this.#used ? this.#frame : this.#frame.subarray(0, this.#used);
    this.#frame = null;
    this.#view = null;
    this.#sink.put(RecordType.chunk, this.#sequence++, frame);
  }

  /** Adds an ENTRY item; returns the entry number given to it (`entry.number` is ignored). */
  addEntry(entry: Entry): number {
    if (this.#isFinished) throw new BugError("addEntry after finish");
    const number = this.#entryCount++;
    entry.number = number;
    this.#currentEntry = number;
    const full = entryBodyLength(entry, true);
    const needed = ITEM_HEADER_SIZE + full;
    if (needed > MAX_PLAIN_LENGTH) {
      throw formatError("FORMAT_TOO_LARGE", `Cannot store entry "${fromUtf8(entry.path)}": its metadata (${full} bytes) exceeds 16 MiB`);
    }
    if (this.#room() < needed) {
      this.flushChunk();
      this.#openChunk(needed);
    }
    const chunkSequence = this.#sequence;
    const itemOffset = this.#used - RECORD_HEADER_SIZE;
    writeItemHeader(this.#view!, this.#used, ItemType.entry, full);
    this.#used = writeEntryBody(this.#frame!, this.#used + ITEM_HEADER_SIZE, entry, true);
    this.#addIndexRow(entry, chunkSequence, itemOffset);
    this.#lastLocation = { sequence: chunkSequence, itemOffset };
    return number;
  }

  /**
   * Adds a DELETED item (format.md §5.6): `path` (raw bytes, §5.5) existed in the saveset this
   * one is based on and is gone now. It ends the data of the entry before it. The path is not
   * checked here, as entries' paths are not: writers give stored paths.
   */
  addDeleted(path: Uint8Array): void {
    if (this.#isFinished) throw new BugError("addDeleted after finish");
    this.#currentEntry = -1;
    const needed = ITEM_HEADER_SIZE + path.length;
    if (needed > MAX_PLAIN_LENGTH) throw formatError("FORMAT_TOO_LARGE", `Cannot store the deletion of "${fromUtf8(path)}": the path exceeds 16 MiB`);
    if (this.#room() < needed) {
      this.flushChunk();
      this.#openChunk(needed);
    }
    this.#lastLocation = { sequence: this.#sequence, itemOffset: this.#used - RECORD_HEADER_SIZE };
    writeItemHeader(this.#view!, this.#used, ItemType.deleted, path.length);
    this.#frame!.set(path, this.#used + ITEM_HEADER_SIZE);
    this.#used += needed;
  }

  #addIndexRow(entry: Entry, chunkSequence: number, itemOffset: number): void {
    const length = entryBodyLength(entry, false);
    const needed = INDEX_ROW_FIXED_SIZE + length;
    if (this.#indexUsed + needed > this.#index.length) {
      const grown = new Uint8Array(Math.max(this.#index.length * 2, this.#indexUsed + needed));
      grown.set(this.#index.subarray(0, this.#indexUsed));
      this.#index = grown;
      this.#indexView = viewOf(grown);
    }
    // The chunk's stream offset is not known until it is sealed: keep its sequence number for now.
    writeIndexRowHeader(this.#indexView, this.#indexUsed, chunkSequence, itemOffset, length);
    writeEntryBody(this.#index, this.#indexUsed + INDEX_ROW_FIXED_SIZE, entry, false);
    this.#indexUsed += needed;
  }

  /**
   * Gives room for up to `wanted` bytes of the current entry's data at `fileOffset`; the caller
   * fills it and calls commitData with the number of bytes written.
   */
  dataRegion(fileOffset: number, wanted: number): DataRegion {
    if (this.#currentEntry < 0) throw new BugError("dataRegion before addEntry");
    const want = Math.min(wanted, MAX_DATA_LENGTH);
    const overhead = ITEM_HEADER_SIZE + DATA_PREFIX_SIZE;
    if (this.#room() < overhead + Math.min(want, 4096)) {
      this.flushChunk();
      this.#openChunk(0);
    }
    this.#pendingDataItem = this.#used;
    this.#pendingFileOffset = fileOffset;
    const start = this.#used + overhead;
    return { bytes: this.#frame!, start, capacity: Math.min(want, this.#frame!.length - start) };
  }

  /** Completes the DATA item opened by dataRegion with `length` bytes (0 drops it). */
  commitData(length: number): void {
    const at = this.#pendingDataItem;
    if (at < 0) throw new BugError("commitData without dataRegion");
    this.#pendingDataItem = -1;
    if (length === 0) return;
    writeItemHeader(this.#view!, at, ItemType.data, DATA_PREFIX_SIZE + length);
    writeDataPrefix(this.#view!, at + ITEM_HEADER_SIZE, this.#currentEntry, this.#pendingFileOffset);
    this.#used = at + ITEM_HEADER_SIZE + DATA_PREFIX_SIZE + length;
    this.#dataBytes += length;
  }

  /** Convenience for callers that hold the data already: copies it in, in as many items as needed. */
  addData(fileOffset: number, data: Uint8Array): void {
    let done = 0;
    while (done < data.length) {
      const region = this.dataRegion(fileOffset + done, data.length - done);
      region.bytes.set(data.subarray(done, done + region.capacity), region.start);
      this.commitData(region.capacity);
      done += region.capacity;
    }
  }

  /** Writes the index and the trailer; resolves when the sink has taken every record. */
  async finish(): Promise<StreamTrailer> {
    if (this.#isFinished) throw new BugError("finish called twice");
    this.#isFinished = true;
    this.flushChunk();
    await this.#sink.drain();
    const ledger = this.#sink.ledger;
    const indexSequence = this.#sequence;
    this.#writeIndex((sequence) => ledger.offsetOf(sequence));
    await this.#sink.drain();
    const trailer: StreamTrailer = {
      recordCount: this.#sequence,
      entryCount: this.#entryCount,
      dataBytes: this.#dataBytes,
      indexOffset: this.#indexUsed > 0 ? ledger.offsetOf(indexSequence) : NO_INDEX,
      digest: ledger.digest(),
    };
    const body = encodeTrailer(trailer);
    const frame = this.#allocate(RECORD_HEADER_SIZE + body.length);
    frame.set(body, RECORD_HEADER_SIZE);
    this.#sink.put(RecordType.trailer, this.#sequence++, frame);
    await this.#sink.drain();
    return trailer;
  }

  #writeIndex(offsetOf: (sequence: number) => number): void {
    const rows = this.#index;
    const view = this.#indexView;
    let at = 0;
    while (at < this.#indexUsed) {
      // One INDEX item per chunk, holding as many whole rows as fit.
      this.#openChunk(0);
      const itemAt = this.#used;
      let end = at;
      const limit = this.#frame!.length - itemAt - ITEM_HEADER_SIZE;
      while (end < this.#indexUsed) {
        const rowLength = INDEX_ROW_FIXED_SIZE + view.getUint32(end + 12, true);
        if (end - at + rowLength > limit && end > at) break;
        const sequence = view.getUint32(end, true) + view.getUint32(end + 4, true) * 0x100000000;
        const offset = offsetOf(sequence);
        view.setUint32(end, offset % 0x100000000, true);
        view.setUint32(end + 4, Math.floor(offset / 0x100000000), true);
        end += rowLength;
      }
      const length = end - at;
      if (ITEM_HEADER_SIZE + length > this.#frame!.length - itemAt) this.#openChunk(ITEM_HEADER_SIZE + length);
      writeItemHeader(this.#view!, this.#used, ItemType.index, length);
      this.#frame!.set(rows.subarray(at, end), this.#used + ITEM_HEADER_SIZE);
      this.#used += ITEM_HEADER_SIZE + length;
      this.flushChunk();
      at = end;
    }
  }
}
