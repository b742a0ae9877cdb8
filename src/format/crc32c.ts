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
 * CRC-32C as a linear map (zero start, no final inversion): for two messages of one length,
 * crc32c(a) ^ crc32c(b) = linear(a ^ b). That lets a checksum follow an edit of a few bytes at
 * the front of a long message without reading the rest (a copy job re-headers blocks this way).
 */
function linear(data: Uint8Array): number {
  let crc = 0;
  for (let i = 0; i < data.length; i++) crc = (table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8)) >>> 0;
  return crc;
}

/** A 32×32 matrix over GF(2) as its 32 columns: the images of the register's bits 0…31. */
type Operator = Uint32Array;

function apply(operator: Operator, vector: number): number {
  let result = 0;
  for (let bit = 0; vector !== 0; bit++, vector >>>= 1) if ((vector & 1) !== 0) result ^= operator[bit]!;
  return result >>> 0;
}

function compose(outer: Operator, inner: Operator): Operator {
  const result = new Uint32Array(32);
  for (let bit = 0; bit < 32; bit++) result[bit] = apply(outer, inner[bit]!);
  return result;
}

/** The register update for one zero byte. */
const ONE_ZERO_BYTE: Operator = (() => {
  const columns = new Uint32Array(32);
  for (let bit = 0; bit < 32; bit++) {
    const c = (1 << bit) >>> 0;
    columns[bit] = (table[c & 0xff]! ^ (c >>> 8)) >>> 0;
  }
  return columns;
})();

/** Operators for runs of zero bytes, by length: a copy meets few lengths (mostly full payloads). */
const zeroRuns = new Map<number, Operator>();

/** The register update for `count` zero bytes (by squaring: about log2(count) compositions). */
function zeroRun(count: number): Operator {
  const known = zeroRuns.get(count);
  if (known !== undefined) return known;
  let result: Operator | null = null;
  let power = ONE_ZERO_BYTE;
  for (let n = count; n > 0; n = Math.floor(n / 2)) {
    if (n % 2 === 1) result = result === null ? power : compose(power, result);
    if (n > 1) power = compose(power, power);
  }
  result ??= Uint32Array.from({ length: 32 }, (_, bit) => (1 << bit) >>> 0);
  if (zeroRuns.size >= 256) zeroRuns.clear();
  zeroRuns.set(count, result);
  return result;
}

/**
 * The CRC-32C of `after ‖ tail`, knowing `crc` = CRC-32C of `before ‖ tail` (`before` and
 * `after` of one length), without reading `tail`: only its length `tailLength` is needed.
 */
export function crc32cAfterEdit(crc: number, before: Uint8Array, after: Uint8Array, tailLength: number): number {
  if (before.length !== after.length) throw new RangeError("crc32cAfterEdit: the edited prefix must keep its length");
  const delta = new Uint8Array(before.length);
  for (let i = 0; i < delta.length; i++) delta[i] = before[i]! ^ after[i]!;
  return (crc ^ apply(zeroRun(tailLength), linear(delta))) >>> 0;
}
