import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { testCodecs } from "./testing-streams.js";
import { BlockPool } from "./block-pool.js";
import { DirDrive } from "./dir-drive.js";
import { alignedBlocks, canWriteDirect, DIRECT_ALIGNMENT, isAligned } from "./direct-io.js";

test("block memory lies at aligned addresses, as O_DIRECT writes need", () => {
  assert.equal(canWriteDirect, process.platform === "linux", "the native addon gives aligned memory on Linux");
  const blocks = alignedBlocks(3, 64 * 1024);
  assert.ok(blocks.every(isAligned));
  assert.ok(blocks.every((b) => b.length === 64 * 1024));
  const pool = new BlockPool(256 * 1024, 8);
  const taken = [pool.take(), pool.take(), pool.take(), pool.take(), pool.take()];
  assert.ok(taken.every(isAligned), "pool blocks, fresh and reused");
  assert.equal(isAligned(Buffer.allocUnsafeSlow(DIRECT_ALIGNMENT).subarray(1)), false);
});

test("a dir volume written directly holds exactly the blocks given, the unaligned label block too", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "reel-direct-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const drive = new DirDrive({ name: "d", path: dir, codecs: testCodecs() });
  const blockSize = 4096;
  const writer = await drive.createVolume({ label: "V1", mediumId: new Uint8Array(16).fill(7), pool: "p", blockSize, capacityBytes: 64 * blockSize, createdAt: new Date(0) });
  const aligned = alignedBlocks(2, blockSize).map((b, i) => b.fill(i + 1));
  const unaligned = Buffer.alloc(blockSize + 1, 9).subarray(1);
  await writer.write([...aligned, unaligned]);
  await writer.close();
  const bytes = readFileSync(join(dir, "V1.reel"));
  assert.equal(bytes.length, 4 * blockSize);
  assert.deepEqual([bytes[blockSize], bytes[2 * blockSize], bytes[3 * blockSize], bytes[4 * blockSize - 1]], [1, 2, 9, 9]);
});
