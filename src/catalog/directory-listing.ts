/**
 * One directory's entries as columns. A directory can hold 100,000 entries; a listing of it is
 * read for people (`reel ls`, the web UI), who need the name, type, size, mode and mtime of each,
 * so it skips what restores need (inode, ctime, where the data lies) and makes no object, Buffer
 * or BigInt per row: the page query packs three numbers per row and the names stay in one Buffer.
 */

/** The live entries of a directory as of a saveset, sorted by name bytes; entry i is the i-th element of every column. */
export interface DirectoryListing extends ListingColumns {
  /** The directory as stored: no leading or trailing slash, "" for the root. */
  dir: Uint8Array;
  count: number;
  /** The saveset of the chain whose row won (whose stream holds the entry). */
  savesetId: Float64Array;
}

/** The columns a listing and its pages share; entry i is the i-th element of each. */
interface ListingColumns {
  /** The names one after another: entry i's name is names[nameStart[i], nameStart[i + 1]). */
  names: Buffer;
  nameStart: Uint32Array;
  /** EntryType values. */
  type: Uint8Array;
  size: Float64Array;
  /** The mtime in whole milliseconds since the epoch, truncated towards zero. */
  mtimeMs: Float64Array;
  mode: Uint32Array;
}

/** A listing page of one saveset, before the chain is merged: tombstones still in. */
export interface ListingPart extends ListingColumns {
  deleted: Uint8Array;
  savesetId: number;
}

/**
 * The rows of one directory of one saveset by name, three numbers packed per row: size, mtime in
 * milliseconds, and name length, deleted, type and mode in one (each printf conversion costs, and
 * this query is most of a big listing's time). Parameters: saveset id, dir id.
 */
export const LISTING_PAGE = `SELECT CAST(group_concat(name, x'') AS BLOB) AS names,
  unhex(group_concat(printf('%016x%016x%016x', size, mtime_ns / 1000000, (length(name) << 41) | (deleted << 40) | ((type & 255) << 32) | (mode & 4294967295)), '')) AS records
  FROM (SELECT * FROM files WHERE saveset_id = ? AND dir_id = ? ORDER BY name)`;
const RECORD_BYTES = 24;

/** A row of LISTING_PAGE, or one stored in listing_pages (migration 6). */
export interface ListingPageRow {
  names: Buffer | null;
  records: Buffer | null;
}

/** Decodes a LISTING_PAGE of `savesetId`. */
export function decodeListingPage(page: ListingPageRow, savesetId: number): ListingPart {
  const names = page.names ?? Buffer.alloc(0);
  const records = page.records ?? Buffer.alloc(0);
  const count = records.length / RECORD_BYTES;
  const part: ListingPart = {
    names, nameStart: new Uint32Array(count + 1), type: new Uint8Array(count), size: new Float64Array(count),
    mtimeMs: new Float64Array(count), mode: new Uint32Array(count), deleted: new Uint8Array(count), savesetId,
  };
  let nameOffset = 0;
  for (let i = 0, o = 0; i < count; i++, o += RECORD_BYTES) {
    part.size[i] = records.readUInt32BE(o) * 0x1_0000_0000 + records.readUInt32BE(o + 4);
    // Signed: an mtime before 1970 is negative; whole milliseconds fit a double exactly.
    part.mtimeMs[i] = records.readInt32BE(o + 8) * 0x1_0000_0000 + records.readUInt32BE(o + 12);
    const packed = records.readUInt32BE(o + 16);
    part.nameStart[i] = nameOffset;
    nameOffset += packed >>> 9;
    part.deleted[i] = (packed >>> 8) & 1;
    part.type[i] = packed & 255;
    part.mode[i] = records.readUInt32BE(o + 20);
  }
  part.nameStart[count] = nameOffset;
  return part;
}

/** Where the merged entries come from: entry k is row `row[k]` of part `part[k]`. */
interface Picks {
  count: number;
  part: Int32Array;
  row: Int32Array;
}

/**
 * The live entries of `dir` from the parts of each chain position that counts (oldest first): on
 * equal names the newer part wins (chain-merge.ts rule 1), then tombstones are dropped.
 */
export function mergeListing(dir: Uint8Array, parts: readonly ListingPart[]): DirectoryListing {
  // A full alone, without tombstones, is its own listing (the common case of a big directory).
  const only = parts.length === 1 && !parts[0]!.deleted.includes(1) ? parts[0]! : null;
  if (only !== null) {
    const count = only.nameStart.length - 1;
    return { dir, count, names: only.names, nameStart: only.nameStart, type: only.type, size: only.size, mtimeMs: only.mtimeMs, mode: only.mode, savesetId: new Float64Array(count).fill(only.savesetId) };
  }
  const total = parts.reduce((sum, part) => sum + part.nameStart.length - 1, 0);
  let picks: Picks = { count: 0, part: new Int32Array(total), row: new Int32Array(total) };
  let spare: Picks = { count: 0, part: new Int32Array(total), row: new Int32Array(total) };
  for (let p = 0; p < parts.length; p++) {
    mergeInto(parts, picks, p, spare);
    [picks, spare] = [spare, picks];
  }
  const live: number[] = [];
  for (let k = 0; k < picks.count; k++) if (parts[picks.part[k]!]!.deleted[picks.row[k]!] === 0) live.push(k);
  return gather(dir, parts, picks, live);
}

/** Writes into `out` the merge of `older` with all rows of part `p`, both sorted by name; on equal names part p wins. */
function mergeInto(parts: readonly ListingPart[], older: Picks, p: number, out: Picks): void {
  const newer = parts[p]!;
  const newerCount = newer.nameStart.length - 1;
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < older.count && j < newerCount) {
    const a = parts[older.part[i]!]!;
    const ar = older.row[i]!;
    // compare answers > 0 when the older name (the receiver) sorts after the newer one (the target).
    const order = a.names.compare(newer.names, newer.nameStart[j], newer.nameStart[j + 1], a.nameStart[ar], a.nameStart[ar + 1]);
    if (order < 0) {
      out.part[k] = older.part[i]!;
      out.row[k++] = older.row[i++]!;
      continue;
    }
    if (order === 0) i++;
    out.part[k] = p;
    out.row[k++] = j++;
  }
  for (; i < older.count; i++, k++) {
    out.part[k] = older.part[i]!;
    out.row[k] = older.row[i]!;
  }
  for (; j < newerCount; j++, k++) {
    out.part[k] = p;
    out.row[k] = j;
  }
  out.count = k;
}

/** The columns of the picked rows `live`; one part with nothing dropped keeps its names Buffer as it is. */
function gather(dir: Uint8Array, parts: readonly ListingPart[], picks: Picks, live: readonly number[]): DirectoryListing {
  const count = live.length;
  const first = picks.part[0]!;
  const only = count > 0 && count === parts[first]!.nameStart.length - 1 && picks.part.subarray(0, picks.count).every((p) => p === first) ? parts[first]! : null;
  if (only !== null) {
    const savesetId = new Float64Array(count).fill(only.savesetId);
    return { dir, count, names: only.names, nameStart: only.nameStart, type: only.type, size: only.size, mtimeMs: only.mtimeMs, mode: only.mode, savesetId };
  }
  const listing: DirectoryListing = {
    dir, count, names: Buffer.alloc(0), nameStart: new Uint32Array(count + 1), type: new Uint8Array(count), size: new Float64Array(count),
    mtimeMs: new Float64Array(count), mode: new Uint32Array(count), savesetId: new Float64Array(count),
  };
  let bytes = 0;
  for (const i of live) {
    const part = parts[picks.part[i]!]!;
    const r = picks.row[i]!;
    bytes += part.nameStart[r + 1]! - part.nameStart[r]!;
  }
  const names = Buffer.allocUnsafe(bytes);
  let offset = 0;
  live.forEach((i, k) => {
    const part = parts[picks.part[i]!]!;
    const r = picks.row[i]!;
    listing.nameStart[k] = offset;
    offset += part.names.copy(names, offset, part.nameStart[r], part.nameStart[r + 1]);
    listing.type[k] = part.type[r]!;
    listing.size[k] = part.size[r]!;
    listing.mtimeMs[k] = part.mtimeMs[r]!;
    listing.mode[k] = part.mode[r]!;
    listing.savesetId[k] = part.savesetId;
  });
  listing.nameStart[count] = offset;
  listing.names = names;
  return listing;
}
