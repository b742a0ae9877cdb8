import type Database from "better-sqlite3";
import { BugError } from "../errors/index.js";
import { hidingPosition, winnerOf, type Placed } from "./chain-merge.js";
import { ROOT_DIR, type DirDictionary } from "./dir-dictionary.js";
import { decodeWalkPage, WALK_PAGE, type Page } from "./index-rows.js";
import type { Statements } from "./statements.js";
import type { BrowseRow } from "./types.js";

/** Rows read per saveset and query while walking. */
const WALK_PAGE_ROWS = 8192;

/** The path bytes of dictionary directories, with a trailing "/" (empty for the root), cached. */
class DirPrefixes {
  #dirs: DirDictionary;
  #cache = new Map<number, { prefix: Buffer; parentId: number }>([[ROOT_DIR, { prefix: Buffer.alloc(0), parentId: ROOT_DIR }]]);

  constructor(dirs: DirDictionary) {
    this.#dirs = dirs;
  }

  get(dirId: number): { prefix: Buffer; parentId: number } {
    let known = this.#cache.get(dirId);
    if (known === undefined) {
      const entry = this.#dirs.entry(dirId);
      if (entry === undefined) throw new BugError(`the file index names directory ${dirId}, which the dictionary lacks`);
      known = { prefix: Buffer.concat([this.get(entry.parentId).prefix, entry.name, Buffer.from("/")]), parentId: entry.parentId };
      this.#cache.set(dirId, known);
    }
    return known;
  }
}

/** The rows of one saveset in (dir, name) order, read a page at a time. */
class Cursor {
  readonly position: number;
  #savesetId: number;
  #page: Database.Statement<unknown[], Page>;
  #prefixes: DirPrefixes;
  #rows: BrowseRow[] = [];
  #dirIds: number[] = [];
  #next = 0;
  #done = false;

  constructor(statement: Database.Statement<unknown[], Page>, savesetId: number, position: number, prefixes: DirPrefixes) {
    this.#page = statement;
    this.#savesetId = savesetId;
    this.position = position;
    this.#prefixes = prefixes;
    this.#fill(-1, Buffer.alloc(0));
  }

  /** The current row, or null at the end. */
  get row(): BrowseRow | null {
    return this.#next < this.#rows.length ? this.#rows[this.#next]! : null;
  }

  get dirId(): number {
    return this.#dirIds[this.#next]!;
  }

  advance(): void {
    const row = this.#rows[this.#next]!;
    const dirId = this.#dirIds[this.#next]!;
    this.#next++;
    if (this.#next === this.#rows.length && !this.#done) this.#fill(dirId, row.path.subarray(this.#prefixes.get(dirId).prefix.length));
  }

  #fill(afterDir: number, afterName: Uint8Array): void {
    const page = this.#page.get({ saveset: this.#savesetId, dir: afterDir, name: afterName, limit: WALK_PAGE_ROWS })!;
    this.#dirIds = [];
    this.#rows = decodeWalkPage(page, this.#savesetId, (dirId) => this.#prefixes.get(dirId).prefix, this.#dirIds);
    this.#next = 0;
    this.#done = this.#rows.length < WALK_PAGE_ROWS;
  }
}

/** Whether cursor a's row comes before cursor b's: by directory id, then path bytes (same prefix, so by name). */
function before(a: Cursor, b: Cursor): boolean {
  return a.dirId !== b.dirId ? a.dirId < b.dirId : Buffer.compare(a.row!.path, b.row!.path) < 0;
}

/** The merge of a chain's cursors, with the cutoff of each directory (chain-merge.ts rule 2). */
class ChainMerge {
  #dirs: DirDictionary;
  #prefixes: DirPrefixes;
  #cursors: Cursor[];
  /** Directory id → newest position of a hiding row for it, set while its parent's rows go by. */
  #marks = new Map<number, number>();
  #cutoffs = new Map<number, number>([[ROOT_DIR, -1]]);
  #group: Placed[] = [];
  #dirId = ROOT_DIR;
  #path: Buffer = Buffer.alloc(0);

  constructor(sql: Statements, dirs: DirDictionary, chain: readonly number[]) {
    this.#dirs = dirs;
    this.#prefixes = new DirPrefixes(dirs);
    const statement = sql.get<Page>(WALK_PAGE);
    this.#cursors = chain.map((savesetId, position) => new Cursor(statement, savesetId, position, this.#prefixes));
  }

  /** Takes the rows of the next path from every cursor that has it; false at the end. */
  next(): boolean {
    let first: Cursor | null = null;
    for (const c of this.#cursors) if (c.row !== null && (first === null || before(c, first))) first = c;
    if (first === null) return false;
    this.#dirId = first.dirId;
    this.#path = first.row!.path as Buffer;
    this.#group.length = 0;
    for (const c of this.#cursors) {
      if (c.row !== null && c.dirId === this.#dirId && (c === first || Buffer.compare(c.row.path, this.#path) === 0)) {
        this.#group.push({ position: c.position, row: c.row });
        c.advance();
      }
    }
    return true;
  }

  /** The live row of the current path, or null. */
  winner(): BrowseRow | null {
    return winnerOf(this.#group, this.#cutoffOf(this.#dirId));
  }

  /** When the current path's rows hide older rows beneath it, notes that for its directory. */
  noteHiding(): void {
    if (this.#group.length === 1 && !this.#group[0]!.row.deleted) return; // a lone live row hides nothing
    const hiding = hidingPosition(this.#group);
    if (hiding < 0) return;
    const child = this.#dirs.find(this.#dirId, this.#path.subarray(this.#prefixes.get(this.#dirId).prefix.length));
    if (child !== undefined) this.#marks.set(child, Math.max(this.#marks.get(child) ?? -1, hiding));
  }

  #cutoffOf(dirId: number): number {
    let cutoff = this.#cutoffs.get(dirId);
    if (cutoff === undefined) {
      cutoff = Math.max(this.#marks.get(dirId) ?? -1, this.#cutoffOf(this.#prefixes.get(dirId).parentId));
      this.#cutoffs.set(dirId, cutoff);
    }
    return cutoff;
  }
}

/**
 * Visits every live row as of the last saveset of `chain` (rules in chain-merge.ts), in
 * (directory id, name) order: a merge of each saveset's rows, read page by page, so memory stays
 * bounded by the directories, not the rows. Directory ids grow from parents to children, so a
 * directory's hiding row is met before the rows beneath it. `visit` may use the catalog: no
 * query is open while it runs.
 */
export function walkChain(sql: Statements, dirs: DirDictionary, chain: readonly number[], visit: (row: BrowseRow) => void): void {
  const merge = new ChainMerge(sql, dirs, chain);
  while (merge.next()) {
    merge.noteHiding();
    const row = merge.winner();
    if (row !== null) visit(row);
  }
}
