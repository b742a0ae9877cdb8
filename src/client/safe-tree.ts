import { lstatSync, mkdirSync } from "node:fs";
import { DeepPaths } from "./deep-paths.js";
import { displayPath, errnoCode } from "./errors.js";

/**
 * The destination of a restore as far as it is known to be safe: the relative directories checked
 * to be real directories (no symlink on the way, format.md §5.5), and paths the system calls
 * accept however deep. Keys are the raw bytes as latin1.
 */
export class SafeTree {
  readonly #paths: DeepPaths;
  readonly #dirs = new Set<string>([""]);

  constructor(dest: Buffer) {
    this.#paths = new DeepPaths(dest);
  }

  /** A path for system calls; only safe once the parents of `rel` are checked. */
  resolve(rel: Buffer): Buffer {
    return this.#paths.resolve(rel);
  }

  isDirectory(rel: Buffer): boolean {
    return this.#dirs.has(rel.toString("latin1"));
  }

  /** Notes that `rel` is a real directory (just made, or checked). */
  addDirectory(rel: Buffer): void {
    this.#dirs.add(rel.toString("latin1"));
  }

  /**
   * Checks that every parent of `rel` is a real directory; with `create`, makes missing ones
   * (`beforeCreate` hears of each first). Returns null when they are, otherwise the problem to
   * report, or "" when a parent is missing or not a directory and nothing is to be created.
   */
  checkParents(rel: Buffer, create: boolean, beforeCreate: (prefix: Buffer) => void): string | null {
    let end = rel.lastIndexOf(0x2f);
    if (end <= 0 || this.#dirs.has(rel.subarray(0, end).toString("latin1"))) return null;
    // Find the deepest known ancestor, then check or create each component below it.
    const cuts: number[] = [];
    while (end > 0 && !this.#dirs.has(rel.subarray(0, end).toString("latin1"))) {
      cuts.push(end);
      end = rel.lastIndexOf(0x2f, end - 1);
    }
    for (let i = cuts.length - 1; i >= 0; i--) {
      const prefix = rel.subarray(0, cuts[i]);
      const fsPath = this.#paths.resolve(prefix);
      try {
        const s = lstatSync(fsPath);
        if (s.isSymbolicLink()) return `"${displayPath(prefix)}" is a symlink; refusing to ${create ? "write" : "remove anything"} through it`;
        // Nothing to remove below a non-directory.
        if (!s.isDirectory()) return create ? `"${displayPath(prefix)}" is not a directory` : "";
      } catch (error) {
        if (errnoCode(error) !== "ENOENT") throw error;
        if (!create) return "";
        beforeCreate(prefix);
        mkdirSync(fsPath, 0o755);
      }
      this.#dirs.add(prefix.toString("latin1"));
    }
    return null;
  }

  /** Forgets `rel` and everything under it (it was removed or replaced). */
  forget(rel: Buffer): void {
    const key = rel.toString("latin1");
    this.#dirs.delete(key);
    for (const k of this.#dirs) if (k.startsWith(key + "/")) this.#dirs.delete(k);
    this.#paths.forget(rel);
  }

  /** Closes the directory descriptors of deep paths (the tree stays usable). */
  close(): void {
    this.#paths.close();
  }
}
