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

/** The packed numbers of a row, big-endian: name length 4, type 1, size 8, mtime 8, ctime − mtime 8, inode 8, mode 4, chunk offset 8, item offset 4, deleted 1. */
const FIELDS = `printf('%08x%02x%016x%016x%016x%016x%08x%016x%08x%02x', length(name), type, size, mtime_ns, ctime_delta, inode, mode,
  chunk_offset, item_offset, deleted)`;
const FIELDS_BYTES = 54;
/** Walk pages put the dir id (8 bytes) before the fields. */
const DIR_ID_BYTES = 8;
const NAMES = "CAST(group_concat(name, x'') AS BLOB) AS names";

/** The rows of one directory of one saveset, by name. Parameters: saveset id, dir id. */
export const DIRECTORY_PAGE = `SELECT ${NAMES}, unhex(group_concat(${FIELDS}, '')) AS records
  FROM (SELECT * FROM files WHERE saveset_id = ? AND dir_id = ? ORDER BY name)`;

/** The next rows of one saveset after (dir, name), by (dir, name). Named parameters: saveset, dir, name, limit. */
export const WALK_PAGE = `SELECT ${NAMES}, unhex(group_concat(printf('%016x', dir_id) || ${FIELDS}, '')) AS records
  FROM (SELECT * FROM files WHERE saveset_id = @saveset AND (dir_id, name) > (@dir, @name) ORDER BY dir_id, name LIMIT @limit)`;

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

/** Decodes a DIRECTORY_PAGE into rows of `savesetId` whose paths are `prefix` followed by the name. */
export function decodeDirectoryPage(page: Page, savesetId: number, prefix: Uint8Array): BrowseRow[] {
  return decode(page, savesetId, false, () => prefix, null);
}

/** Decodes a WALK_PAGE into rows whose paths are prefixOf(dir id) followed by the name; pushes each row's dir id onto `dirIds`. */
export function decodeWalkPage(page: Page, savesetId: number, prefixOf: (dirId: number) => Uint8Array, dirIds: number[]): BrowseRow[] {
  return decode(page, savesetId, true, prefixOf, dirIds);
}

function decode(page: Page, savesetId: number, hasDirIds: boolean, prefixOf: (dirId: number) => Uint8Array, dirIds: number[] | null): BrowseRow[] {
  const names = page.names ?? Buffer.alloc(0);
  const records = page.records ?? Buffer.alloc(0);
  const skip = hasDirIds ? DIR_ID_BYTES : 0;
  const size = skip + FIELDS_BYTES;
  const count = records.length / size;
  const out = new Array<BrowseRow>(count);
  let nameOffset = 0;
  for (let i = 0, start = 0; i < count; i++, start += size) {
    const dirId = hasDirIds ? u64(records, start) : 0;
    const o = start + skip;
    const prefix = prefixOf(dirId);
    const length = records.readUInt32BE(o);
    const path = Buffer.allocUnsafe(prefix.length + length);
    path.set(prefix, 0);
    names.copy(path, prefix.length, nameOffset, nameOffset + length);
    nameOffset += length;
    const mtimeNs = records.readBigInt64BE(o + 13);
    const ctimeSame = records.readUInt32BE(o + 21) === 0 && records.readUInt32BE(o + 25) === 0;
    out[i] = {
      savesetId,
      path,
      type: records[o + 4]!,
      size: u64(records, o + 5),
      mtimeNs,
      ctimeNs: ctimeSame ? mtimeNs : mtimeNs + records.readBigInt64BE(o + 21),
      inode: u64(records, o + 29),
      mode: records.readUInt32BE(o + 37),
      chunkOffset: u64(records, o + 41),
      itemOffset: records.readUInt32BE(o + 49),
      deleted: records[o + 53] === 1,
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
