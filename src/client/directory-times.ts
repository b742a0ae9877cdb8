import { chmodSync, closeSync, constants, fchmodSync, lstatSync, openSync } from "node:fs";
import { errnoCode } from "./errors.js";
import { posix } from "./posix.js";

interface Kept {
  rel: Buffer;
  mode: number;
  atime: bigint;
  mtime: bigint;
  isOpened: boolean;
}

const split = (ns: bigint): [number, number] => {
  const sec = ns / 1_000_000_000n - (ns % 1_000_000_000n < 0n ? 1n : 0n);
  return [Number(sec), Number(ns - sec * 1_000_000_000n)];
};

/**
 * Keeps the mode and times of directories a restore changes without restoring them (a later
 * stream of a chain writes into directories an earlier one restored; an in-place restore writes
 * into the machine's own): they are noted before the first change and set back at the end.
 * A directory the restorer may not write into (no owner write or search bit, not root) is opened
 * up meanwhile.
 */
export class DirectoryTimes {
  readonly #kept = new Map<string, Kept>();
  readonly #isRoot: boolean;

  constructor(isRoot: boolean) {
    this.#isRoot = isRoot;
  }

  /** Notes `rel` (a directory already checked to be real; `resolve` gives its path) before its first change. */
  touch(rel: Buffer, resolve: (rel: Buffer) => Buffer): void {
    const key = rel.toString("latin1");
    if (this.#kept.has(key)) return;
    const fsPath = resolve(rel);
    let st;
    try {
      st = lstatSync(fsPath, { bigint: true });
    } catch (error) {
      if (errnoCode(error) === "ENOENT") return;
      throw error;
    }
    if (!st.isDirectory()) return;
    const mode = Number(st.mode & 0o7777n);
    const isOpened = !this.#isRoot && (mode & 0o300) !== 0o300;
    if (isOpened) chmodSync(fsPath, mode | 0o700);
    this.#kept.set(key, { rel: Buffer.from(rel), mode, atime: st.atimeNs, mtime: st.mtimeNs, isOpened });
  }

  /**
   * Sets the noted directories back, except those in `restored` (their own entries set them);
   * `resolve` turns a relative path into one the system calls accept, or null when a parent is
   * no longer a real directory (then it is left alone). Never follows a symlink that took a
   * directory's place. Returns the failures.
   */
  restore(restored: ReadonlySet<string>, resolve: (rel: Buffer) => Buffer | null): Array<{ rel: Buffer; error: unknown }> {
    const failures: Array<{ rel: Buffer; error: unknown }> = [];
    for (const [key, kept] of this.#kept) {
      if (restored.has(key)) continue;
      let fd = -1;
      try {
        const fsPath = resolve(kept.rel);
        if (fsPath === null) continue;
        fd = openSync(fsPath, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
        if (kept.isOpened) fchmodSync(fd, kept.mode);
        posix.futimens(fd, ...split(kept.atime), ...split(kept.mtime));
      } catch (error) {
        const code = errnoCode(error);
        if (code !== "ENOENT" && code !== "ELOOP" && code !== "ENOTDIR") failures.push({ rel: kept.rel, error });
      } finally {
        if (fd >= 0) closeSync(fd);
      }
    }
    this.#kept.clear();
    return failures;
  }
}
