import assert from "node:assert/strict";
import { test } from "node:test";
import { crc32c, crc32cAfterEdit, crc32cCombine } from "./crc32c.js";

/** A small deterministic generator: the same bytes every run. */
function bytes(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

test("crc32cAfterEdit() gives the CRC-32C of the edited message without reading its tail", () => {
  for (const [seed, prefix, tail] of [[1, 76, 65456], [2, 76, 0], [3, 76, 1], [4, 1, 4095], [5, 76, 16 * 1024 * 1024 - 80], [6, 32, 12345], [7, 76, 65456]] as const) {
    const before = bytes(seed, prefix + tail);
    const after = Uint8Array.from(before);
    after.set(bytes(seed + 100, Math.min(prefix, 32)), prefix - Math.min(prefix, 32));
    const expected = crc32c(after);
    assert.equal(crc32cAfterEdit(crc32c(before), before.subarray(0, prefix), after.subarray(0, prefix), tail), expected, `prefix ${prefix}, tail ${tail}`);
  }
});

test("crc32cAfterEdit() keeps a wrong checksum wrong (damage is carried, not hidden)", () => {
  const before = bytes(9, 4096);
  const after = Uint8Array.from(before);
  after[20] = after[20]! ^ 0xff;
  const wrong = (crc32c(before) ^ 1) >>> 0;
  assert.notEqual(crc32cAfterEdit(wrong, before.subarray(0, 76), after.subarray(0, 76), 4096 - 76), crc32c(after));
  assert.throws(() => crc32cAfterEdit(0, before.subarray(0, 76), after.subarray(0, 75), 10), RangeError);
});

test("crc32cCombine() joins the CRC-32C of two pieces into that of the whole", () => {
  const whole = bytes(21, 200_000);
  for (const cut of [0, 1, 19, 20, 24, 4096, 65456, 131_000, 199_999, 200_000]) {
    const a = whole.subarray(0, cut);
    const b = whole.subarray(cut);
    assert.equal(crc32cCombine(crc32c(a), crc32c(b), b.length), crc32c(whole), `cut at ${cut}`);
  }
});
