import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, readSync, rmSync, unlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import { idToString } from "../format/index.js";
import { DirDrive } from "./dir-drive.js";
import { MediaAgent } from "./media-agent.js";
import { coarsenExtents, type StreamPlacement } from "./placement.js";
import { readStreamRecords, type StreamReadLoss } from "./read-stream-records.js";
import { scanVolume } from "./scan-volume.js";
import { makeStream, randomId, recordOffsets, seededRandom, testCodecs } from "./testing-streams.js";

const codecs = testCodecs();
const BLOCK = 4096;
let dir = "";
let drive: DirDrive;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "reel-"));
  drive = new DirDrive({ name: "disk1", path: dir, codecs });
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Written {
  id: Uint8Array;
  records: Uint8Array[];
  placement: StreamPlacement;
}

/** Three streams of records up to 64 KiB, interleaved record by record, on volumes of `capacityBytes`. */
async function writeThree(capacityBytes: number, seed: number): Promise<{ streams: Written[]; labels: string[] }> {
  const random = seededRandom(seed);
  const labels: string[] = [];
  const agent = new MediaAgent({
    drive, pool: null, blockSize: BLOCK, codecs, now: () => new Date("2026-01-02T03:04:05Z"),
    nextVolume: () => {
      labels.push(`R${labels.length + 1}`);
      return Promise.resolve({ label: labels.at(-1)!, mediumId: randomId(), capacityBytes });
    },
  });
  const streams = [1, 2, 3].map(() => ({ id: randomId(), records: makeStream(Array.from({ length: 60 }, () => random(10, 64 * 1024)), codecs) }));
  const writers = streams.map((s) => agent.openStream(s.id));
  for (let i = 0; i < streams[0]!.records.length; i++) for (const [n, s] of streams.entries()) await writers[n]!.write(s.records[i]!);
  const placements = await Promise.all(writers.map((w) => w.end()));
  await agent.close();
  return { streams: streams.map((s, i) => ({ ...s, placement: placements[i]! })), labels };
}

async function read(s: Written, o: { fromOffset?: number; stopAtOffset?: number; extents?: StreamPlacement["extents"] } = {}) {
  const records: { record: Uint8Array; offset: number }[] = [];
  const losses: StreamReadLoss[] = [];
  const result = await readStreamRecords({
    drive, streamId: s.id, extents: o.extents ?? s.placement.extents, codecs,
    ...(o.fromOffset === undefined ? {} : { fromOffset: o.fromOffset }),
    ...(o.stopAtOffset === undefined ? {} : { stopAtOffset: o.stopAtOffset }),
    onRecord: async (record, _header, offset) => {
      await Promise.resolve();
      records.push({ record: Uint8Array.from(record), offset });
    },
    onLoss: (loss) => void losses.push(loss),
  });
  return { ...result, records, losses };
}

/** Flips one byte of block `block` of volume `label`, `at` bytes into its payload. */
function flipByte(label: string, block: number, at: number): void {
  const fd = openSync(join(dir, `${label}.reel`), "r+");
  const position = block * BLOCK + 80 + at;
  const byte = Buffer.alloc(1);
  readSync(fd, byte, 0, 1, position);
  byte[0]! ^= 0x40;
  writeSync(fd, byte, 0, 1, position);
  closeSync(fd);
}

test("readStreamRecords() seeks to the record at fromOffset and reads far fewer blocks than the volume holds", async () => {
  const { streams, labels } = await writeThree(64 * 1024 * 1024, 3);
  const s = streams[1]!;
  const offsets = recordOffsets(s.records);
  const start = 45;
  const back = await read(s, { fromOffset: offsets[start]! });
  assert.deepEqual(back.losses, []);
  assert.equal(back.isComplete, true);
  assert.deepEqual(back.records.map((r) => r.offset), offsets.slice(start));
  back.records.forEach((r, i) => assert.deepEqual(r.record, s.records[start + i]));
  const volumeBlocks = (await scanVolume({ drive, label: labels[0]!, codecs, onBlock: () => undefined })).blocks;
  const streamBlocks = s.placement.extents.reduce((n, e) => n + e.blockCount, 0);
  assert.ok(back.blocksRead < streamBlocks / 2, `${back.blocksRead} blocks read of the stream's ${streamBlocks}`);
  assert.ok(back.blocksRead < volumeBlocks / 6, `${back.blocksRead} blocks read of the volume's ${volumeBlocks}`);
});

test("readStreamRecords() stops after the record that reaches stopAtOffset, reading little past it", async () => {
  const { streams } = await writeThree(64 * 1024 * 1024, 4);
  const s = streams[0]!;
  const offsets = recordOffsets(s.records);
  const head = await read(s, { stopAtOffset: 1 });
  assert.deepEqual(head.records.map((r) => r.offset), [0]);
  // reads sized to the stop, none ahead of it: the HEAD's block and one more (were 24 blocks)
  assert.ok(head.blocksRead <= 2, `${head.blocksRead} blocks read for the HEAD`);
  const some = await read(s, { fromOffset: offsets[10]!, stopAtOffset: offsets[12]! + 1 });
  assert.deepEqual(some.records.map((r) => r.offset), offsets.slice(10, 13));
  some.records.forEach((r, i) => assert.deepEqual(r.record, s.records[10 + i]));
  assert.equal(some.isComplete, false);
  // the three records' own blocks, the two other streams' between them, and no reads ahead (were 65)
  const ownBlocks = Math.ceil((offsets[12]! + s.records[12]!.length - offsets[10]!) / (BLOCK - 80));
  assert.ok(some.blocksRead < 2 * ownBlocks, `${some.blocksRead} blocks read for ${ownBlocks} blocks of records`);
});

test("readStreamRecords() reports a damaged block through onLoss and reads on after it", async () => {
  const { streams, labels } = await writeThree(64 * 1024 * 1024, 5);
  const s = streams[2]!;
  const extent = s.placement.extents[Math.floor(s.placement.extents.length / 2)]!;
  flipByte(extent.label, extent.firstBlock, 100);
  const back = await read(s);
  assert.deepEqual(back.damagedBlocks, [{ label: labels[0]!, block: extent.firstBlock }]);
  assert.equal(back.losses.length, 1);
  const loss = back.losses[0]!;
  assert.equal(loss.label, labels[0]);
  assert.equal(loss.block, extent.firstBlock);
  assert.match(loss.reason, new RegExp(`block ${extent.firstBlock} of volume "${labels[0]}" is damaged`));
  assert.ok(loss.fromOffset <= extent.streamOffset && loss.toOffset > extent.streamOffset + BLOCK - 80);
  // Every record outside the lost range is read back as written, and in order, up to the trailer.
  const offsets = recordOffsets(s.records);
  const kept = offsets.map((offset, i) => ({ offset, i })).filter(({ offset, i }) => offset + s.records[i]!.length <= loss.fromOffset || offset >= loss.toOffset);
  assert.deepEqual(back.records.map((r) => r.offset), kept.map((k) => k.offset));
  back.records.forEach((r, n) => assert.deepEqual(r.record, s.records[kept[n]!.i]));
  assert.equal(back.isComplete, true);
  // The other streams on the volume are untouched.
  assert.deepEqual((await read(streams[0]!)).losses, []);
});

test("readStreamRecords() reports a damaged last block as a loss at the end", async () => {
  const { streams } = await writeThree(64 * 1024 * 1024, 6);
  const s = streams[0]!;
  const last = s.placement.extents.at(-1)!;
  flipByte(last.label, last.firstBlock + last.blockCount - 1, 0);
  const back = await read(s);
  assert.equal(back.isComplete, false);
  assert.equal(back.losses.length, 1);
  assert.equal(back.losses[0]!.block, last.firstBlock + last.blockCount - 1);
  assert.ok(back.records.length < s.records.length);
});

test("readStreamRecords() reads a stream that spans volumes, and reads past a missing volume", async () => {
  const { streams, labels } = await writeThree(1024 * 1024, 7);
  assert.ok(labels.length >= 4, `${labels.length} volumes`);
  const s = streams[1]!;
  const whole = await read(s);
  assert.deepEqual(whole.losses, []);
  whole.records.forEach((r, i) => assert.deepEqual(r.record, s.records[i]));
  assert.equal(whole.records.length, s.records.length);
  const gone = s.placement.segments[1]!.label;
  unlinkSync(join(dir, `${gone}.reel`));
  const back = await read(s);
  assert.equal(back.losses.length, 1);
  assert.equal(back.losses[0]!.label, gone);
  assert.match(back.losses[0]!.reason, /does not exist/);
  assert.equal(back.isComplete, true, "the volumes after the missing one are read");
});

test("readStreamRecords() takes coarse extents (whole segments, coarsenExtents()), skipping other streams' blocks", async () => {
  const { streams } = await writeThree(64 * 1024 * 1024, 8);
  const s = streams[0]!;
  const merged = coarsenExtents(s.placement.extents, 1000);
  assert.equal(merged.length, 1);
  const coarse = s.placement.segments.map((seg) => ({ label: seg.label, firstBlock: seg.firstBlock, blockCount: seg.lastBlock - seg.firstBlock + 1, streamOffset: seg.streamOffset }));
  const back = await read(s, { extents: coarse });
  assert.deepEqual(back.losses, []);
  assert.equal(back.records.length, s.records.length);
  back.records.forEach((r, i) => assert.deepEqual(r.record, s.records[i]));
  const offsets = recordOffsets(s.records);
  assert.deepEqual(merged, coarse);
  for (const start of [1, 30, 55]) {
    const seek = await read(s, { extents: coarse, fromOffset: offsets[start]! });
    assert.deepEqual(seek.losses, []);
    assert.deepEqual(seek.records.map((r) => r.offset), offsets.slice(start));
  }
  // Merging only small gaps keeps runs apart where other streams wrote much in between.
  assert.ok(coarsenExtents(s.placement.extents, 0).length === s.placement.extents.length);
});

test("scanVolume() checks every block and counts the damaged ones", async () => {
  const { streams, labels } = await writeThree(64 * 1024 * 1024, 9);
  const seen: number[] = [];
  const ids = new Set<string>();
  const clean = await scanVolume({
    drive, label: labels[0]!, codecs,
    onBlock: (info) => {
      seen.push(info.block);
      if (info.header !== null && info.block > 0) ids.add(idToString(info.header.streamId));
    },
  });
  assert.equal(clean.label?.label, labels[0]);
  assert.equal(clean.damaged, 0);
  assert.deepEqual(seen, Array.from({ length: clean.blocks }, (_, i) => i));
  assert.deepEqual([...ids].sort(), streams.map((s) => idToString(s.id)).sort());
  flipByte(labels[0]!, 0, 3);
  flipByte(labels[0]!, 7, 3);
  const damaged = await scanVolume({ drive, label: labels[0]!, codecs, onBlock: () => undefined });
  assert.equal(damaged.label, null);
  assert.equal(damaged.damaged, 2);
  assert.equal(damaged.blocks, clean.blocks, "a damaged label does not hide the block size");
});
