import { getU64, setU64, viewOf } from "./bytes.js";
import type { Codecs } from "./codecs.js";
import { formatError } from "./errors.js";

// format.md §4.1
export const RECORD_HEADER_SIZE = 24;
export const MAX_PLAIN_LENGTH = 16 * 1024 * 1024;
export const MAX_STORED_LENGTH = MAX_PLAIN_LENGTH + 65536;
export const RecordType = { head: 1, chunk: 2, trailer: 3 } as const;
export const RecordFlag = { compressed: 1, encrypted: 2 } as const;
const AEAD_TAG_SIZE = 16;

export interface RecordHeader {
  type: number;
  flags: number;
  plainLength: number;
  sequence: number;
  storedLength: number;
  checksum: number;
}

/** The key material of an encrypted stream (format.md §6). */
export interface StreamKey {
  chunkKey: Uint8Array;
  streamId: Uint8Array;
}

export interface SealOptions {
  compress: boolean;
  key: StreamKey | null;
  /** Leave the checksum (bytes 20–23) zero: BlockPacker.appendSealing() writes it as it packs the record. */
  deferChecksum?: boolean;
}

/**
 * Decodes a record header; returns null when its lengths break the limits (the record is lost,
 * and the reader must not allocate for it).
 */
export function decodeRecordHeader(bytes: Uint8Array, offset: number): RecordHeader | null {
  const view = viewOf(bytes);
  const header: RecordHeader = {
    type: view.getUint8(offset),
    flags: view.getUint8(offset + 1),
    plainLength: view.getUint32(offset + 4, true),
    sequence: getU64(view, offset + 8),
    storedLength: view.getUint32(offset + 16, true),
    checksum: view.getUint32(offset + 20, true),
  };
  if (header.plainLength > MAX_PLAIN_LENGTH || header.storedLength > MAX_STORED_LENGTH) return null;
  if ((header.flags & ~3) !== 0) return null;
  if (header.flags === 0 && header.plainLength !== header.storedLength) return null;
  return header;
}

function writeHeader(view: DataView, type: number, flags: number, plainLength: number, sequence: number, storedLength: number): void {
  view.setUint8(0, type);
  view.setUint8(1, flags);
  view.setUint16(2, 0, true);
  view.setUint32(4, plainLength, true);
  setU64(view, 8, sequence);
  view.setUint32(16, storedLength, true);
}

/** The nonce of a record: 4 zero bytes, then the sequence number (format.md §6). */
export function recordNonce(sequence: number): Uint8Array {
  const nonce = new Uint8Array(12);
  setU64(viewOf(nonce), 4, sequence);
  return nonce;
}

function additionalData(header: Uint8Array, streamId: Uint8Array): Uint8Array {
  const aad = new Uint8Array(32);
  aad.set(header.subarray(0, 16), 0);
  aad.set(streamId, 16);
  return aad;
}

/**
 * Makes a complete record (header and stored body) from `frame`, whose first 24 bytes are room
 * for the header and whose rest is the plain body. Without compression or encryption the record
 * is `frame` itself, sealed in place; otherwise a new array.
 */
export function sealRecord(type: number, sequence: number, frame: Uint8Array, options: SealOptions, codecs: Codecs): Uint8Array {
  const plain = frame.subarray(RECORD_HEADER_SIZE);
  if (plain.length > MAX_PLAIN_LENGTH) throw formatError("FORMAT_TOO_LARGE", `Cannot write record ${sequence}: plain body of ${plain.length} bytes exceeds 16 MiB`);
  let flags = 0;
  let body: Uint8Array = plain;
  if (options.compress && plain.length > 0) {
    const packed = codecs.compression.compress(plain);
    if (packed.length < plain.length) {
      body = packed;
      flags |= RecordFlag.compressed;
    }
  }
  if (options.key !== null) flags |= RecordFlag.encrypted;
  let record: Uint8Array;
  if (flags === 0) {
    record = frame;
  } else {
    const storedLength = body.length + (options.key !== null ? AEAD_TAG_SIZE : 0);
    record = new Uint8Array(RECORD_HEADER_SIZE + storedLength);
    writeHeader(viewOf(record), type, flags, plain.length, sequence, storedLength);
    if (options.key !== null) {
      const sealed = codecs.aead.seal(options.key.chunkKey, recordNonce(sequence), additionalData(record, options.key.streamId), body);
      record.set(sealed, RECORD_HEADER_SIZE);
    } else {
      record.set(body, RECORD_HEADER_SIZE);
    }
  }
  const view = viewOf(record);
  writeHeader(view, type, flags, plain.length, sequence, record.length - RECORD_HEADER_SIZE);
  if (options.deferChecksum === true) return record;
  let crc = codecs.checksum.crc32c(record.subarray(0, 20));
  crc = codecs.checksum.crc32c(record.subarray(RECORD_HEADER_SIZE), crc);
  view.setUint32(20, crc, true);
  return record;
}

/** Tells whether a complete record's checksum matches. */
export function recordChecksumMatches(record: Uint8Array, codecs: Codecs): boolean {
  let crc = codecs.checksum.crc32c(record.subarray(0, 20));
  crc = codecs.checksum.crc32c(record.subarray(RECORD_HEADER_SIZE), crc);
  return crc === viewOf(record).getUint32(20, true);
}

/**
 * Turns a checked record back into its plain body: decrypts, then decompresses (format.md §4.3).
 * Throws FORMAT_PASSPHRASE_REQUIRED, FORMAT_DECRYPT_FAILED or FORMAT_DECOMPRESS_FAILED.
 */
export function openRecord(record: Uint8Array, header: RecordHeader, key: StreamKey | null, codecs: Codecs): Uint8Array {
  let body = record.subarray(RECORD_HEADER_SIZE, RECORD_HEADER_SIZE + header.storedLength);
  if (header.flags & RecordFlag.encrypted) {
    if (key === null) throw formatError("FORMAT_PASSPHRASE_REQUIRED", `Cannot read record ${header.sequence}: the stream is encrypted and no passphrase was given`);
    const opened = codecs.aead.open(key.chunkKey, recordNonce(header.sequence), additionalData(record, key.streamId), body);
    if (opened === null) throw formatError("FORMAT_DECRYPT_FAILED", `Cannot decrypt record ${header.sequence}: authentication failed`, { sequence: header.sequence });
    body = opened;
  }
  if (header.flags & RecordFlag.compressed) {
    try {
      body = codecs.compression.decompress(body, header.plainLength);
    } catch (cause) {
      throw formatError("FORMAT_DECOMPRESS_FAILED", `Cannot decompress record ${header.sequence}: ${cause instanceof Error ? cause.message : String(cause)}`, { sequence: header.sequence });
    }
  }
  if (body.length !== header.plainLength) {
    throw formatError("FORMAT_MALFORMED", `Cannot read record ${header.sequence}: body is ${body.length} bytes, header says ${header.plainLength}`, { sequence: header.sequence });
  }
  return body;
}
