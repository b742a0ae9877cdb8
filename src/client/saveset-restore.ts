import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { BugError } from "../errors/index.js";
import { FileWriterPool } from "./file-writer-pool.js";
import { nodeCodecs } from "./node-codecs.js";
import type { Overwrite } from "./replace-policy.js";
import type { Reporter } from "./reporter.js";
import { Restorer } from "./restorer.js";
import { Selection } from "./selection.js";
import { StreamRestore, type StreamRestoreResult } from "./stream-restore.js";

export type { Overwrite } from "./replace-policy.js";
export type { StreamRestoreResult } from "./stream-restore.js";

export interface SavesetRestoreOptions {
  /** The restore root: stored "home/a/x" goes to `${target}/home/a/x`; "/" restores in place. Made if missing. */
  target: string;
  /** Stored paths to restore (a directory selects its subtree); empty: everything. */
  selection: readonly Uint8Array[];
  /** Objects already there (before this restore): replace them always, never, or when older (mtime) than the saved ones. */
  overwrite: Overwrite;
  /** Owners by number, not by name. */
  numericOwner: boolean;
  /** Asked once per encrypted stream. */
  passphrase: () => string | null;
  reporter: Reporter;
  /** Threads that write small files when everything is restored (0, the default: none), as `reel archive extract` has. */
  threads?: number;
}

/**
 * Restores saveset streams whose records come one by one (from a storage node), into a target
 * directory, safely as `reel archive extract` does (format.md §5.5: never outside the target,
 * never through a symlink, damaged files never left in place as if good) and as faithfully
 * (hard links, holes, xattrs and ACLs, owners, ns times, directories set after their contents).
 * Several streams may follow one another (a full, then a differential, then incrementals):
 * later streams replace what earlier ones wrote and apply their DELETED items (format.md §5.6);
 * directories they change without restoring keep their mode and times.
 */
export class SavesetRestore {
  readonly #o: SavesetRestoreOptions;
  readonly #target: string;
  readonly #selection: Selection;
  readonly #restorer: Restorer;
  readonly #codecs = nodeCodecs();
  readonly #pool: FileWriterPool | undefined;
  #stream: StreamRestore | null = null;
  /** What made the current stream fail: its later records are refused, its end reports nothing more. */
  #failure: Error | null = null;
  #isTargetReady = false;
  #isClosed = false;

  constructor(o: SavesetRestoreOptions) {
    this.#o = o;
    this.#target = resolve(o.target);
    this.#selection = new Selection(o.selection);
    const isEverything = this.#selection.isEverything;
    this.#pool = isEverything && (o.threads ?? 0) > 0 ? new FileWriterPool(o.threads ?? 0) : undefined;
    this.#restorer = new Restorer({
      dest: Buffer.from(this.#target), numericOwner: o.numericOwner, isRoot: process.geteuid?.() === 0, reporter: o.reporter,
      overwrite: o.overwrite, keepDirectoryTimes: true,
      ...(isEverything ? {} : { select: (path: Uint8Array) => this.#selection.matches(path) }),
      ...(this.#pool === undefined ? {} : { pool: this.#pool }),
    });
  }

  #current(): StreamRestore {
    if (this.#isClosed) throw new BugError("SavesetRestore used after close()");
    if (!this.#isTargetReady) {
      mkdirSync(this.#target, { recursive: true, mode: 0o700 });
      this.#isTargetReady = true;
    }
    this.#stream ??= new StreamRestore(this.#restorer, this.#selection, this.#codecs, this.#o.passphrase, this.#o.reporter);
    return this.#stream;
  }

  /**
   * Takes the next record of the current stream, in sequence order. When seeking, the HEAD
   * (sequence 0) comes first, then the records from a later chunk on. The record is not kept:
   * its memory may be reused once the promise resolves. Rejects with FORMAT_PASSPHRASE_REQUIRED
   * or FORMAT_WRONG_PASSPHRASE (before anything is written) or FORMAT_UNSUPPORTED_VERSION.
   */
  push(record: Uint8Array): Promise<void> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    try {
      this.#current().push(record);
      return Promise.resolve();
    } catch (error) {
      this.#failure = error instanceof Error ? error : new BugError(String(error));
      return Promise.reject(this.#failure);
    }
  }

  /**
   * Ends the current stream (all its records pushed, or the sender can send no more): finishes
   * the last file, sets directory modes and times, reports problems. The next push starts the
   * next stream of the chain. `isPartial`: the sender stopped on purpose before the trailer.
   */
  endStream(isPartial = false): Promise<StreamRestoreResult> {
    const isFailed = this.#failure !== null;
    this.#failure = null;
    try {
      const result = this.#current().end(isFailed, isPartial);
      return Promise.resolve(result);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new BugError(String(error)));
    } finally {
      this.#stream = null;
    }
  }

  /** Ends the restore (and a stream still open); stops the writer threads. */
  async close(): Promise<void> {
    if (this.#isClosed) return;
    try {
      if (this.#stream !== null) await this.endStream();
    } finally {
      this.#isClosed = true;
      await this.#pool?.close();
    }
  }
}
