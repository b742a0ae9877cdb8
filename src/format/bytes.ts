import { formatError } from "./errors.js";

/** Little-endian reads from a byte array, each bounds-checked: a short input is FORMAT_TRUNCATED. */
export class ByteReader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  offset: number;
  readonly end: number;
  readonly #what: string;

  constructor(bytes: Uint8Array, what: string, start = 0, end = bytes.length) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.offset = start;
    this.end = end;
    this.#what = what;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  need(length: number): void {
    if (length < 0 || this.offset + length > this.end) {
      throw formatError(
        "FORMAT_TRUNCATED",
        `Cannot read ${this.#what}: ${length} bytes needed at offset ${this.offset}, ${this.end - this.offset} left`,
        { offset: this.offset },
      );
    }
  }

  u8(): number {
    this.need(1);
    return this.view.getUint8(this.offset++);
  }

  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.offset, true);
    this.offset += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }

  /** u64 as a number; values above 2^53 are FORMAT_TOO_LARGE (no reel stream reaches them). */
  u64(): number {
    this.need(8);
    const low = this.view.getUint32(this.offset, true);
    const high = this.view.getUint32(this.offset + 4, true);
    this.offset += 8;
    if (high > 0x1fffff) throw formatError("FORMAT_TOO_LARGE", `Cannot read ${this.#what}: a 64-bit value exceeds 2^53`);
    return high * 0x100000000 + low;
  }

  i64(): number {
    this.need(8);
    const v = this.view.getBigInt64(this.offset, true);
    this.offset += 8;
    if (v > 9007199254740991n || v < -9007199254740991n) {
      throw formatError("FORMAT_TOO_LARGE", `Cannot read ${this.#what}: a 64-bit value exceeds 2^53`);
    }
    return Number(v);
  }

  take(length: number): Uint8Array {
    this.need(length);
    const v = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return v;
  }
}

/** Writes a u64 (given as a non-negative safe integer) little-endian. */
export function setU64(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, value % 0x100000000, true);
  view.setUint32(offset + 4, Math.floor(value / 0x100000000), true);
}

/** Writes an i64 (a safe integer, possibly negative) little-endian. */
export function setI64(view: DataView, offset: number, value: number): void {
  view.setBigInt64(offset, BigInt(value), true);
}

/** Reads a u64 without a ByteReader (hot paths). */
export function getU64(view: DataView, offset: number): number {
  return view.getUint32(offset + 4, true) * 0x100000000 + view.getUint32(offset, true);
}

export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const hex = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Formats 16 id bytes as a lowercase UUID string. */
export function idToString(id: Uint8Array): string {
  let s = "";
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += "-";
    s += hex[id[i] ?? 0];
  }
  return s;
}

/** Parses a UUID string (with or without dashes) into 16 bytes. */
export function idFromString(text: string): Uint8Array {
  const clean = text.replace(/-/g, "");
  if (!/^[0-9a-fA-F]{32}$/.test(clean)) throw formatError("FORMAT_MALFORMED", `Cannot parse id "${text}": not 32 hex digits`);
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/**
 * A copy of `bytes` in memory of its own. (Not `.slice()`: on a Node Buffer, which callers may
 * pass, slice() shares memory, and the source may be reused for the next block.)
 */
export function copyOf(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  out.set(bytes);
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** UTF-8 encoding of a string (lone surrogates become U+FFFD). Pure, so that no runtime global is needed. */
export function utf8(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Uint8Array.from(out);
}

/** Decodes UTF-8, replacing invalid sequences with U+FFFD (for messages and JSON only, never paths). */
export function fromUtf8(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    let c = 0xfffd;
    let n = 1;
    if (b < 0x80) c = b;
    else if (b >= 0xc2 && b < 0xe0 && cont(bytes, i, 1)) {
      c = ((b & 31) << 6) | (bytes[i + 1]! & 63);
      n = 2;
    }
    else if (b >= 0xe0 && b < 0xf0 && cont(bytes, i, 2)) {
      const v = ((b & 15) << 12) | ((bytes[i + 1]! & 63) << 6) | (bytes[i + 2]! & 63);
      if (v >= 0x800 && (v < 0xd800 || v > 0xdfff)) {
        c = v;
        n = 3;
      }
    } else if (b >= 0xf0 && b < 0xf5 && cont(bytes, i, 3)) {
      const v = ((b & 7) << 18) | ((bytes[i + 1]! & 63) << 12) | ((bytes[i + 2]! & 63) << 6) | (bytes[i + 3]! & 63);
      if (v >= 0x10000 && v <= 0x10ffff) {
        c = v;
        n = 4;
      }
    }
    s += String.fromCodePoint(c);
    i += n;
  }
  return s;
}

function cont(bytes: Uint8Array, i: number, count: number): boolean {
  for (let k = 1; k <= count; k++) if (((bytes[i + k] ?? 0) & 0xc0) !== 0x80) return false;
  return true;
}
