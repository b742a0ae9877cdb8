import { EntryType } from "../format/index.js";
import type { SourceItem } from "./source-tree.js";

/** What a saveset's base knew of one path: enough to tell whether it changed without opening it. */
export interface PreviousFile {
  /** Entry type (format.md §5.2); a hard link counts as a file. */
  type: number;
  /** The entry's size: a file's length, 0 for directories, symlinks and the like. */
  size: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
  inode: number;
}

export type Verdict = "new" | "changed" | "unchanged";

/** Keys of stored paths: the raw bytes as latin1, one character per byte (byte order is string order). */
export const pathKey = (path: Buffer): string => path.toString("latin1");

const sameType = (a: number, b: number): boolean => (a === EntryType.hardlink ? EntryType.file : a) === (b === EntryType.hardlink ? EntryType.file : b);

/** The size an entry of this walked object stores (format.md §5.2). */
export function entrySize(item: SourceItem): number {
  return item.type === EntryType.file || item.type === EntryType.hardlink ? item.stat.size : 0;
}

export function nanoseconds(sec: number, nsec: number): bigint {
  return BigInt(sec) * 1_000_000_000n + BigInt(nsec);
}

/**
 * Decides, from lstat data alone, which walked objects an incremental or differential backup
 * writes (new, or type, size, mtime, ctime or inode changed), and which paths of the base are
 * gone. Only paths under the backed-up roots can be gone, and none under a path the walk could
 * not read (an unreadable directory is not an empty one).
 */
export class ChangeTracker {
  readonly #previous: ReadonlyMap<string, PreviousFile> | null;
  readonly #seen = new Set<string>();
  readonly #roots: Set<string>;
  readonly #isEverything: boolean;
  readonly #unreadable = new Set<string>();
  /** Directories of the base that are something else now: their DELETED item went out already. */
  readonly #replaced = new Set<string>();

  /** `roots`: the stored paths backed up ("." for everything). */
  constructor(previous: ReadonlyMap<string, PreviousFile> | null, roots: readonly Buffer[]) {
    this.#previous = previous;
    this.#roots = new Set(roots.map(pathKey));
    this.#isEverything = this.#roots.has(".");
  }

  /** True when `key` was in the base. */
  wasThere(key: string): boolean {
    return this.#previous?.has(key) === true;
  }

  check(item: SourceItem, key: string): Verdict {
    if (this.#previous === null) return "new";
    this.#seen.add(key);
    const p = this.#previous.get(key);
    if (p === undefined) return "new";
    if (!sameType(p.type, item.type)) return "changed";
    const s = item.stat;
    if (p.size !== entrySize(item) || p.inode !== s.ino) return "changed";
    if (p.mtimeNs !== nanoseconds(s.mtimeSec, s.mtimeNsec) || p.ctimeNs !== nanoseconds(s.ctimeSec, s.ctimeNsec)) return "changed";
    return "unchanged";
  }

  /** True when the base had a directory at `key` and the walk found something else: its subtree must go first. */
  replacesDirectory(item: SourceItem, key: string): boolean {
    const p = this.#previous?.get(key);
    if (p === undefined || p.type !== EntryType.directory || item.type === EntryType.directory) return false;
    this.#replaced.add(key);
    return true;
  }

  /** The walk could not read `path` (or, for a directory, its contents). */
  unreadable(path: Buffer): void {
    this.#unreadable.add(pathKey(path));
  }

  /** Calls `visit` with `key` and each of its ancestors, nearest first, until it returns true. */
  static #someAncestor(key: string, visit: (prefix: string) => boolean): boolean {
    if (visit(key)) return true;
    for (let at = key.lastIndexOf("/"); at > 0; at = key.lastIndexOf("/", at - 1)) if (visit(key.slice(0, at))) return true;
    return false;
  }

  /**
   * The paths of the base that are gone, in the base's order, each with whether it needs a
   * DELETED item of its own (false when an ancestor's item covers it).
   */
  deletions(): Array<{ key: string; needsItem: boolean }> {
    if (this.#previous === null) return [];
    const gone: string[] = [];
    for (const key of this.#previous.keys()) {
      if (this.#seen.has(key)) continue;
      if (!this.#isEverything && !ChangeTracker.#someAncestor(key, (k) => this.#roots.has(k))) continue;
      if (ChangeTracker.#someAncestor(key, (k) => this.#unreadable.has(k))) continue;
      gone.push(key);
    }
    const goneKeys = new Set(gone);
    return gone.map((key) => {
      const at = key.lastIndexOf("/");
      const isCovered = at > 0 && ChangeTracker.#someAncestor(key.slice(0, at), (k) => goneKeys.has(k) || this.#replaced.has(k));
      return { key, needsItem: !isCovered };
    });
  }
}
