import {
  closeSync, constants, fchmodSync, fchownSync, ftruncateSync, lchownSync, linkSync, lstatSync, mkdirSync, openSync,
  renameSync, rmdirSync, symlinkSync, unlinkSync, writeSync, chmodSync,
} from "node:fs";
import { DirectoryTimes } from "./directory-times.js";
import { removePath } from "./remove-path.js";
import { type Overwrite, ReplacePolicy } from "./replace-policy.js";
import { type DataItem, type Entry, EntryType, pathProblem } from "../format/index.js";
import { SafeTree } from "./safe-tree.js";
import { directoryKey, pathHash } from "./path-hash.js";
import type { SmallFileJob } from "./file-writer-batch.js";
import type { FileWriterPool } from "./file-writer-pool.js";
import { displayPath, errnoCode, reasonOf } from "./errors.js";
import { RestoreMetadata } from "./restore-metadata.js";
import { posix } from "./posix.js";
import type { Reporter } from "./reporter.js";

const S_IFIFO = 0o010000, S_IFCHR = 0o020000, S_IFBLK = 0o060000;
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
export const DAMAGED_SUFFIX = ".reel-damaged";
const PROC_FD = Buffer.from("/proc/self/fd/");

export interface RestorerOptions {
  /** The destination directory, absolute, as bytes. */
  dest: Buffer;
  numericOwner: boolean;
  /** Restore owners and device nodes (only root can). */
  isRoot: boolean;
  reporter: Reporter;
  /** Only entries for which this returns true are restored (selection by path). */
  select?: (path: Uint8Array) => boolean;
  /** Threads that write small files; without it every file is written on the calling thread. */
  pool?: FileWriterPool;
  /** What to do with objects already there (default "always": replace them). Paths this restorer wrote are always replaced. */
  overwrite?: Overwrite;
  /** Set back the mode and times of directories changed without being restored (later streams of a chain, in-place restores). */
  keepDirectoryTimes?: boolean;
}

interface OpenFile {
  entry: Entry;
  rel: Buffer;
  fsPath: Buffer;
  fd: number;
  /** Next byte expected for a dense file. */
  nextOffset: number;
  isDone: boolean;
  isDamaged: boolean;
  damage: string;
  /** Ranges of it went to the writer threads: only they may close it, or it is released first. */
  isPooled?: boolean;
}

interface DeferredDirectory {
  rel: Buffer;
  entry: Entry;
}

export interface RestoreCounts {
  restored: number;
  damaged: number;
  failed: number;
  /** Not selected, device nodes without root, or kept by the overwrite policy. */
  skipped: number;
  /** Paths removed by DELETED items (format.md §5.6). */
  removed: number;
}

/**
 * Writes entries and their data under a destination directory, safely (format.md §5.5): never
 * outside it, never through a symlink (the archive's own or one already there), directories'
 * modes and times set after their contents, damaged files never left in place as if good.
 */
export class Restorer {
  readonly #o: RestorerOptions;
  readonly #tree: SafeTree;
  readonly #deferred: DeferredDirectory[] = [];
  #file: OpenFile | null = null;
  readonly counts: RestoreCounts = { restored: 0, damaged: 0, failed: 0, skipped: 0, removed: 0 };
  /** Files this extraction wrote, as 53-bit hashes of their paths (memory stays small for millions of files). */
  readonly #extractedFiles = new Set<number>();
  /** Files queued on writer threads since the last drain. */
  #queued = 0;

  readonly #policy: ReplacePolicy;
  readonly #meta: RestoreMetadata;
  readonly #times: DirectoryTimes | null;

  constructor(options: RestorerOptions) {
    this.#o = options;
    this.#tree = new SafeTree(options.dest);
    this.#meta = new RestoreMetadata(options.numericOwner, options.reporter);
    this.#policy = new ReplacePolicy(options.overwrite ?? "always");
    this.#times = options.keepDirectoryTimes === true ? new DirectoryTimes(options.isRoot) : null;
  }

  /** Notes the directory holding `rel` before it changes (when keeping directory times). */
  #touchParent(rel: Buffer): void {
    if (this.#times === null || rel.length === 0) return;
    const end = rel.lastIndexOf(0x2f);
    const parent = end < 0 ? Buffer.alloc(0) : rel.subarray(0, end);
    this.#times.touch(parent, (r) => this.#tree.resolve(r));
  }

  #fail(rel: Uint8Array, message: string): void {
    this.counts.failed++;
    this.#o.reporter.error(`Cannot restore "${displayPath(rel)}": ${message}`);
  }

  /** Starts an entry; its data (files) follows through data(). */
  entry(entry: Entry): void {
    this.#closeFile();
    const problem = pathProblem(entry.path);
    if (problem !== null) {
      this.#fail(entry.path, `unsafe path (${problem}), skipped`);
      return;
    }
    if (entry.unknownCriticalTags.length > 0) {
      this.#fail(entry.path, `entry carries fields this version of reel does not know (tags ${entry.unknownCriticalTags.join(", ")}), skipped`);
      return;
    }
    if (this.#o.select !== undefined && !this.#o.select(entry.path)) {
      this.counts.skipped++;
      return;
    }
    const rel = entry.path.length === 1 && entry.path[0] === 0x2e ? Buffer.alloc(0) : Buffer.from(entry.path);
    if (rel.length === 0 && entry.type !== EntryType.directory) {
      // The destination itself is never replaced (by a symlink, everything after would land where it points).
      this.#fail(entry.path, "the root of an archive must be a directory; refusing to replace the destination");
      return;
    }
    try {
      if (rel.length > 0 && !this.#ensureParents(rel)) return;
      const decision = this.#policy.decide(rel, this.#tree.resolve(rel), entry);
      if (decision !== "replace") {
        if (decision === "keep-directory" && entry.type === EntryType.directory) this.#tree.addDirectory(rel);
        this.counts.skipped++;
        this.#o.reporter.warn("kept", `Objects already there were kept (overwrite: ${this.#policy.overwrite}; first: "${displayPath(entry.path)}")`);
        return;
      }
      this.#touchParent(rel);
      this.#create(entry, rel);
    } catch (error) {
      this.#fail(entry.path, reasonOf(error));
    }
  }

  /**
   * Removes a path the stream says is gone (format.md §5.6): a file, or a directory with its
   * subtree. Never the destination itself, never outside it, never through a symlink (one there
   * is removed itself, not followed); under overwrite "never" or "older" only what this restorer
   * wrote.
   */
  remove(path: Uint8Array): void {
    this.#closeFile();
    const problem = path.length === 1 && path[0] === 0x2e ? "the destination itself" : pathProblem(path);
    if (problem !== null) {
      this.#fail(path, `unsafe path in a deletion (${problem}), not removed`);
      return;
    }
    const rel = Buffer.from(path);
    try {
      if (!this.#ensureParents(rel, path, false)) return;
      const fsPath = this.#tree.resolve(rel);
      const removed = this.#policy.mayRemove(rel) ? removePath(fsPath, () => {
        this.#drain();
        this.#touchParent(rel);
      }) : "kept";
      if (removed === "directory") this.#tree.forget(rel);
      if (removed !== "none" && removed !== "kept") this.counts.removed++;
    } catch (error) {
      this.#fail(path, `cannot remove it: ${reasonOf(error)}`);
    }
  }

  /** Checks every parent of `rel` is a real directory, creating missing ones unless `create` is false; false if refused (reported for `entryPath`) or missing. */
  #ensureParents(rel: Buffer, entryPath: Uint8Array = rel, create = true): boolean {
    const problem = this.#tree.checkParents(rel, create, (prefix) => this.#touchParent(prefix));
    if (problem !== null && problem !== "") this.#fail(entryPath, problem);
    return problem === null;
  }

  /** Removes whatever is at `fsPath` (a non-directory, or an empty directory). */
  #clear(rel: Buffer, fsPath: Buffer): void {
    // Files still queued on writer threads must land first: nothing is replaced under them.
    this.#drain();
    try {
      const s = lstatSync(fsPath);
      if (s.isDirectory()) {
        rmdirSync(fsPath);
        this.#tree.forget(rel);
      } else {
        unlinkSync(fsPath);
      }
    } catch (error) {
      if (errnoCode(error) !== "ENOENT") throw error;
    }
  }



  #create(entry: Entry, rel: Buffer): void {
    const fsPath = this.#tree.resolve(rel);
    switch (entry.type) {
      case EntryType.directory:
        this.#directory(entry, rel, fsPath);
        return;
      case EntryType.file:
        this.#file = { entry, rel, fsPath, fd: -1, nextOffset: 0, isDone: false, isDamaged: false, damage: "" };
        return;
      case EntryType.symlink:
        this.#clear(rel, fsPath);
        symlinkSync(Buffer.from(entry.linkTarget ?? new Uint8Array(0)), fsPath);
        this.#tree.forget(rel);
        this.#finishOther(entry, fsPath, false);
        return;
      case EntryType.hardlink:
        this.#hardlink(entry, rel, fsPath);
        return;
      case EntryType.fifo:
        this.#clear(rel, fsPath);
        posix.mknod(fsPath, S_IFIFO | (entry.mode & 0o777), 0, 0);
        this.#finishOther(entry, fsPath, true);
        return;
      case EntryType.charDevice:
      case EntryType.blockDevice:
        if (!this.#o.isRoot) {
          this.#o.reporter.warn("device", `Device nodes are restored only by root; skipped (first: "${displayPath(entry.path)}")`);
          this.counts.skipped++;
          return;
        }
        this.#clear(rel, fsPath);
        posix.mknod(fsPath, (entry.type === EntryType.charDevice ? S_IFCHR : S_IFBLK) | (entry.mode & 0o777), entry.device?.major ?? 0, entry.device?.minor ?? 0);
        this.#finishOther(entry, fsPath, true);
        return;
    }
  }

  #directory(entry: Entry, rel: Buffer, fsPath: Buffer): void {
    if (rel.length > 0 && !this.#tree.isDirectory(rel)) {
      // Usually the directory is new: create first, look only when something is there.
      try {
        mkdirSync(fsPath, 0o700);
      } catch (error) {
        if (errnoCode(error) !== "EEXIST") throw error;
        const existing = lstatSync(fsPath);
        if (!existing.isDirectory()) {
          this.#clear(rel, fsPath);
          mkdirSync(fsPath, 0o700);
        } else if (!this.#o.isRoot && (existing.mode & 0o300) !== 0o300) {
          // A directory restored read-only earlier (a chain): writable until its mode is set at the end.
          chmodSync(fsPath, existing.mode | 0o700);
        }
      }
      this.#tree.addDirectory(rel);
    }
    if (this.#o.isRoot) lchownSync(fsPath, this.#meta.uid(entry), this.#meta.gid(entry));
    else this.#meta.noteOwner(entry);
    this.#deferred.push({ rel, entry });
    this.counts.restored++;
  }

  #hardlink(entry: Entry, rel: Buffer, fsPath: Buffer): void {
    const target = entry.linkTarget;
    const problem = target === null ? "no target" : pathProblem(target);
    if (problem !== null || target === null) {
      this.#fail(entry.path, `unsafe hard link target (${problem ?? "none"}), skipped`);
      return;
    }
    const targetRel = Buffer.from(target);
    // Only a file this restore wrote may be linked to (format.md §5.2), never one that was there before.
    if (!this.#extractedFiles.has(pathHash(targetRel))) {
      this.#fail(entry.path, this.#o.select !== undefined
        ? `hard link target "${displayPath(target)}" was not extracted; extract it too`
        : `hard link target "${displayPath(target)}" is not a file restored from this archive, skipped`);
      return;
    }
    if (!this.#ensureParents(targetRel, entry.path)) return;
    this.#clear(rel, fsPath);
    this.#drain();
    linkSync(this.#tree.resolve(targetRel), fsPath);
    this.counts.restored++;
  }

  /** Owner, mode, extended attributes and times of a symlink, FIFO or device. */
  #finishOther(entry: Entry, fsPath: Buffer, hasMode: boolean): void {
    if (this.#o.isRoot) lchownSync(fsPath, this.#meta.uid(entry), this.#meta.gid(entry));
    else this.#meta.noteOwner(entry);
    if (hasMode) chmodSync(fsPath, entry.mode);
    this.#meta.setXattrs(entry, fsPath);
    posix.lutimens(fsPath, entry.atimeSec, entry.atimeNsec, entry.mtimeSec, entry.mtimeNsec);
    this.counts.restored++;
  }

  /** Data of the current file entry. */
  data(item: DataItem): void {
    const f = this.#file;
    if (f === null || f.isDone || item.entryNumber !== f.entry.number) return;
    try {
      if (!f.entry.isSparse && item.fileOffset !== f.nextOffset) {
        this.markDamaged(`data from byte ${f.nextOffset} to ${item.fileOffset} missing`);
      }
      if (f.fd < 0) {
        if (!f.isDamaged && !f.entry.isSparse && item.fileOffset === 0 && item.data.length === f.entry.size && f.entry.xattrs.length === 0) {
          this.#writeWhole(f, item.data);
          return;
        }
        f.fd = this.#openFile(f);
      }
      if (this.#isPoolable(f)) {
        this.#o.pool!.write({ kind: "range", fd: f.fd, offset: item.fileOffset, data: item.data, fsPath: f.fsPath }, directoryKey(f.rel));
        f.isPooled = true;
        this.#queued++;
      } else {
        let done = 0;
        while (done < item.data.length) done += writeSync(f.fd, item.data, done, item.data.length - done, item.fileOffset + done);
      }
      f.nextOffset = item.fileOffset + item.data.length;
    } catch (error) {
      this.#abandonFile(f, error);
    }
  }

  #writeWhole(f: OpenFile, data: Uint8Array): void {
    const e = f.entry;
    const job: SmallFileJob = {
      kind: "whole", fsPath: f.fsPath, data, mode: e.mode, uid: this.#meta.uid(e), gid: this.#meta.gid(e), setOwner: this.#o.isRoot,
      atimeSec: e.atimeSec, atimeNsec: e.atimeNsec, mtimeSec: e.mtimeSec, mtimeNsec: e.mtimeNsec,
    };
    // Deep paths go through descriptors the thread must not outlive: those are written here.
    if (this.#isPoolable(f)) {
      this.#o.pool!.write(job, directoryKey(f.rel));
      this.#queued++;
    } else {
      this.#writeJob(job, f.rel);
    }
    if (!this.#o.isRoot) this.#meta.noteOwner(e);
    f.isDone = true;
    f.nextOffset = data.length;
    this.#fileRestored(f);
  }

  /** Whether a file's writes may go to the writer threads (deep paths use descriptors they must not outlive). */
  #isPoolable(f: OpenFile): boolean {
    return this.#o.pool !== undefined && f.entry.xattrs.length === 0 && f.fsPath[0] === 0x2f && !f.fsPath.subarray(0, PROC_FD.length).equals(PROC_FD);
  }

  #writeJob(job: SmallFileJob, rel: Buffer): void {
    const write = (): void => posix.writeFileAt(job.fsPath, job.data, job.mode, job.uid, job.gid, job.setOwner, job.atimeSec, job.atimeNsec, job.mtimeSec, job.mtimeNsec);
    try {
      write();
    } catch (error) {
      if (errnoCode(error) !== "EEXIST") throw error;
      this.#clear(rel, job.fsPath);
      write();
    }
  }

  /** Waits for the writer threads; deals with the files they could not write. */
  #drain(): void {
    const pool = this.#o.pool;
    if (pool === undefined || this.#queued === 0) return;
    this.#queued = 0;
    for (const failure of pool.drain()) {
      const path = failure.fsPath.subarray(this.#o.dest.length + 1);
      this.counts.restored--;
      try {
        if (failure.code !== "EEXIST" || failure.job === null) {
          // A file left half-written is not left in place as if it were good.
          if (failure.job === null) unlinkSync(failure.fsPath);
          throw Object.assign(new Error(failure.message), { code: failure.code });
        }
        this.#writeJob(failure.job, Buffer.from(path));
        this.counts.restored++;
      } catch (error) {
        this.#fail(path, reasonOf(error));
      }
    }
  }

  #fileRestored(f: OpenFile): void {
    this.counts.restored++;
    this.#extractedFiles.add(pathHash(f.rel));
  }

  #openFile(f: OpenFile): number {
    try {
      return openSync(f.fsPath, CREATE_FLAGS, 0o600);
    } catch (error) {
      if (errnoCode(error) !== "EEXIST") throw error;
      this.#clear(f.rel, f.fsPath);
      return openSync(f.fsPath, CREATE_FLAGS, 0o600);
    }
  }

  #abandonFile(f: OpenFile, error: unknown): void {
    this.#releaseFromPool(f);
    if (f.fd >= 0) closeSync(f.fd);
    f.fd = -1;
    f.isDone = true;
    try {
      unlinkSync(f.fsPath);
    } catch {
      // nothing was created
    }
    this.#fail(f.entry.path, reasonOf(error));
  }

  /**
   * Takes an open file back from the writer threads before this thread closes it itself: they let
   * go of it, and their writes to it are done (see ReleaseJob).
   */
  #releaseFromPool(f: OpenFile): void {
    if (f.fd < 0 || !f.isPooled) return;
    this.#o.pool!.write({ kind: "release", fd: f.fd, fsPath: f.fsPath }, directoryKey(f.rel));
    this.#queued++;
    f.isPooled = false;
    this.#drain();
  }

  /** The current entry's data is incomplete (damage in the archive). */
  markDamaged(reason: string): void {
    const f = this.#file;
    if (f === null || f.isDone || f.isDamaged) return;
    // A loss after a dense file's last byte arrived does not touch the file (format.md §4.4).
    if (!f.entry.isSparse && f.nextOffset === f.entry.size) return;
    f.isDamaged = true;
    f.damage = reason;
  }

  #closeFile(): void {
    const f = this.#file;
    this.#file = null;
    if (f === null || f.isDone) return;
    const e = f.entry;
    if (!e.isSparse && f.nextOffset !== e.size && !f.isDamaged) this.markDamaged(`data ends at byte ${f.nextOffset} of ${e.size}`);
    if (f.fd >= 0 && this.#isPoolable(f)) {
      if (!f.isDamaged) {
        // The thread that wrote the data finishes the file, in order, and closes it.
        this.#o.pool!.write({
          kind: "finish", fd: f.fd, truncate: f.nextOffset < e.size || e.isSparse ? e.size : -1, fsPath: f.fsPath,
          mode: e.mode, uid: this.#meta.uid(e), gid: this.#meta.gid(e), setOwner: this.#o.isRoot,
          atimeSec: e.atimeSec, atimeNsec: e.atimeNsec, mtimeSec: e.mtimeSec, mtimeNsec: e.mtimeNsec,
        }, directoryKey(f.rel));
        this.#queued++;
        if (!this.#o.isRoot) this.#meta.noteOwner(e);
        this.#fileRestored(f);
        return;
      }
      this.#releaseFromPool(f);
    }
    try {
      if (f.fd < 0) f.fd = this.#openFile(f);
      if (f.nextOffset < e.size || e.isSparse) ftruncateSync(f.fd, e.size);
      if (this.#o.isRoot) fchownSync(f.fd, this.#meta.uid(e), this.#meta.gid(e));
      else this.#meta.noteOwner(e);
      fchmodSync(f.fd, e.mode);
      this.#meta.setXattrs(e, f.fsPath);
      posix.futimens(f.fd, e.atimeSec, e.atimeNsec, e.mtimeSec, e.mtimeNsec);
      closeSync(f.fd);
      f.fd = -1;
    } catch (error) {
      this.#abandonFile(f, error);
      return;
    }
    if (f.isDamaged) {
      const kept = Buffer.concat([f.fsPath, Buffer.from(DAMAGED_SUFFIX)]);
      try {
        renameSync(f.fsPath, kept);
      } catch {
        unlinkSync(f.fsPath);
      }
      this.counts.damaged++;
      this.#o.reporter.error(`"${displayPath(e.path)}": damaged (${f.damage}); what could be read is kept as "${displayPath(e.path)}${DAMAGED_SUFFIX}"`);
      return;
    }
    this.#fileRestored(f);
  }

  /** Whether every parent of `rel` is (still) a real directory: only then is `rel` reached without a symlink. */
  #isStillReal(rel: Buffer): boolean {
    return this.#tree.checkParents(rel, false, () => {}) === null;
  }

  /**
   * Ends the restore of a stream: closes the last file and sets directories' modes and times,
   * deepest first. The restorer may go on with the next stream of a chain afterwards.
   */
  finish(): void {
    this.#closeFile();
    this.#drain();
    for (let i = this.#deferred.length - 1; i >= 0; i--) {
      const { rel, entry } = this.#deferred[i]!;
      try {
        // A parent may have been removed since, and something else put there (a symlink, say).
        if (!this.#isStillReal(rel)) continue;
        this.#meta.setDirectory(entry, this.#tree.resolve(rel));
      } catch (error) {
        this.#fail(entry.path, `cannot set directory mode or times: ${reasonOf(error)}`);
      }
    }
    if (this.#times !== null) {
      const restored = new Set(this.#deferred.map((d) => d.rel.toString("latin1")));
      for (const { rel, error } of this.#times.restore(restored, (r) => (this.#isStillReal(r) ? this.#tree.resolve(r) : null))) {
        this.#fail(rel.length === 0 ? Buffer.from(".") : rel, `cannot set the directory's mode or times back: ${reasonOf(error)}`);
      }
    }
    this.#deferred.length = 0;
    this.#tree.close();
  }
}

