import { lstatSync } from "node:fs";
import { type Entry, EntryType, HEADROOM_BYTES, type ItemLocation, StreamEncoder, type StreamTrailer } from "../format/index.js";
import { ChangeTracker, entrySize, nanoseconds, pathKey, type PreviousFile } from "./change-tracker.js";
import { clientError, errnoCode } from "./errors.js";
import { type IndexedFile, PendingRows } from "./file-index.js";
import { RecordSender } from "./record-sender.js";
import type { Reporter } from "./reporter.js";
import { SourceReader } from "./source-reader.js";
import { type SourceItem, storedPathOf, walkSources } from "./source-tree.js";
import { sealingSink, streamSetup } from "./stream-setup.js";

export type { IndexedFile } from "./file-index.js";
export type { PreviousFile } from "./change-tracker.js";

export interface SavesetBackupOptions {
  /** Absolute paths on this machine ("/home/a", "/etc/hosts"), stored relative to "/" ("home/a/…"), like `tar -C / home/a`. */
  paths: readonly string[];
  /** Exclusion patterns, as `reel archive create --exclude`. */
  excludes: readonly string[];
  level: "full" | "diff" | "incr";
  /** State as of the base saveset (null for a full), keyed by the stored path's bytes as latin1 (`Buffer.from(path).toString("latin1")`). */
  previous: ReadonlyMap<string, PreviousFile> | null;
  compression: "none" | "zstd";
  compressionLevel: number;
  passphrase: string | null;
  streamId: Uint8Array;
  /** Facts about the saveset for the HEAD (format.md §4.2), which is never encrypted: no secrets here. */
  descriptor: Record<string, unknown>;
  /** The time written into the HEAD. */
  now: Date;
  /** Threads that compress and encrypt chunks, as in `reel archive create` (0 or 1: this thread). */
  threads?: number;
  /**
   * Takes each sealed record (format.md §4.1: checksummed, compressed and encrypted as set), one
   * at a time, in sequence order; the next comes only after the returned promise resolved. The
   * record's memory is reused once that promise resolved: a sender that keeps it longer copies it.
   */
  send(record: Uint8Array): void | Promise<void>;
  /** File-index rows, in stream order and in batches, once their chunks are sealed (so their offsets are known); tombstones too. */
  index(rows: IndexedFile[]): void | Promise<void>;
  reporter: Reporter;
}

export interface SavesetBackupSummary {
  trailer: StreamTrailer;
  /** Entries written. */
  files: number;
  /** File data bytes written. */
  bytes: number;
  /** Objects that could not be read (each reported). */
  errors: number;
  /** Paths of the base that are gone (each has a tombstone row). */
  deleted: number;
  /** Objects not written because they did not change since the base. */
  unchanged: number;
}

const INDEX_BATCH = 1024;
/** Unchanged objects in a row before the walk lets other work (the network) run. */
const YIELD_EVERY = 8192;

/**
 * Backs up paths of this machine into the records of one saveset stream (format.md §4: HEAD,
 * CHUNKs, INDEX, TRAILER) and hands them to `send`; the storage node packs them into blocks.
 * An incremental or differential writes only what is new or changed by lstat data (type, size,
 * mtime, ctime, inode: no file is opened for an unchanged one) and records the paths that are
 * gone as DELETED items (format.md §5.6), so that media alone restore the chain.
 */
export async function backupSaveset(o: SavesetBackupOptions): Promise<SavesetBackupSummary> {
  const roots = o.paths.map(rootOf);
  // Headroom: records go to the network with the wire's frame header written in front of them.
  const setup = streamSetup({ streamId: o.streamId, compression: o.compression, level: o.compressionLevel, passphrase: o.passphrase, threads: o.threads ?? 0, headroom: HEADROOM_BYTES });
  const sender = new RecordSender((record) => o.send(record), (memory) => setup.frames.give(memory));
  const { sink, parallel } = sealingSink(setup, o.compressionLevel, (record) => sender.put(record));
  try {
    const encoder = new StreamEncoder({ head: setup.head(o.now.toISOString(), o.descriptor), sink, allocate: setup.allocate });
    const run = new BackupRun(o, encoder, new PendingRows(sink.ledger), new ChangeTracker(o.level === "full" ? null : o.previous, roots.map((r) => r.stored)));
    const backpressure = async (): Promise<void> => {
      if (sender.isBusy) await sender.ready();
      if (parallel?.isBusy === true) await parallel.ready();
      await run.flushRows(INDEX_BATCH);
    };
    const reader = new SourceReader(encoder, o.reporter, null, backpressure, (entry, item) => run.entryWritten(entry, item));
    await run.walk(roots, reader);
    const deleted = run.writeDeletions();
    const trailer = await encoder.finish();
    await sender.drain();
    await run.flushRows(1);
    return { trailer, files: reader.files, bytes: reader.bytes, errors: reader.errors, deleted, unchanged: run.unchanged };
  } catch (error) {
    // Nothing more goes out after a failure, whatever it was.
    sender.abort(error instanceof Error ? error : new Error(String(error)));
    throw error;
  } finally {
    await parallel?.close();
  }
}

interface Root {
  /** The walk's argument: the path relative to "/". */
  arg: string;
  stored: Buffer;
}

function rootOf(path: string): Root {
  if (!path.startsWith("/")) throw clientError("CLIENT_BAD_PATH", `Cannot back up "${path}": give an absolute path`, { path });
  const arg = path.replace(/^\/+/, "");
  return { arg, stored: storedPathOf(arg, { warn: () => {}, error: () => {} }) };
}

/** The state of one backup: which objects to write, hard links among them, index rows. */
class BackupRun {
  readonly #o: SavesetBackupOptions;
  readonly #encoder: StreamEncoder;
  readonly #rows: PendingRows;
  readonly #changes: ChangeTracker;
  /** The first written path of each multiply-linked inode ("dev:ino"). */
  readonly #links = new Map<string, Buffer>();
  /** Where the DELETED item of each path that has one went. */
  readonly #deletedAt = new Map<string, ItemLocation>();
  unchanged = 0;

  constructor(o: SavesetBackupOptions, encoder: StreamEncoder, rows: PendingRows, changes: ChangeTracker) {
    this.#o = o;
    this.#encoder = encoder;
    this.#rows = rows;
    this.#changes = changes;
  }

  async walk(roots: readonly Root[], reader: SourceReader): Promise<void> {
    // A root that is gone since the base is a deletion, not an error.
    const args = roots.filter((r) => !(this.#changes.wasThere(pathKey(r.stored)) && isMissing(`/${r.arg}`))).map((r) => r.arg || ".");
    const warnings = {
      warn: (kind: string, message: string) => this.#o.reporter.warn(kind, message),
      error: (path: Buffer, message: string) => {
        this.#changes.unreadable(path);
        reader.fail(message);
      },
    };
    let quiet = 0;
    for (const item of walkSources({ root: "/", paths: args, excludes: this.#o.excludes, warnings })) {
      const key = pathKey(item.path);
      if (this.#changes.check(item, key) === "unchanged") {
        this.unchanged++;
        if (++quiet % YIELD_EVERY === 0) await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      if (this.#changes.replacesDirectory(item, key)) this.#deleted(item.path, EntryType.directory, true);
      await reader.add(this.#linked(item));
      await reader.backpressure();
    }
  }

  /**
   * Hard links among the objects written: the first written name of an inode is its file, the
   * others link to it (a name whose first was unchanged, and so not written, becomes the file).
   */
  #linked(item: SourceItem): SourceItem {
    if ((item.type !== EntryType.file && item.type !== EntryType.hardlink) || item.stat.nlink < 2) return item;
    const inode = `${item.stat.dev}:${item.stat.ino}`;
    const first = this.#links.get(inode);
    if (first === undefined) {
      this.#links.set(inode, item.path);
      return item.type === EntryType.file ? item : { ...item, type: EntryType.file, hardlinkTarget: null };
    }
    return { ...item, type: EntryType.hardlink, hardlinkTarget: first };
  }

  entryWritten(entry: Entry, item: SourceItem): void {
    const s = item.stat;
    const row: IndexedFile = {
      path: entry.path, type: entry.type, size: entrySize(item), mode: entry.mode,
      mtimeNs: nanoseconds(s.mtimeSec, s.mtimeNsec), ctimeNs: nanoseconds(s.ctimeSec, s.ctimeNsec), inode: s.ino,
      chunkOffset: 0, itemOffset: 0, deleted: false,
    };
    if (entry.type === EntryType.hardlink && entry.linkTarget !== null) row.linkTarget = entry.linkTarget;
    this.#rows.add(row, this.#encoder.lastLocation);
  }

  /**
   * A tombstone row for `path`, and its DELETED item when `withItem`; a path without an item of
   * its own points at the item of its deleted ancestor.
   */
  #deleted(path: Buffer, type: number, withItem: boolean): void {
    const key = pathKey(path);
    let at: ItemLocation | undefined;
    if (withItem) {
      this.#encoder.addDeleted(path);
      at = this.#encoder.lastLocation;
      this.#deletedAt.set(key, at);
    } else {
      for (let cut = key.lastIndexOf("/"); cut > 0 && at === undefined; cut = key.lastIndexOf("/", cut - 1)) at = this.#deletedAt.get(key.slice(0, cut));
    }
    const row: IndexedFile = { path, type, size: 0, mode: 0, mtimeNs: 0n, ctimeNs: 0n, inode: 0, chunkOffset: 0, itemOffset: 0, deleted: true };
    this.#rows.add(row, at ?? this.#encoder.lastLocation);
  }

  /** Writes the deletions found by the walk; returns how many paths are gone. */
  writeDeletions(): number {
    const gone = this.#changes.deletions();
    for (const { key, needsItem } of gone) this.#deleted(Buffer.from(key, "latin1"), this.#o.previous?.get(key)?.type ?? 0, needsItem);
    return gone.length;
  }

  /** Hands over the sealed rows when there are at least `minimum`. */
  async flushRows(minimum: number): Promise<void> {
    if (!this.#rows.hasReady(minimum)) return;
    const rows = this.#rows.take();
    if (rows.length > 0) await this.#o.index(rows);
  }
}

function isMissing(path: string): boolean {
  try {
    lstatSync(path);
    return false;
  } catch (error) {
    return errnoCode(error) === "ENOENT";
  }
}
