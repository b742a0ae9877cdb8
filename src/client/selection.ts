import { storedPathOf } from "./source-tree.js";

/**
 * Which stored paths a command names: a path selects itself and, if it is a directory, its
 * subtree (tar's member selection). "." selects everything. Strings are command-line paths
 * (normalised as stored paths are, format.md §5.5); bytes are stored paths, taken as they are.
 */
export class Selection {
  readonly #paths: Buffer[];
  readonly #seen = new Set<number>();

  constructor(args: readonly (string | Uint8Array)[]) {
    const ignore = { warn: () => {}, error: () => {} };
    this.#paths = args.map((arg) => (typeof arg === "string" ? storedPathOf(arg, ignore) : Buffer.from(arg)));
  }

  /** The selected paths that lie strictly below `path` (a deleted directory removes only what is selected of it). */
  below(path: Uint8Array): Buffer[] {
    const prefix = Buffer.concat([path, Buffer.from("/")]);
    return this.#paths.filter((p) => p.length > prefix.length && p.subarray(0, prefix.length).equals(prefix));
  }

  get isEverything(): boolean {
    return this.#paths.length === 0 || this.#paths.some((p) => p.length === 1 && p[0] === 0x2e);
  }

  /** Tells whether `path` is selected, remembering which selector matched. */
  matches(path: Uint8Array): boolean {
    if (this.isEverything) return true;
    for (let i = 0; i < this.#paths.length; i++) {
      const p = this.#paths[i]!;
      if (path.length < p.length) continue;
      if (!Buffer.from(path.buffer, path.byteOffset, p.length).equals(p)) continue;
      if (path.length === p.length || path[p.length] === 0x2f) {
        this.#seen.add(i);
        return true;
      }
    }
    return false;
  }

  /** The selectors that matched nothing (tar: "Not found in archive"). */
  unmatched(): string[] {
    return this.#paths.filter((_, i) => !this.#seen.has(i)).map((p) => p.toString("utf8"));
  }
}
