import { lstatSync } from "node:fs";
import type { Entry } from "../format/index.js";
import { errnoCode } from "./errors.js";
import { pathHash } from "./path-hash.js";

/** What a restore does with an object already at a path: replace it always, never, or when it is older (mtime) than the saved one. */
export type Overwrite = "always" | "never" | "older";

/**
 * Decides whether a restore may replace or remove what is at a path. Paths this restore wrote
 * itself (an earlier stream of a chain) are always replaced; what was there before follows the
 * overwrite setting. Under "always" nothing is looked up or remembered.
 */
export class ReplacePolicy {
  readonly overwrite: Overwrite;
  /** 53-bit hashes of the paths written (memory stays small for millions of files). */
  readonly #written = new Set<number>();

  constructor(overwrite: Overwrite) {
    this.overwrite = overwrite;
  }

  /**
   * Whether `entry` may be restored at `rel` (reached by `fsPath`): "replace" (the path then
   * counts as written by this restore), or "keep" what is there ("keep-directory" when that is a
   * directory, which the restore may still fill).
   */
  decide(rel: Buffer, fsPath: Buffer, entry: Entry): "replace" | "keep" | "keep-directory" {
    if (this.overwrite === "always") return "replace";
    const hash = pathHash(rel);
    if (!this.#written.has(hash)) {
      let st;
      try {
        st = lstatSync(fsPath, { bigint: true });
      } catch (error) {
        if (errnoCode(error) !== "ENOENT") throw error;
      }
      const isNewer = st !== undefined && this.overwrite === "older" && st.mtimeNs < BigInt(entry.mtimeSec) * 1_000_000_000n + BigInt(entry.mtimeNsec);
      if (st !== undefined && !isNewer) return st.isDirectory() ? "keep-directory" : "keep";
    }
    this.#written.add(hash);
    return "replace";
  }

  /** Whether a deletion may remove what is at `rel`: under "always" anything, otherwise only what this restore wrote. */
  mayRemove(rel: Buffer): boolean {
    return this.overwrite === "always" || this.#written.has(pathHash(rel));
  }
}
