import { closeSync, constants, openSync, readSync } from "node:fs";
import { type Entry, EntryType, type ExtendedAttribute, type StreamEncoder } from "../format/index.js";
import { displayPath, errnoCode, reasonOf } from "./errors.js";
import { OwnerNames } from "./owner-names.js";
import { posix } from "./posix.js";
import type { Reporter } from "./reporter.js";
import { deviceNumbers, readLinkTarget, type SourceItem } from "./source-tree.js";

const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW;

/**
 * Reads one walked object into a stream: builds its entry (owner names, symlink target, extended
 * attributes), then its data, read straight into the encoder's chunks (sparse files by their data
 * ranges). Per-object failures are reported and counted; the walk goes on. Shared by
 * `reel archive create` and the network backup engine.
 */
export class SourceReader {
  readonly #encoder: StreamEncoder;
  readonly #reporter: Reporter;
  readonly #names = new OwnerNames();
  #files = 0;
  #bytes = 0;
  errors = 0;

  readonly #totals: { totalBytes: number; totalFiles: number } | null;
  #reportedBytes = 0;

  readonly backpressure: () => Promise<void>;
  readonly #onEntry: ((entry: Entry, item: SourceItem) => void) | null;

  /**
   * `backpressure` is awaited between files and between pieces of large files; `onEntry` hears
   * of each ENTRY item right after it went into the stream (`encoder.lastLocation` says where).
   */
  constructor(
    encoder: StreamEncoder,
    reporter: Reporter,
    totals: { totalBytes: number; totalFiles: number } | null,
    backpressure: () => Promise<void>,
    onEntry: ((entry: Entry, item: SourceItem) => void) | null = null,
  ) {
    this.#encoder = encoder;
    this.#reporter = reporter;
    this.#totals = totals;
    this.backpressure = backpressure;
    this.#onEntry = onEntry;
  }

  /** Entries written so far. */
  get files(): number {
    return this.#files;
  }

  /** File data bytes read so far. */
  get bytes(): number {
    return this.#bytes;
  }

  #addEntry(entry: Entry, item: SourceItem): void {
    this.#encoder.addEntry(entry);
    this.#onEntry?.(entry, item);
  }

  #progress(): void {
    this.#reportedBytes = this.#bytes;
    this.#reporter.progress({ files: this.#files, bytes: this.#bytes, ...this.#totals });
  }

  fail(message: string): void {
    this.errors++;
    this.#reporter.error(message);
  }

  /** Adds one object: its entry and, for a file, its data. */
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
      this.#addEntry(entry, item);
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
      this.#addEntry(entry, item);
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
      if (!isEntryWritten) this.#addEntry(entry, item);
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
