/**
 * File-index rows on the wire (docs/protocol.md §Index rows): a BINARY frame is a u32 job id,
 * then rows of 56 fixed bytes and the path. Little-endian. Used by the client to send the rows
 * of a running backup to the server, and by the server to send a client the previous index.
 */
import type { IndexedFile } from "../client/index.js";

/** A file-index row as it travels: the client's row without the hard link's target. */
export type WireIndexRow = Omit<IndexedFile, "linkTarget">;

const FIXED = 56;

export function encodeIndexRows(job: number, rows: readonly WireIndexRow[]): Uint8Array {
  let size = 4;
  for (const row of rows) size += FIXED + row.path.length;
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, job, true);
  let at = 4;
  for (const row of rows) {
    view.setUint32(at, row.path.length, true);
    view.setUint8(at + 4, row.type);
    view.setUint8(at + 5, row.deleted ? 1 : 0);
    view.setUint32(at + 8, row.mode, true);
    view.setBigUint64(at + 12, BigInt(row.size), true);
    view.setBigInt64(at + 20, row.mtimeNs, true);
    view.setBigInt64(at + 28, row.ctimeNs, true);
    view.setBigUint64(at + 36, BigInt(row.inode), true);
    view.setBigUint64(at + 44, BigInt(row.chunkOffset), true);
    view.setUint32(at + 52, row.itemOffset, true);
    bytes.set(row.path, at + FIXED);
    at += FIXED + row.path.length;
  }
  return bytes;
}

/** Decodes a frame of rows; returns null when the bytes are not well formed (a peer's bug or damage). */
export function decodeIndexRows(bytes: Uint8Array): { job: number; rows: WireIndexRow[] } | null {
  if (bytes.length < 4) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const job = view.getUint32(0, true);
  const rows: WireIndexRow[] = [];
  let at = 4;
  while (at < bytes.length) {
    if (bytes.length - at < FIXED) return null;
    const length = view.getUint32(at, true);
    if (length > bytes.length - at - FIXED) return null;
    rows.push({
      path: bytes.slice(at + FIXED, at + FIXED + length),
      type: view.getUint8(at + 4),
      deleted: view.getUint8(at + 5) === 1,
      mode: view.getUint32(at + 8, true),
      size: Number(view.getBigUint64(at + 12, true)),
      mtimeNs: view.getBigInt64(at + 20, true),
      ctimeNs: view.getBigInt64(at + 28, true),
      inode: Number(view.getBigUint64(at + 36, true)),
      chunkOffset: Number(view.getBigUint64(at + 44, true)),
      itemOffset: view.getUint32(at + 52, true),
    });
    at += FIXED + length;
  }
  return { job, rows };
}
