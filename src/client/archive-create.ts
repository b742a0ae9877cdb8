import { closeSync, constants, openSync, readSync } from "node:fs";
import {
  BlockPacker,
  CHUNK_CAPACITY,
  RECORD_HEADER_SIZE,
  type Entry,
  EntryType,
  type ExtendedAttribute,
  idToString,
  makeLabelBlock,
  SealingSink,
  StreamEncoder,
  type StreamTrailer,
} from "../format/index.js";
import type { BlockOutput } from "./block-output.js";
import { BufferRecycler } from "./buffer-recycler.js";
import { displayPath, errnoCode, reasonOf } from "./errors.js";
import { newStreamEncryption, nodeCodecs } from "./node-codecs.js";
import { OwnerNames } from "./owner-names.js";
import { PackingSealingSink } from "./packing-sealing-sink.js";
import { ParallelSealingSink } from "./parallel-sealing-sink.js";
import { posix } from "./posix.js";
import type { Reporter } from "./reporter.js";
import { deviceNumbers, readLinkTarget, type SourceItem, walkSources } from "./source-tree.js";

export const DEFAULT_BLOCK_SIZE = 64 * 1024;
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW;

export interface CreateOptions {
  root: string;
  paths: readonly string[];
  excludes: readonly string[];
  compression: "none" | "zstd";
  level: number;
  passphrase: string | null;
  blockSize: number;
  output: BlockOutput;
  reporter: Reporter;
  /** The time written into the label and head (the caller's clock). */
  now: Date;
  /** 16 random bytes for medium and stream ids. */
  randomId: () => Uint8Array;
  descriptor?: Record<string, unknown>;
  /** Threads that compress and encrypt chunks (0 or 1: on the calling thread). */
  threads?: number;
  /** Walk the tree once first to know the totals for progress (an ETA on a terminal). */
  estimateTotals?: boolean;
  /** Where written blocks come back for reuse (the output's recycler), if anywhere. */
  blockRecycler?: BufferRecycler;
  /** The archive file's own inode, when it is a file that the walk might meet. */
  skip?: { dev: number; ino: number };
}

export interface CreateSummary {
  streamId: string;
  entries: number;
  dataBytes: number;
  archiveBytes: number;
  errors: number;
  trailer: StreamTrailer;
}

/** Creates an archive: a medium holding one stream of the given paths (format.md §8). */
export async function createArchive(options: CreateOptions): Promise<CreateSummary> {
  const codecs = nodeCodecs(options.level);
  const mediumId = options.randomId();
  const streamId = options.randomId();
  const createdAt = options.now.toISOString();
  options.output.write(makeLabelBlock({ mediumId, blockSize: options.blockSize, checksum: codecs.checksum, label: { label: "archive", pool: null, createdAt, writer: "reel 0.1.0" } }));
  let nextBlock = 1;
  const blocks = options.blockRecycler ?? new BufferRecycler(options.blockSize);
  const frames = new BufferRecycler(RECORD_HEADER_SIZE + CHUNK_CAPACITY);
  const packer = new BlockPacker({
    mediumId, streamId, blockSize: options.blockSize, checksum: codecs.checksum,
    nextBlockNumber: () => nextBlock++,
    emit: (block) => options.output.write(block),
    allocate: (size) => (size === blocks.size ? blocks.take() : Buffer.allocUnsafeSlow(size)),
  });
  // A record is copied into blocks at once: its memory can be used for the next chunk.
  const pack = (record: Uint8Array): void => {
    packer.append(record);
    frames.give(record.buffer);
  };
  const encryption = options.passphrase === null ? null : newStreamEncryption(options.passphrase, streamId);
  const seal = { compress: options.compression === "zstd", key: encryption?.key ?? null };
  const threads = options.threads ?? 0;
  // Compression and encryption get every thread; a checksum alone gets one, off this thread.
  const sealThreads = seal.compress || seal.key !== null ? threads : Math.min(threads, 1);
  const recycleFrame = (frame: ArrayBuffer): void => frames.give(frame);
  // One sealing thread also packs the blocks: this thread then only reads files.
  const packing = sealThreads === 1 && threads > 1
    ? new PackingSealingSink(options.level, codecs, { ...seal, mediumId, streamId, blockSize: options.blockSize }, (block) => options.output.write(block), recycleFrame)
    : null;
  if (packing !== null) blocks.sendTo((memory) => packing.giveBack(memory));
  const parallel = packing ?? (sealThreads > 1 ? new ParallelSealingSink(sealThreads, options.level, codecs, seal, pack, recycleFrame) : null);
  const sink = parallel ?? new SealingSink(codecs, seal, pack);
  const encoder = new StreamEncoder({
    head: { format: 1, streamId: idToString(streamId), createdAt, compression: options.compression, encryption: encryption?.parameters ?? null, descriptor: { ...(encryption === null ? { paths: [...options.paths] } : {}), ...options.descriptor } },
    sink,
    allocate: (size) => (size === frames.size ? frames.take() : Buffer.allocUnsafeSlow(size)),
  });
  const totals = options.estimateTotals === true ? estimateTotals(options) : null;
  // Memory stays bounded: reading waits while the writer or the sealing threads are behind.
  const backpressure = async (): Promise<void> => {
    if (options.output.isBusy) await options.output.ready();
    if (parallel?.isBusy === true) await parallel.ready();
  };
  const state = new CreateState(encoder, options.reporter, totals, backpressure);
  const walk = { root: options.root, paths: options.paths, excludes: options.excludes, ...(options.skip === undefined ? {} : { skip: options.skip }) };
  for (const item of walkSources({ ...walk, warnings: { warn: (k, m) => options.reporter.warn(k, m), error: (_p, m) => state.fail(m) } })) {
    await state.add(item);
    await state.backpressure();
  }
  let trailer: StreamTrailer;
  try {
    trailer = await encoder.finish();
  } finally {
    await parallel?.close();
  }
  packer.finish();
  await options.output.close();
  return { streamId: idToString(streamId), entries: trailer.entryCount, dataBytes: trailer.dataBytes, archiveBytes: options.output.bytesWritten, errors: state.errors, trailer };
}

class CreateState {
  readonly #encoder: StreamEncoder;
  readonly #reporter: Reporter;
  readonly #names = new OwnerNames();
  #files = 0;
  #bytes = 0;
  errors = 0;

  readonly #totals: { totalBytes: number; totalFiles: number } | null;
  #reportedBytes = 0;

  readonly backpressure: () => Promise<void>;

  constructor(encoder: StreamEncoder, reporter: Reporter, totals: { totalBytes: number; totalFiles: number } | null, backpressure: () => Promise<void>) {
    this.#encoder = encoder;
    this.#reporter = reporter;
    this.#totals = totals;
    this.backpressure = backpressure;
  }

  #progress(): void {
    this.#reportedBytes = this.#bytes;
    this.#reporter.progress({ files: this.#files, bytes: this.#bytes, ...this.#totals });
  }

  fail(message: string): void {
    this.errors++;
    this.#reporter.error(message);
  }

  async add(item: SourceItem): Promise<void> {
    const s = item.stat;
    const entry: Entry = {
      number: 0,
      type: item.type,
      isSparse: false,
      mode: s.mode & 0o7777,
      uid: s.uid,
      gid: s.gid,
      size: item.type === EntryType.file || item.type === EntryType.hardlink ? s.size : 0,
      mtimeSec: s.mtimeSec,
      mtimeNsec: s.mtimeNsec,
      atimeSec: s.atimeSec,
      atimeNsec: s.atimeNsec,
      path: item.path,
      linkTarget: item.hardlinkTarget,
      userName: this.#names.userName(s.uid),
      groupName: this.#names.groupName(s.gid),
      device: item.type === EntryType.charDevice || item.type === EntryType.blockDevice ? deviceNumbers(s.rdev) : null,
      xattrs: [],
      unknownCriticalTags: [],
    };
    try {
      if (item.type === EntryType.symlink) entry.linkTarget = readLinkTarget(item.fsPath);
      if (item.type !== EntryType.hardlink) entry.xattrs = this.#xattrs(item);
    } catch (error) {
      this.fail(`Cannot read "${displayPath(item.path)}": ${reasonOf(error)}`);
      return;
    }
    if (item.type === EntryType.file) {
      await this.#addFile(item, entry);
    } else {
      this.#encoder.addEntry(entry);
    }
    this.#files++;
    if ((this.#files & 255) === 0 || this.#bytes - this.#reportedBytes > 16 * 1024 * 1024) this.#progress();
  }

  #progressWith(pending: number): void {
    this.#reportedBytes = this.#bytes + pending;
    this.#reporter.progress({ files: this.#files, bytes: this.#bytes + pending, ...this.#totals });
  }

  #xattrs(item: SourceItem): ExtendedAttribute[] {
    if (item.stat.xattrBytes === 0) return [];
    let names: Buffer[];
    try {
      names = posix.llistxattr(item.fsPath);
    } catch (error) {
      if (errnoCode(error) === "ENOTSUP" || errnoCode(error) === "EOPNOTSUPP") return [];
      throw error;
    }
    if (names.length === 0) return [];
    return names.map((name) => ({ name, value: posix.lgetxattr(item.fsPath, name) }));
  }

  async #addFile(item: SourceItem, entry: Entry): Promise<void> {
    const size = entry.size;
    const isSparse = size > 0 && item.stat.blocks * 512 < size;
    // Small, dense files: one call opens, reads and closes, straight into the chunk.
    if (!isSparse && size > 0 && size <= 64 * 1024) {
      this.#encoder.addEntry(entry);
      const region = this.#encoder.dataRegion(0, size);
      if (region.capacity === size) {
        let n: number;
        try {
          n = posix.readFileInto(item.fsPath, region.bytes, region.start, size);
        } catch (error) {
          this.#encoder.commitData(0);
          this.#readFailed(item, entry, 0, error);
          return;
        }
        if (n < size) {
          // Shrank while read; keep the entry's size, as tar does.
          this.#reporter.warn("changed", `"${displayPath(item.path)}": file shrank while read; padded with zeros`);
          region.bytes.fill(0, region.start + n, region.start + size);
        }
        this.#encoder.commitData(size);
        this.#bytes += size;
        return;
      }
      this.#encoder.commitData(0);
      await this.#streamFile(item, entry, false, true);
      return;
    }
    await this.#streamFile(item, entry, isSparse, false);
  }

  async #streamFile(item: SourceItem, entry: Entry, isSparse: boolean, isEntryWritten: boolean): Promise<void> {
    let fd: number;
    try {
      fd = openSync(item.fsPath, READ_FLAGS);
    } catch (error) {
      if (isEntryWritten) this.#readFailed(item, entry, 0, error);
      else this.fail(`Cannot open "${displayPath(item.path)}": ${reasonOf(error)}`);
      return;
    }
    try {
      const ranges = isSparse ? dataRanges(fd, entry.size) : null;
      entry.isSparse = ranges !== null;
      if (!isEntryWritten) this.#encoder.addEntry(entry);
      let done = 0;
      for (const [start, length] of ranges ?? [[0, entry.size] as const]) {
        let at = start;
        while (at < start + length) {
          const region = this.#encoder.dataRegion(at, start + length - at);
          let n: number;
          try {
            n = readSync(fd, region.bytes, region.start, region.capacity, at);
          } catch (error) {
            this.#encoder.commitData(0);
            this.#readFailed(item, entry, at, error);
            return;
          }
          if (n < region.capacity) {
            this.#reporter.warn("changed", `"${displayPath(item.path)}": file shrank while read; padded with zeros`);
            region.bytes.fill(0, region.start + n, region.start + region.capacity);
          }
          this.#encoder.commitData(region.capacity);
          at += region.capacity;
          done += region.capacity;
          if (this.#bytes + done - this.#reportedBytes > 16 * 1024 * 1024) this.#progressWith(done);
          await this.backpressure();
        }
      }
      this.#bytes += done;
    } finally {
      closeSync(fd);
    }
  }

  /** A read error after the entry went out: the rest of the file becomes zeros and the error is reported. */
  #readFailed(item: SourceItem, entry: Entry, at: number, error: unknown): void {
    this.fail(`Cannot read "${displayPath(item.path)}" at byte ${at}: ${reasonOf(error)}; the archived copy is zero-filled from there`);
    const zeros = Buffer.alloc(Math.min(1024 * 1024, Math.max(0, entry.size - at)));
    for (let offset = at; offset < entry.size; ) {
      const n = Math.min(zeros.length, entry.size - offset);
      this.#encoder.addData(offset, zeros.subarray(0, n));
      offset += n;
    }
  }
}

/** The data ranges of a sparse file by SEEK_DATA/SEEK_HOLE; null when the file system cannot tell. */
function dataRanges(fd: number, size: number): Array<readonly [number, number]> | null {
  const ranges: Array<readonly [number, number]> = [];
  let at = 0;
  try {
    while (at < size) {
      const data = posix.seekData(fd, at);
      if (data < 0 || data >= size) break;
      let hole = posix.seekHole(fd, data);
      if (hole < 0 || hole > size) hole = size;
      ranges.push([data, hole - data]);
      at = hole;
    }
  } catch {
    return null;
  }
  return ranges;
}


/** A first walk that only adds up sizes: totals for an ETA. */
function estimateTotals(options: CreateOptions): { totalBytes: number; totalFiles: number } {
  let totalBytes = 0;
  let totalFiles = 0;
  const quiet = { warn: () => {}, error: () => {} };
  for (const item of walkSources({ root: options.root, paths: options.paths, excludes: options.excludes, warnings: quiet })) {
    totalFiles++;
    if (item.type === EntryType.file) totalBytes += item.stat.size;
  }
  return { totalBytes, totalFiles };
}
