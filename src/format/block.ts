import { bytesEqual, copyOf, getU64, setU64, viewOf } from "./bytes.js";
import type { Checksum } from "./codecs.js";
import { crc32cAfterEdit, crc32cCombine } from "./crc32c.js";
import { formatError } from "./errors.js";

// format.md §3.1
export const BLOCK_HEADER_SIZE = 80;
export const BLOCK_MAGIC = new Uint8Array([0x52, 0x45, 0x45, 0x4c]); // "REEL"
export const FORMAT_VERSION = 1;
export const MIN_BLOCK_SIZE = 4096;
export const MAX_BLOCK_SIZE = 16 * 1024 * 1024;
export const NO_RECORD_START = 0xffffffff;
export const BLOCK_FLAG_END_OF_STREAM = 1;

export const BlockKind = { label: 1, stream: 2 } as const;

export interface BlockHeader {
  version: number;
  kind: number;
  blockSize: number;
  payloadLength: number;
  mediumId: Uint8Array;
  blockNumber: number;
  streamId: Uint8Array;
  streamOffset: number;
  firstRecordOffset: number;
  flags: number;
}

/** Tells whether `size` is a valid block size (format.md §3.1). */
export function isValidBlockSize(size: number): boolean {
  return Number.isInteger(size) && size >= MIN_BLOCK_SIZE && size <= MAX_BLOCK_SIZE && size % 4096 === 0;
}

/**
 * Writes the header of the block held in `block` (whose payload is already in place after
 * byte 80) and its checksum; zeroes the padding. `block.length` must be the block size.
 * `payloadCrc`, when given, must be the CRC-32C of the payload (the packer's, computed as it
 * was filled): then the payload is not read again.
 */
export function sealBlock(block: Uint8Array, header: Omit<BlockHeader, "version" | "blockSize">, checksum: Checksum, payloadCrc?: number): void {
  const view = viewOf(block);
  block.set(BLOCK_MAGIC, 0);
  view.setUint16(4, FORMAT_VERSION, true);
  view.setUint16(6, header.kind, true);
  view.setUint32(8, block.length, true);
  view.setUint32(12, header.payloadLength, true);
  block.set(header.mediumId, 16);
  setU64(view, 32, header.blockNumber);
  block.set(header.streamId, 40);
  setU64(view, 56, header.streamOffset);
  view.setUint32(64, header.firstRecordOffset, true);
  view.setUint32(68, header.flags, true);
  view.setUint32(72, 0, true);
  const end = BLOCK_HEADER_SIZE + header.payloadLength;
  if (end < block.length) block.fill(0, end);
  const crc = checksum.crc32c(block.subarray(0, 76));
  // The payload's own CRC, when the packer has it, saves reading the payload again.
  view.setUint32(76, payloadCrc === undefined ? checksum.crc32c(block.subarray(BLOCK_HEADER_SIZE, end), crc) : crc32cCombine(crc, payloadCrc, header.payloadLength), true);
}

/**
 * Writes into `target` (one block of the size of the medium it goes to) a checked stream block
 * of another medium: the payload as it is, under a header naming the new medium, block number
 * and block size. The checksum follows from the source's without reading the payload again
 * (crc32cAfterEdit), so a source whose checksum was not verified would stay as damaged as it
 * was: copy only checked blocks. The payload must fit the target (checked by the caller).
 */
export function reheaderBlock(target: Uint8Array, source: Uint8Array, place: { mediumId: Uint8Array; blockNumber: number }): void {
  const from = viewOf(source);
  const end = BLOCK_HEADER_SIZE + from.getUint32(12, true);
  target.set(source.subarray(0, end), 0);
  const view = viewOf(target);
  view.setUint32(8, target.length, true);
  target.set(place.mediumId, 16);
  setU64(view, 32, place.blockNumber);
  if (end < target.length) target.fill(0, end);
  view.setUint32(76, crc32cAfterEdit(from.getUint32(76, true), source.subarray(0, 76), target.subarray(0, 76), end - BLOCK_HEADER_SIZE), true);
}

export type BlockCheck =
  | { ok: true; header: BlockHeader; payload: Uint8Array }
  | { ok: false; reason: "magic" | "checksum" | "malformed"; message: string };

/**
 * Checks one block (format.md §3.4): magic, lengths, then checksum. Throws
 * FORMAT_UNSUPPORTED_VERSION for a greater version (a reader must not guess); every other
 * problem is returned as damage so the caller can go on with the next block.
 */
export function openBlock(block: Uint8Array, checksum: Checksum): BlockCheck {
  if (block.length < BLOCK_HEADER_SIZE) return { ok: false, reason: "malformed", message: "block shorter than its header" };
  if (!bytesEqual(block.subarray(0, 4), BLOCK_MAGIC)) return { ok: false, reason: "magic", message: "no block magic" };
  const view = viewOf(block);
  const payloadLength = view.getUint32(12, true);
  if (payloadLength > block.length - BLOCK_HEADER_SIZE) {
    return { ok: false, reason: "malformed", message: `payload length ${payloadLength} exceeds the block` };
  }
  let crc = checksum.crc32c(block.subarray(0, 76));
  crc = checksum.crc32c(block.subarray(BLOCK_HEADER_SIZE, BLOCK_HEADER_SIZE + payloadLength), crc);
  if (crc !== view.getUint32(76, true)) return { ok: false, reason: "checksum", message: "checksum mismatch" };
  const version = view.getUint16(4, true);
  if (version === 0) return { ok: false, reason: "malformed", message: "version 0" };
  if (version !== FORMAT_VERSION) {
    throw formatError("FORMAT_UNSUPPORTED_VERSION", `Cannot read block: format version ${version} is not supported (this reader knows ${FORMAT_VERSION})`, { version });
  }
  const blockSize = view.getUint32(8, true);
  if (blockSize !== block.length) {
    return { ok: false, reason: "malformed", message: `block size field ${blockSize} differs from the medium's ${block.length}` };
  }
  const header: BlockHeader = {
    version,
    kind: view.getUint16(6, true),
    blockSize,
    payloadLength,
    mediumId: copyOf(block.subarray(16, 32)),
    blockNumber: getU64(view, 32),
    streamId: copyOf(block.subarray(40, 56)),
    streamOffset: getU64(view, 56),
    firstRecordOffset: view.getUint32(64, true),
    flags: view.getUint32(68, true),
  };
  if (header.firstRecordOffset !== NO_RECORD_START && header.firstRecordOffset >= Math.max(payloadLength, 1)) {
    return { ok: false, reason: "malformed", message: `first record offset ${header.firstRecordOffset} is outside the payload` };
  }
  return { ok: true, header, payload: block.subarray(BLOCK_HEADER_SIZE, BLOCK_HEADER_SIZE + payloadLength) };
}

/** Reads the block size a block claims, for a reader that has not yet seen the label. */
export function peekBlockSize(firstBytes: Uint8Array): number {
  if (firstBytes.length < 12 || !bytesEqual(firstBytes.subarray(0, 4), BLOCK_MAGIC)) {
    throw formatError("FORMAT_BAD_MAGIC", "Cannot read medium: it does not start with a reel block (magic \"REEL\")");
  }
  const version = viewOf(firstBytes).getUint16(4, true);
  if (version !== FORMAT_VERSION) {
    throw formatError("FORMAT_UNSUPPORTED_VERSION", `Cannot read medium: format version ${version} is not supported (this reader knows ${FORMAT_VERSION})`, { version });
  }
  const size = viewOf(firstBytes).getUint32(8, true);
  if (!isValidBlockSize(size)) throw formatError("FORMAT_MALFORMED", `Cannot read medium: block size ${size} is not valid`);
  return size;
}
