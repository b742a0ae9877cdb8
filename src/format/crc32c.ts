/**
 * A table-driven CRC-32C (Castagnoli, format.md §1) in plain TypeScript: slow (about
 * 400 MB/s) but dependency-free, for tests, the browser and as the reference.
 */
const table = buildTable();

function buildTable(): Uint32Array {
  const result = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    result[n] = c >>> 0;
  }
  return result;
}

/** CRC-32C of `data`, continuing from `previous` (0 for a fresh start). */
export function crc32c(data: Uint8Array, previous = 0): number {
  let crc = ~previous >>> 0;
  for (let i = 0; i < data.length; i++) {
    crc = (table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8)) >>> 0;
  }
  return ~crc >>> 0;
}

/**
 * CRC arithmetic (as zlib's crc32_combine, for the Castagnoli polynomial): polynomials modulo
 * P(x) in the reflected bit order of the register. It lets checksums be joined and edited
 * without reading the bytes again: the CRC-32C of A ‖ B from those of A and B and B's length,
 * or of a message whose first bytes changed (a copy re-headers blocks this way; a media agent
 * checks a record and seals its blocks with one pass over the bytes).
 */
const POLY = 0x82f63b78;

/** a·b modulo P (reflected: bit 31 is x^0). */
function multiplyModP(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  for (;;) {
    if ((a & m) !== 0) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = (b & 1) !== 0 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

/** x^(2^k) modulo P for k = 0…31 (by squaring). */
const X_POWERS = (() => {
  const powers = new Uint32Array(32);
  let p = 0x40000000; // x^1
  powers[0] = p;
  for (let k = 1; k < 32; k++) powers[k] = p = multiplyModP(p, p);
  return powers;
})();

/** x^(8·n) modulo P: the shift by n zero bytes; the few lengths a writer meets are cached. */
const shifts = new Map<number, number>();
function shiftFor(bytes: number): number {
  const known = shifts.get(bytes);
  if (known !== undefined) return known;
  let p = 0x80000000; // x^0
  let k = 3; // 8·n = n·2^3
  for (let n = bytes; n > 0; n = Math.floor(n / 2), k++) if (n % 2 === 1) p = multiplyModP(X_POWERS[k & 31]!, p);
  if (shifts.size >= 1024) shifts.clear();
  shifts.set(bytes, p);
  return p;
}

/** The CRC-32C of A ‖ B from `crcA`, `crcB` and B's length in bytes. */
export function crc32cCombine(crcA: number, crcB: number, lengthB: number): number {
  return (multiplyModP(shiftFor(lengthB), crcA) ^ crcB) >>> 0;
}

/** The CRC register as a linear map (zero start, no final inversion): crc32c(a) ^ crc32c(b) = linear(a ^ b) for a, b of one length. */
function linear(data: Uint8Array): number {
  let crc = 0;
  for (let i = 0; i < data.length; i++) crc = (table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8)) >>> 0;
  return crc;
}

/**
 * The CRC-32C of `after ‖ tail`, knowing `crc` = CRC-32C of `before ‖ tail` (`before` and
 * `after` of one length), without reading `tail`: only its length `tailLength` is needed.
 */
export function crc32cAfterEdit(crc: number, before: Uint8Array, after: Uint8Array, tailLength: number): number {
  if (before.length !== after.length) throw new RangeError("crc32cAfterEdit: the edited prefix must keep its length");
  const delta = new Uint8Array(before.length);
  for (let i = 0; i < delta.length; i++) delta[i] = before[i]! ^ after[i]!;
  return (crc ^ multiplyModP(shiftFor(tailLength), linear(delta))) >>> 0;
}
