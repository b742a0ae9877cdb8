import { getU64, setU64, viewOf } from "./bytes.js";
import { formatError } from "./errors.js";

// format.md §5.1, §5.3, §5.4, §5.6
export const ITEM_HEADER_SIZE = 8;
/** Item types; `deleted` has bit 7 set: optional, ignored by readers that predate it (format.md §7). */
export const ItemType = { entry: 1, data: 2, index: 3, deleted: 0x81 } as const;
export const DATA_PREFIX_SIZE = 16;
export const MAX_DATA_LENGTH = 1024 * 1024;
export const INDEX_ROW_FIXED_SIZE = 16;

/** Writes an item header at `offset`. */
export function writeItemHeader(view: DataView, offset: number, type: number, bodyLength: number): void {
  view.setUint32(offset, type, true); // type byte, then three reserved zero bytes
  view.setUint32(offset + 4, bodyLength, true);
}

/** Writes the 16-byte prefix of a DATA item body. */
export function writeDataPrefix(view: DataView, offset: number, entryNumber: number, fileOffset: number): void {
  setU64(view, offset, entryNumber);
  setU64(view, offset + 8, fileOffset);
}

export interface RawItem {
  type: number;
  /** Offset of the item header in the plain body. */
  offset: number;
  bodyStart: number;
  bodyEnd: number;
}

/**
 * Splits a chunk's plain body into items (format.md §5.1); throws FORMAT_MALFORMED when an item
 * overruns the body. Calls `visit` for each item.
 */
export function forEachItem(plain: Uint8Array, visit: (item: RawItem) => void): void {
  const view = viewOf(plain);
  let at = 0;
  while (at < plain.length) {
    if (plain.length - at < ITEM_HEADER_SIZE) throw formatError("FORMAT_MALFORMED", `Cannot read item at ${at}: header overruns the chunk`);
    const type = view.getUint8(at);
    const length = view.getUint32(at + 4, true);
    const bodyStart = at + ITEM_HEADER_SIZE;
    if (length > plain.length - bodyStart) throw formatError("FORMAT_MALFORMED", `Cannot read item at ${at}: body of ${length} bytes overruns the chunk`);
    visit({ type, offset: at, bodyStart, bodyEnd: bodyStart + length });
    at = bodyStart + length;
  }
}

export interface DataItem {
  entryNumber: number;
  fileOffset: number;
  data: Uint8Array;
}

export function decodeDataItem(plain: Uint8Array, item: RawItem): DataItem {
  const length = item.bodyEnd - item.bodyStart;
  if (length < DATA_PREFIX_SIZE || length - DATA_PREFIX_SIZE > MAX_DATA_LENGTH) {
    throw formatError("FORMAT_MALFORMED", `Cannot read data item at ${item.offset}: length ${length} out of range`);
  }
  const view = viewOf(plain);
  const fileOffset = getU64(view, item.bodyStart + 8);
  if (fileOffset > Number.MAX_SAFE_INTEGER - MAX_DATA_LENGTH) throw formatError("FORMAT_TOO_LARGE", `Cannot read data item at ${item.offset}: file offset too large`);
  return {
    entryNumber: getU64(view, item.bodyStart),
    fileOffset,
    data: plain.subarray(item.bodyStart + DATA_PREFIX_SIZE, item.bodyEnd),
  };
}

/** One row of the index (format.md §5.4). */
export interface IndexRow {
  chunkOffset: number;
  itemOffset: number;
  /** The entry body without extended attributes. */
  entryBody: Uint8Array;
}

export function forEachIndexRow(plain: Uint8Array, item: RawItem, visit: (row: IndexRow) => void): void {
  const view = viewOf(plain);
  let at = item.bodyStart;
  while (at < item.bodyEnd) {
    if (item.bodyEnd - at < INDEX_ROW_FIXED_SIZE) throw formatError("FORMAT_MALFORMED", `Cannot read index row at ${at}: truncated`);
    const chunkOffset = getU64(view, at);
    const itemOffset = view.getUint32(at + 8, true);
    const length = view.getUint32(at + 12, true);
    const start = at + INDEX_ROW_FIXED_SIZE;
    if (length > item.bodyEnd - start) throw formatError("FORMAT_MALFORMED", `Cannot read index row at ${at}: entry overruns the item`);
    visit({ chunkOffset, itemOffset, entryBody: plain.subarray(start, start + length) });
    at = start + length;
  }
}

export function writeIndexRowHeader(view: DataView, offset: number, chunkOffset: number, itemOffset: number, length: number): void {
  setU64(view, offset, chunkOffset);
  view.setUint32(offset + 8, itemOffset, true);
  view.setUint32(offset + 12, length, true);
}
