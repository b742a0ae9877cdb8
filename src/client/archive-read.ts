import {
  type Codecs,
  type Damage,
  type DataItem,
  type Entry,
  type EntryLocation,
  idFromString,
  idToString,
  MediumScanner,
  NO_INDEX,
  RecordAssembler,
  type RecordHeader,
  RecordType,
  type StreamHead,
  type StreamKey,
  StreamDecoder,
  type TrailerCheck,
  decodeHead,
  decodeTrailer,
  NO_RECORD_START,
  type StreamTrailer,
  bytesEqual,
  BlockKind,
  openBlock,
  decodeRecordHeader,
} from "../format/index.js";
import { Worker } from "node:worker_threads";
import { ReelError } from "../errors/index.js";
import { readBatch } from "./record-batch.js";
import type { MediumFile } from "./medium-file.js";
import { openStreamEncryption } from "./node-codecs.js";

export interface StreamHandlers {
  entry?(entry: Entry, location: EntryLocation): void;
  data?(item: DataItem): void;
  damage?(damage: Damage): void;
  lostEntry?(entry: Entry): void;
  indexRow?(entry: Entry, location: EntryLocation): void;
}

export interface ReadOptions {
  codecs: Codecs;
  /** Asked once, only for an encrypted stream. */
  passphrase: () => string | null;
  handlers: StreamHandlers;
  readIndex?: boolean;
  skipEncrypted?: boolean;
  /** Read and check blocks on a separate thread (files only). */
  threaded?: boolean;
  /** Accept records from verified blocks without their own checksums (format.md §3.4); verify leaves it off. */
  trustBlocks?: boolean;
}

export interface StreamReadResult {
  head: StreamHead | null;
  trailer: TrailerCheck | null;
  damagedBlocks: number[];
  otherStreams: number;
  blocks: number;
}

function keyFor(head: StreamHead, passphrase: () => string | null, required: boolean): StreamKey | null {
  if (head.encryption === null) return null;
  const secret = passphrase();
  if (secret === null) {
    if (!required) return null;
    throw new ReelError("FORMAT_PASSPHRASE_REQUIRED", "Cannot read the archive: it is encrypted; set REEL_PASSPHRASE or run on a terminal to be asked");
  }
  return openStreamEncryption(secret, head.encryption, idFromString(head.streamId));
}

/** A block-by-block reader of the first stream on a medium, front to back (format.md §3.4). */
export class SequentialReader {
  readonly #scanner: MediumScanner;
  readonly #result: StreamReadResult = { head: null, trailer: null, damagedBlocks: [], otherStreams: 0, blocks: 0 };
  #streamId: Uint8Array | null = null;
  #assembler: RecordAssembler | null = null;
  readonly #decoder: StreamDecoder;
  readonly #others = new Set<string>();

  constructor(options: ReadOptions) {
    const h = options.handlers;
    this.#decoder = new StreamDecoder(
      {
        head: (head) => {
          this.#result.head = head;
          return keyFor(head, options.passphrase, options.skipEncrypted !== true);
        },
        entry: (entry, location) => h.entry?.(entry, location),
        data: (item) => h.data?.(item),
        damage: (damage) => h.damage?.(damage),
        lostEntry: (entry) => h.lostEntry?.(entry),
        indexRow: (row, entry) => h.indexRow?.(entry, { chunkOffset: row.chunkOffset, itemOffset: row.itemOffset }),
        trailer: (check) => (this.#result.trailer = check),
      },
      options.codecs,
      { readIndex: options.readIndex ?? false, skipEncrypted: options.skipEncrypted ?? false },
    );
    this.#scanner = new MediumScanner(
      {
        label: () => {},
        damaged: (position) => {
          this.#result.damagedBlocks.push(position);
          this.#assembler?.markGap(`block ${position} is damaged`);
        },
        block: (header, payload) => {
          if (this.#streamId === null) {
            this.#streamId = header.streamId;
            this.#assembler = new RecordAssembler(
              { record: (r, rh, o) => this.#decoder.record(r, rh, o), loss: (l) => this.#decoder.loss(l) },
              options.codecs,
              { streamOffset: header.streamOffset, atRecordStart: header.streamOffset === 0, trustBlocks: options.trustBlocks ?? false },
            );
          } else if (!bytesEqual(header.streamId, this.#streamId)) {
            this.#others.add(idToString(header.streamId));
            return;
          }
          this.#assembler!.push({ streamOffset: header.streamOffset, payload, firstRecordOffset: header.firstRecordOffset });
        },
      },
      options.codecs.checksum,
    );
  }

  push(block: Uint8Array, position: number): void {
    this.#result.blocks++;
    this.#scanner.push(block, position);
  }

  /** Takes a record checked elsewhere (the reader thread). */
  record(record: Uint8Array, streamOffset: number): void {
    const header = decodeRecordHeader(record, 0);
    if (header !== null) this.#decoder.record(record, header, streamOffset);
  }

  loss(from: number, to: number, reason: string): void {
    this.#decoder.loss({ fromOffset: from, toOffset: to, reason });
  }

  damagedBlock(position: number): void {
    this.#result.damagedBlocks.push(position);
  }

  otherStream(): void {
    this.#others.add("other");
  }

  /** Ends a read done on another thread. */
  endThreaded(blocks: number): StreamReadResult {
    this.#result.blocks = blocks;
    this.#result.otherStreams = this.#others.size;
    return this.#result;
  }

  get isFinished(): boolean {
    return this.#decoder.isFinished;
  }

  end(): StreamReadResult {
    this.#assembler?.end();
    this.#result.otherStreams = this.#others.size;
    return this.#result;
  }
}

/** Reads a whole medium front to back from a file or a block stream. */
export async function readSequentially(source: MediumFile | AsyncIterable<Uint8Array>, options: ReadOptions): Promise<StreamReadResult> {
  if ("forEachBlock" in source && options.threaded === true) return readOnThread(source, options);
  const reader = new SequentialReader(options);
  if ("forEachBlock" in source) {
    source.forEachBlock(0, source.blockCount, (block, position) => reader.push(block, position));
  } else {
    let position = 0;
    for await (const block of source) reader.push(block, position++);
  }
  return reader.end();
}

/** Finds the first block at or after `from` that holds the given stream offset (binary search; single-stream media). */
export function findBlock(medium: MediumFile, codecs: Codecs, streamOffset: number): { position: number; streamOffset: number; payload: Uint8Array } | null {
  let low = 1;
  let high = medium.blockCount - 1;
  let found: { position: number; streamOffset: number; payload: Uint8Array } | null = null;
  while (low <= high) {
    const mid = (low + high) >> 1;
    // A damaged probe: look at its neighbours instead.
    let probe = mid;
    let info = medium.header(probe, codecs);
    while (info === null && probe < high) info = medium.header(++probe, codecs);
    if (info === null) {
      high = mid - 1;
      continue;
    }
    const start = info.header.streamOffset;
    if (streamOffset < start) high = mid - 1;
    else if (streamOffset >= start + info.header.payloadLength) low = probe + 1;
    else {
      found = { position: probe, streamOffset: start, payload: info.payload };
      break;
    }
  }
  return found;
}

/**
 * Reads records of the stream from `streamOffset` (a record start) onwards, block by block,
 * until `visit` returns false or the medium ends.
 */
export function readRecordsFrom(
  medium: MediumFile,
  codecs: Codecs,
  streamOffset: number,
  visit: (record: Uint8Array, header: RecordHeader, offset: number) => boolean,
  onLoss: (message: string) => void,
): void {
  const start = findBlock(medium, codecs, streamOffset);
  if (start === null) {
    onLoss(`stream offset ${streamOffset} not found on the medium`);
    return;
  }
  let isDone = false;
  const assembler = new RecordAssembler(
    {
      record: (r, h, o) => {
        if (!isDone && !visit(r, h, o)) isDone = true;
      },
      loss: (l) => onLoss(`stream bytes ${l.fromOffset}..${l.toOffset}: ${l.reason}`),
    },
    codecs,
    { streamOffset, atRecordStart: true },
  );
  assembler.push({ streamOffset, payload: start.payload.subarray(streamOffset - start.streamOffset), firstRecordOffset: 0 });
  if (isDone) return;
  medium.forEachBlock(start.position + 1, medium.blockCount, (block, position) => {
    const check = openBlock(block, codecs.checksum);
    if (!check.ok) {
      assembler.markGap(`block ${position} is damaged`);
      return true;
    }
    if (check.header.kind !== BlockKind.stream) return true;
    assembler.push({ streamOffset: check.header.streamOffset, payload: check.payload, firstRecordOffset: check.header.firstRecordOffset });
    return !isDone;
  });
  // Stopping on purpose leaves a record half-read; only the medium's end is a loss.
  if (!isDone) assembler.end();
}

export interface ArchiveIndex {
  head: StreamHead;
  key: StreamKey | null;
  trailer: StreamTrailer;
  rows: Array<{ entry: Entry; location: EntryLocation }>;
}

/** The head, trailer and index of a single-stream medium, read without its data (format.md §8); null if not found intact. */
export function readIndex(
  medium: MediumFile,
  codecs: Codecs,
  passphrase: () => string | null,
  filter?: (path: Uint8Array, entryType: number) => boolean,
): ArchiveIndex | null {
  if (medium.blockCount < 2) return null;
  let head: StreamHead | null = null;
  readRecordsFrom(medium, codecs, 0, (record, header) => {
    if (header.type === RecordType.head) head = decodeHead(record.subarray(24, 24 + header.storedLength));
    return false;
  }, () => {});
  if (head === null) return null;
  const trailer = findTrailer(medium, codecs);
  if (trailer === null || trailer.indexOffset === NO_INDEX) return null;
  const key = keyFor(head, passphrase, true);
  const rows: ArchiveIndex["rows"] = [];
  let isIntact = true;
  const decoder = new StreamDecoder(
    {
      head: () => key,
      entry: () => {},
      data: () => {},
      damage: () => (isIntact = false),
      indexRow: (row, entry) => void rows.push({ entry, location: { chunkOffset: row.chunkOffset, itemOffset: row.itemOffset } }),
      ...(filter === undefined ? {} : { indexFilter: filter }),
      trailer: () => {},
    },
    codecs,
    { head: { head, key }, readIndex: true },
  );
  readRecordsFrom(medium, codecs, trailer.indexOffset, (record, header, offset) => {
    decoder.record(record, header, offset);
    return header.type !== RecordType.trailer;
  }, () => (isIntact = false));
  return isIntact && decoder.indexRows === trailer.entryCount ? { head, key, trailer, rows } : null;
}

/** The trailer of the stream that ends a single-stream medium: walk back to a record start, parse forward. */
export function findTrailer(medium: MediumFile, codecs: Codecs): StreamTrailer | null {
  for (let position = medium.blockCount - 1; position >= Math.max(1, medium.blockCount - 64); position--) {
    const info = medium.header(position, codecs);
    if (info === null) return null;
    if (info.header.firstRecordOffset === NO_RECORD_START) continue;
    let trailer: StreamTrailer | null = null;
    readRecordsFrom(medium, codecs, info.header.streamOffset + info.header.firstRecordOffset, (record, header) => {
      if (header.type === RecordType.trailer) trailer = decodeTrailer(record.subarray(24, 24 + header.storedLength));
      return true;
    }, () => {});
    return trailer;
  }
  return null;
}

const BATCH_BYTES = 4 * 1024 * 1024;

/** readSequentially with the reading and checking on a worker thread; decoding stays here. */
function readOnThread(medium: MediumFile, options: ReadOptions): Promise<StreamReadResult> {
  const reader = new SequentialReader(options);
  const worker = new Worker(new URL("./reader-worker.js", import.meta.url), {
    workerData: { path: medium.path, blockSize: medium.blockSize, blockCount: medium.blockCount, batchBytes: BATCH_BYTES, batches: 2, trustBlocks: options.trustBlocks ?? false },
  });
  return new Promise<StreamReadResult>((resolveRead, reject) => {
    let isSettled = false;
    const fail = (error: unknown): void => {
      if (isSettled) return;
      isSettled = true;
      void worker.terminate();
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    worker.on("error", fail);
    worker.on("message", (m: { batch?: ArrayBuffer; length?: number; records?: ArrayBuffer[]; end?: boolean; blocks?: number }) => {
      if (isSettled) return;
      try {
        if (m.end === true) {
          isSettled = true;
          void worker.terminate();
          resolveRead(reader.endThreaded(m.blocks ?? 0));
          return;
        }
        const batch = Buffer.from(m.batch!);
        for (const event of readBatch(batch, m.length!)) {
          if (event.kind === 1) reader.record(event.record, event.streamOffset);
          else if (event.kind === 2) reader.loss(event.from, event.to, event.reason);
          else if (event.kind === 3) reader.damagedBlock(event.value);
          else if (event.kind === 5) reader.record(new Uint8Array(m.records![event.index]!, 0, event.length), event.streamOffset);
          else reader.otherStream();
        }
        const records = m.records ?? [];
        if (m.batch!.byteLength === BATCH_BYTES) worker.postMessage({ give: m.batch, records }, [m.batch!, ...records]);
      } catch (error) {
        fail(error);
      }
    });
  });
}
