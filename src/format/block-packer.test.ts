import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { BlockPacker } from "./block-packer.js";
import { openBlock } from "./block.js";
import { sealRecord } from "./record.js";
import { pureCodecs } from "./testing-codecs.js";

const codecs = pureCodecs();

function packer(blocks: Uint8Array[], blockSize: number): BlockPacker {
  let next = 1;
  return new BlockPacker({ mediumId: new Uint8Array(16).fill(1), streamId: new Uint8Array(16).fill(2), blockSize, checksum: codecs.checksum, nextBlockNumber: () => next++, emit: (block) => blocks.push(block) });
}

/** Records of the given body sizes (CHUNK, the last a TRAILER), bodies of varied bytes. */
function records(sizes: number[]): Uint8Array[] {
  return sizes.map((size, i) => {
    const frame = new Uint8Array(24 + size);
    for (let j = 24; j < frame.length; j++) frame[j] = (j * 31 + i * 7) & 0xff;
    return sealRecord(i === sizes.length - 1 ? 3 : 2, i + 1, frame, { compress: false, key: null }, codecs);
  });
}

test("BlockPacker.appendChecked() packs exactly the blocks append() packs, whatever the record sizes and block size", () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 1, maxLength: 12 }), fc.constantFrom(4096, 8192), fc.integer({ min: 0, max: 4095 }), (sizes, blockSize, lead) => {
      // A first record of `lead` bytes leaves the block at every possible fill, so pieces cut the next headers anywhere.
      const all = records([lead, ...sizes]);
      const plain: Uint8Array[] = [];
      const checked: Uint8Array[] = [];
      const a = packer(plain, blockSize);
      const b = packer(checked, blockSize);
      for (const record of all) {
        a.append(record);
        assert.equal(b.appendChecked(record), true);
      }
      a.finish();
      b.finish();
      assert.deepEqual(checked, plain);
      for (const block of checked) assert.ok(openBlock(block, codecs.checksum).ok);
    }),
    { numRuns: 150 },
  );
});

test("BlockPacker.appendChecked() refuses a record with a flipped byte anywhere and appends nothing of it", () => {
  const [good, bad] = records([5000, 3000]) as [Uint8Array, Uint8Array];
  for (const at of [0, 19, 20, 23, 24, 2000, bad.length - 1]) {
    const blocks: Uint8Array[] = [];
    const p = packer(blocks, 4096);
    assert.equal(p.appendChecked(good), true);
    const damaged = Uint8Array.from(bad);
    damaged[at] = damaged[at]! ^ 0x10;
    assert.equal(p.appendChecked(damaged), false, `byte ${at} flipped`);
    assert.equal(p.streamOffset, good.length);
  }
});

test("BlockPacker.appendSealing() writes each record's checksum and packs the same blocks as append() of the sealed record", () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 1, maxLength: 12 }), fc.integer({ min: 0, max: 4095 }), (sizes, lead) => {
      const all = records([lead, ...sizes]);
      const plain: Uint8Array[] = [];
      const sealing: Uint8Array[] = [];
      const a = packer(plain, 4096);
      const b = packer(sealing, 4096);
      for (const record of all) {
        a.append(record);
        const unsealed = Uint8Array.from(record);
        unsealed.fill(0, 20, 24);
        b.appendSealing(unsealed);
        assert.deepEqual(unsealed, record, "the checksum written equals sealRecord's");
      }
      a.finish();
      b.finish();
      assert.deepEqual(sealing, plain);
    }),
    { numRuns: 150 },
  );
});
