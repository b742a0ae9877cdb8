import type { BrowseRow } from "./types.js";

/*
 * Reading many file-index rows. better-sqlite3 spends about a microsecond on every value it hands
 * to JavaScript, so a directory of 100,000 entries read row by row (11 values each) takes a third
 * of a second. These queries return one row per page instead: the names concatenated into one
 * BLOB, and the numbers of each row packed big-endian into fixed-size records of a second BLOB
 * (printf to hex, then unhex). The inner query's ORDER BY fixes the order: SQLite does not
 * flatten an ordered subquery into an aggregate, so the aggregates see its rows in that order
 * (file-index.test.ts checks it).
 */

/** Bytes of one packed record: dir id 8, name length 4, type 1, size 8, mtime 8, ctime − mtime 8, inode 8, mode 4, chunk offset 8, item offset 4, deleted 1. */
const RECORD = 62;
const PACK = `SELECT CAST(group_concat(name, x'') AS BLOB) AS names,
  unhex(group_concat(printf('%016x%08x%02x%016x%016x%016x%016x%08x%016x%08x%02x', dir_id, length(name), type, size, mtime_ns,
    ctime_delta, inode, mode, chunk_offset, item_offset, deleted), '')) AS records`;

/** The rows of one directory of one saveset, by name. Parameters: saveset id, dir id. */
export const DIRECTORY_PAGE = `${PACK} FROM (SELECT * FROM files WHERE saveset_id = ? AND dir_id = ? ORDER BY name)`;

/** The next rows of one saveset after (dir, name), by (dir, name). Named parameters: saveset, dir, name, limit. */
export const WALK_PAGE = `${PACK} FROM (SELECT * FROM files WHERE saveset_id = @saveset AND (dir_id, name) > (@dir, @name)
  ORDER BY dir_id, name LIMIT @limit)`;

/** The row of one path in one saveset (raw, safe integers). Parameters: saveset id, dir id, name. */
export const ROW_AT = `SELECT type, size, mtime_ns, ctime_delta, inode, mode, chunk_offset, item_offset, deleted
  FROM files WHERE saveset_id = ? AND dir_id = ? AND name = ?`;

export interface Page {
  names: Buffer | null;
  records: Buffer | null;
}

/** A non-negative integer below 2^53 stored in 8 big-endian bytes. */
function u64(b: Buffer, offset: number): number {
  return b.readUInt32BE(offset) * 0x1_0000_0000 + b.readUInt32BE(offset + 4);
}

/**
 * Decodes a page into rows of `savesetId`, each path being prefixOf(dir id) followed by the name.
 * When `dirIds` is given, the dir id of each row is pushed onto it.
 */
export function decodePage(page: Page, savesetId: number, prefixOf: (dirId: number) => Uint8Array, dirIds?: number[]): BrowseRow[] {
  const names = page.names ?? Buffer.alloc(0);
  const records = page.records ?? Buffer.alloc(0);
  const count = records.length / RECORD;
  const out = new Array<BrowseRow>(count);
  let nameOffset = 0;
  for (let i = 0, o = 0; i < count; i++, o += RECORD) {
    const dirId = u64(records, o);
    const prefix = prefixOf(dirId);
    const length = records.readUInt32BE(o + 8);
    const path = Buffer.allocUnsafe(prefix.length + length);
    path.set(prefix, 0);
    names.copy(path, prefix.length, nameOffset, nameOffset + length);
    nameOffset += length;
    const mtimeNs = records.readBigInt64BE(o + 21);
    const ctimeSame = records.readUInt32BE(o + 29) === 0 && records.readUInt32BE(o + 33) === 0;
    out[i] = {
      savesetId,
      path,
      type: records[o + 12]!,
      size: u64(records, o + 13),
      mtimeNs,
      ctimeNs: ctimeSame ? mtimeNs : mtimeNs + records.readBigInt64BE(o + 29),
      inode: u64(records, o + 37),
      mode: records.readUInt32BE(o + 45),
      chunkOffset: u64(records, o + 49),
      itemOffset: records.readUInt32BE(o + 57),
      deleted: records[o + 61] === 1,
    };
    dirIds?.push(dirId);
  }
  return out;
}

/** A row read with ROW_AT. */
export function rowOf(values: bigint[], savesetId: number, path: Uint8Array): BrowseRow {
  const [type, size, mtimeNs, ctimeDelta, inode, mode, chunkOffset, itemOffset, deleted] = values as [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint];
  return {
    savesetId,
    path,
    type: Number(type),
    size: Number(size),
    mtimeNs,
    ctimeNs: mtimeNs + ctimeDelta,
    inode: Number(inode),
    mode: Number(mode),
    chunkOffset: Number(chunkOffset),
    itemOffset: Number(itemOffset),
    deleted: deleted === 1n,
  };
}
