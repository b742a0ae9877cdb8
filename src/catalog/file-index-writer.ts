import { BugError } from "../errors/index.js";
import { catalogError } from "./errors.js";
import { ROOT_DIR, type DirDictionary } from "./dir-dictionary.js";
import { LISTING_PAGE, type ListingPageRow } from "./directory-listing.js";
import type { Statements } from "./statements.js";
import { checkStoredPath, shownPath, splitPath } from "./stored-path.js";
import type { FileRow } from "./types.js";

/** Rows per transaction: large enough that commits cost little, small enough to bound memory. */
export const INDEX_BATCH_ROWS = 16_384;

/** Times are clamped to ±(2^62 − 1) ns (years 1823 to 2116) so that ctime − mtime fits in 64 bits. */
const TIME_LIMIT = (1n << 62n) - 1n;

/** A directory with at least this many rows in a saveset gets a listing page at its end. */
export const LISTING_PAGE_MIN_ROWS = 2000;
const INSERT_LISTING_PAGE = "INSERT OR REPLACE INTO listing_pages (saveset_id, dir_id, names, records) VALUES (?, ?, ?, ?)";

const INSERT = `INSERT OR REPLACE INTO files
  (saveset_id, dir_id, name, type, size, mtime_ns, ctime_delta, inode, mode, chunk_offset, item_offset, deleted)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

interface PendingRow {
  /** The directory's path bytes as a latin1 string: a Map key that keeps every byte. */
  dirKey: string;
  dirId: number;
  name: Buffer;
  type: number;
  size: number;
  mtimeNs: bigint;
  ctimeDelta: bigint;
  inode: number;
  mode: number;
  chunkOffset: number;
  itemOffset: number;
  deleted: 0 | 1;
}

function clamp(ns: bigint): bigint {
  return ns > TIME_LIMIT ? TIME_LIMIT : ns < -TIME_LIMIT ? -TIME_LIMIT : ns;
}

function isCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

function isU32(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff;
}

/** Throws CATALOG_INVALID when a number of the row is out of range: whole numbers ≥ 0 below 2^53 (type below 256, mode and item offset below 2^32). */
function checkFields(row: FileRow): void {
  const bad = !Number.isInteger(row.type) || row.type < 0 || row.type > 255 ? "type"
    : !isCount(row.size) ? "size"
    : !isCount(row.inode) ? "inode"
    : !isU32(row.mode) ? "mode"
    : !isCount(row.chunkOffset) ? "chunkOffset"
    : !isU32(row.itemOffset) ? "itemOffset"
    : typeof row.mtimeNs !== "bigint" ? "mtimeNs"
    : typeof row.ctimeNs !== "bigint" ? "ctimeNs"
    : null;
  if (bad !== null) {
    throw catalogError("CATALOG_INVALID", `Cannot index ${shownPath(row.path)}: invalid ${bad} ${String(row[bad])}`, { field: bad });
  }
}

/**
 * Writes the file index of one saveset: rows are validated as they are added, then written in
 * batches of INDEX_BATCH_ROWS, each one transaction, sorted by (directory, name) so that pages
 * fill. A row for a path already indexed in this saveset replaces it. The writer keeps no
 * reference to the caller's buffers. After a failed batch the writer refuses further use.
 */
export class FileIndexWriter {
  #sql: Statements;
  #dirs: DirDictionary;
  #savesetId: number;
  #batchRows: number;
  #pending: PendingRow[] = [];
  #dirIds = new Map<string, number>([["", ROOT_DIR]]);
  /** The directory of the last row added and its key: rows come a directory at a time. */
  #lastDir = Buffer.alloc(0);
  #lastDirKey = "";
  #state: "open" | "finished" | "broken" = "open";
  /** Rows written per directory id (a replaced row counts twice: it only decides which directories get a page). */
  readonly #rowsPerDir = new Map<number, number>();

  constructor(sql: Statements, dirs: DirDictionary, savesetId: number, batchRows = INDEX_BATCH_ROWS) {
    this.#sql = sql;
    this.#dirs = dirs;
    this.#savesetId = savesetId;
    this.#batchRows = batchRows;
  }

  /** Adds a row. Throws CATALOG_BAD_PATH or CATALOG_INVALID for a row that breaks the rules (the writer stays usable). */
  add(row: FileRow): void {
    if (this.#state !== "open") throw new BugError(`file index writer of saveset ${this.#savesetId} used after it ${this.#state === "finished" ? "finished" : "failed"}`);
    checkStoredPath(row.path, "index");
    checkFields(row);
    const { dir, name } = splitPath(row.path);
    const mtimeNs = clamp(row.mtimeNs);
    this.#pending.push({
      dirKey: this.#dirKeyOf(dir),
      dirId: -1,
      name: Buffer.from(name),
      type: row.type,
      size: row.size,
      mtimeNs,
      ctimeDelta: clamp(row.ctimeNs) - mtimeNs,
      inode: row.inode,
      mode: row.mode,
      chunkOffset: row.chunkOffset,
      itemOffset: row.itemOffset,
      deleted: row.deleted ? 1 : 0,
    });
    if (this.#pending.length >= this.#batchRows) this.#flush();
  }

  #dirKeyOf(dir: Uint8Array): string {
    if (Buffer.compare(dir, this.#lastDir) !== 0) {
      this.#lastDir = Buffer.from(dir);
      this.#lastDirKey = this.#lastDir.toString("latin1");
    }
    return this.#lastDirKey;
  }

  /**
   * Writes the rows still pending, then the listing page of each directory with many entries
   * (migration 6). The index is then complete for browsing; the writer takes no more rows.
   */
  finish(): void {
    if (this.#state === "finished") return;
    if (this.#state === "broken") throw new BugError(`file index writer of saveset ${this.#savesetId} finished after it failed`);
    this.#flush();
    const big = [...this.#rowsPerDir].filter(([, rows]) => rows >= LISTING_PAGE_MIN_ROWS).map(([dirId]) => dirId);
    if (big.length > 0) {
      const page = this.#sql.get<ListingPageRow>(LISTING_PAGE);
      const insert = this.#sql.get(INSERT_LISTING_PAGE);
      this.#sql.transaction(() => {
        for (const dirId of big) {
          const { names, records } = page.get(this.#savesetId, dirId)!;
          insert.run(this.#savesetId, dirId, names ?? Buffer.alloc(0), records ?? Buffer.alloc(0));
        }
      });
    }
    this.#state = "finished";
  }

  #flush(): void {
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    try {
      this.#sql.transaction(() => this.#write(batch));
    } catch (error) {
      this.#state = "broken";
      throw error;
    }
  }

  #write(batch: PendingRow[]): void {
    for (const p of batch) p.dirId = this.#dirIdOf(p.dirKey);
    batch.sort((a, b) => a.dirId - b.dirId || Buffer.compare(a.name, b.name));
    const insert = this.#sql.get(INSERT);
    const saveset = this.#savesetId;
    for (const p of batch) {
      this.#rowsPerDir.set(p.dirId, (this.#rowsPerDir.get(p.dirId) ?? 0) + 1);
      insert.run(saveset, p.dirId, p.name, p.type, p.size, p.mtimeNs, p.ctimeDelta, p.inode, p.mode, p.chunkOffset, p.itemOffset, p.deleted);
    }
  }

  /** The dictionary id of a directory path, adding it and its parents when new. */
  #dirIdOf(dirKey: string): number {
    let id = this.#dirIds.get(dirKey);
    if (id !== undefined) return id;
    const slash = dirKey.lastIndexOf("/");
    const parentId = this.#dirIdOf(slash < 0 ? "" : dirKey.slice(0, slash));
    id = this.#dirs.ensure(parentId, Buffer.from(slash < 0 ? dirKey : dirKey.slice(slash + 1), "latin1"));
    this.#dirIds.set(dirKey, id);
    return id;
  }
}
