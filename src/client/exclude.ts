/**
 * tar-like exclusion patterns: `*`, `?` and `[...]` globs. A pattern without `/` is matched
 * against each entry's last path component; a pattern with `/` against the whole stored path
 * or any tail of it that starts at a component boundary. A directory that matches is not entered.
 */
export class ExcludeMatcher {
  readonly #basename: RegExp[] = [];
  readonly #whole: RegExp[] = [];

  constructor(patterns: readonly string[]) {
    for (const pattern of patterns) {
      const clean = pattern.replace(/^\.\//, "").replace(/\/+$/, "");
      if (clean.includes("/")) this.#whole.push(new RegExp(`(^|/)${globToRegex(clean)}$`, "s"));
      else this.#basename.push(new RegExp(`^${globToRegex(clean)}$`, "s"));
    }
  }

  get isEmpty(): boolean {
    return this.#basename.length === 0 && this.#whole.length === 0;
  }

  /** Tells whether the entry at stored `path` with last component `name` is excluded (bytes as latin1). */
  matches(path: Buffer, name: Buffer): boolean {
    if (this.isEmpty) return false;
    const n = name.toString("latin1");
    if (this.#basename.some((r) => r.test(n))) return true;
    const p = path.toString("latin1");
    return this.#whole.some((r) => r.test(p));
  }
}

function globToRegex(glob: string): string {
  // Patterns come from the command line as UTF-8; compare them as the bytes they are.
  const bytes = Buffer.from(glob, "utf8").toString("latin1");
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else if (c === "[") {
      const end = bytes.indexOf("]", i + 2);
      if (end < 0) out += "\\[";
      else {
        let set = bytes.slice(i + 1, end);
        if (set.startsWith("!")) set = "^" + set.slice(1);
        out += `[${set.replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else out += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return out;
}
