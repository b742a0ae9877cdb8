import { hidingPosition, mergeNewest, winnerOf, type Placed } from "./chain-merge.js";
import { decodeListingPage, LISTING_PAGE, type ListingPageRow, mergeListing, type DirectoryListing } from "./directory-listing.js";
import { ROOT_DIR, type DirDictionary, type DirStep } from "./dir-dictionary.js";
import { decodeDirectoryPage, DIRECTORY_PAGE, ROW_AT, rowOf, type Page } from "./index-rows.js";
import type { Statements } from "./statements.js";
import { checkDirectoryPath, checkStoredPath, splitPath } from "./stored-path.js";
import type { BrowseRow } from "./types.js";

const SLASH = new Uint8Array([0x2f]);
const BUILT_LISTING_PAGE = "SELECT names, records FROM listing_pages WHERE saveset_id = ? AND dir_id = ?";

/** Lists directories and finds paths as of a saveset, merging its chain (rules in chain-merge.ts). */
export class ChainBrowser {
  #sql: Statements;
  #dirs: DirDictionary;

  constructor(sql: Statements, dirs: DirDictionary) {
    this.#sql = sql;
    this.#dirs = dirs;
  }

  /** The live entries of `dir` ("" for the root) as of the last saveset of `chain`, sorted by name bytes. */
  listDirectory(chain: readonly number[], dir: Uint8Array): BrowseRow[] {
    checkDirectoryPath(dir, "list directory");
    const steps = this.#dirs.lookup(dir);
    if (steps === null) return [];
    const cutoff = this.#cutoff(chain, steps);
    const dirId = steps.length === 0 ? ROOT_DIR : steps[steps.length - 1]!.id;
    const prefix = dir.length === 0 ? new Uint8Array(0) : Buffer.concat([dir, SLASH]);
    const page = this.#sql.get<Page>(DIRECTORY_PAGE);
    const lists = chain.map((savesetId, position) => (position <= cutoff ? [] : decodeDirectoryPage(page.get(savesetId, dirId)!, savesetId, prefix)));
    return mergeNewest(lists);
  }

  /** The same entries as listDirectory, as columns of what people are shown (directory-listing.ts). */
  listDirectoryColumns(chain: readonly number[], dir: Uint8Array): DirectoryListing {
    checkDirectoryPath(dir, "list directory");
    const steps = this.#dirs.lookup(dir);
    if (steps === null) return mergeListing(dir, []);
    const cutoff = this.#cutoff(chain, steps);
    const dirId = steps.length === 0 ? ROOT_DIR : steps[steps.length - 1]!.id;
    // A big directory's page was built at the end of its backup (migration 6); others are computed.
    const built = this.#sql.get<ListingPageRow>(BUILT_LISTING_PAGE);
    const page = this.#sql.get<ListingPageRow>(LISTING_PAGE);
    const parts = chain.flatMap((savesetId, position) => (position <= cutoff ? [] : [decodeListingPage(built.get(savesetId, dirId) ?? page.get(savesetId, dirId)!, savesetId)]));
    return mergeListing(dir, parts);
  }

  /** The live row of `path` as of the last saveset of `chain`, or null. */
  findEntry(chain: readonly number[], path: Uint8Array): BrowseRow | null {
    checkStoredPath(path, "look up");
    const { dir, name } = splitPath(path);
    const steps = this.#dirs.lookup(dir);
    if (steps === null) return null;
    const dirId = steps.length === 0 ? ROOT_DIR : steps[steps.length - 1]!.id;
    return winnerOf(this.#rowsAt(chain, dirId, name, Buffer.from(path)), this.#cutoff(chain, steps));
  }

  /** The newest chain position that hides what older savesets recorded under the directory at the end of `steps`. */
  #cutoff(chain: readonly number[], steps: readonly DirStep[]): number {
    let cutoff = -1;
    for (const step of steps) cutoff = Math.max(cutoff, hidingPosition(this.#rowsAt(chain, step.parentId, step.name, step.name)));
    return cutoff;
  }

  /** The rows every saveset of the chain has for (dir, name). */
  #rowsAt(chain: readonly number[], dirId: number, name: Uint8Array, path: Uint8Array): Placed[] {
    const statement = this.#sql.rawBig(ROW_AT);
    const placed: Placed[] = [];
    chain.forEach((savesetId, position) => {
      const values = statement.get(savesetId, dirId, name);
      if (values !== undefined) placed.push({ position, row: rowOf(values, savesetId, path) });
    });
    return placed;
  }
}
