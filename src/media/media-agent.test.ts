import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import { BLOCK_FLAG_END_OF_STREAM, type BlockHeader, BlockKind, decodeLabel, idToString, openBlock, RecordType } from "../format/index.js";
import { isReelError } from "../errors/index.js";
import { DirDrive } from "./dir-drive.js";
import type { Drive } from "./drive.js";
import { MediaAgent } from "./media-agent.js";
import { MemoryDrive } from "./memory-drive.js";
import type { StreamPlacement } from "./placement.js";
import { readStreamRecords } from "./read-stream-records.js";
import { GatedDrive, makeStream, randomId, seededRandom, testCodecs } from "./testing-streams.js";

const codecs = testCodecs();
const MiB = 1024 * 1024;
let dir = "";

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "reel-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Setup {
  drive: Drive;
  agent: MediaAgent;
  labels: string[];
  events: { label: string; state: string; blocks: number }[];
}

function setup(o: { blockSize: number; capacityBytes: number; highWaterBytes?: number; drive?: Drive }): Setup {
  const drive = o.drive ?? new DirDrive({ name: "disk1", path: dir, codecs });
  const labels: string[] = [];
  const events: Setup["events"] = [];
  const agent = new MediaAgent({
    drive, pool: "daily", blockSize: o.blockSize, codecs, now: () => new Date("2026-01-02T03:04:05Z"),
    nextVolume: () => {
      const label = `T${String(labels.length + 1).padStart(5, "0")}`;
      labels.push(label);
      return Promise.resolve({ label, mediumId: randomId(), capacityBytes: o.capacityBytes });
    },
    onVolume: (event) => events.push({ label: event.label, state: event.state, blocks: event.blocks }),
    ...(o.highWaterBytes === undefined ? {} : { highWaterBytes: o.highWaterBytes }),
  });
  return { drive, agent, labels, events };
}

/** Writes each stream's records, picking the stream of every next record at random. */
async function writeInterleaved(agent: MediaAgent, streams: { id: Uint8Array; records: Uint8Array[] }[], seed: number): Promise<StreamPlacement[]> {
  const random = seededRandom(seed);
  const writers = streams.map((s) => agent.openStream(s.id));
  const next = streams.map(() => 0);
  for (;;) {
    const open = streams.map((_, i) => i).filter((i) => next[i]! < streams[i]!.records.length);
    if (open.length === 0) break;
    const i = open[random(0, open.length - 1)]!;
    await writers[i]!.write(streams[i]!.records[next[i]!++]!);
  }
  return Promise.all(writers.map((w) => w.end()));
}

async function readAll(drive: Drive, id: Uint8Array, placement: StreamPlacement, fromOffset = 0): Promise<{ records: Uint8Array[]; losses: string[]; blocksRead: number; isComplete: boolean }> {
  const records: Uint8Array[] = [];
  const losses: string[] = [];
  const result = await readStreamRecords({
    drive, streamId: id, extents: placement.extents, fromOffset, codecs,
    onRecord: (record) => void records.push(Uint8Array.from(record)),
    onLoss: (loss) => void losses.push(loss.reason),
  });
  return { records, losses, blocksRead: result.blocksRead, isComplete: result.isComplete };
}

interface SeenBlock {
  label: string;
  block: number;
  streamOffset: number;
  payloadLength: number;
  flags: number;
}

/** Reads every block of the volumes: checks each, and returns the stream blocks by stream id. */
async function volumeBlocks(drive: Drive, labels: string[]): Promise<Map<string, SeenBlock[]>> {
  const byStream = new Map<string, SeenBlock[]>();
  for (const label of labels) {
    const volume = await drive.openVolume(label);
    const blocks = await volume.readBlocks(0, volume.blockCount);
    await volume.close();
    blocks.forEach((block, number) => {
      const check = openBlock(block, codecs.checksum);
      assert.ok(check.ok, `block ${number} of ${label} passes openBlock`);
      assert.equal(check.header.blockNumber, number);
      assert.equal(check.header.kind, number === 0 ? BlockKind.label : BlockKind.stream, `block ${number} of ${label}: the label is first, then stream blocks`);
      if (number === 0) {
        assert.deepEqual(decodeLabel(check.payload), { label, pool: "daily", createdAt: "2026-01-02T03:04:05.000Z", writer: "reel 0.1.0" });
        return;
      }
      assert.ok(check.header.payloadLength > 0);
      assert.ok(block.subarray(80 + check.header.payloadLength).every((b) => b === 0), `block ${number} of ${label}: zero padding`);
      const key = idToString(check.header.streamId);
      if (!byStream.has(key)) byStream.set(key, []);
      byStream.get(key)!.push({ label, block: number, streamOffset: check.header.streamOffset, payloadLength: check.header.payloadLength, flags: check.header.flags });
    });
  }
  return byStream;
}

/** Extents as runs of consecutive blocks, computed from what is on the volumes. */
function extentsOf(blocks: SeenBlock[]): StreamPlacement["extents"] {
  const extents: StreamPlacement["extents"] = [];
  for (const b of blocks) {
    const last = extents.at(-1);
    if (last !== undefined && last.label === b.label && last.firstBlock + last.blockCount === b.block) last.blockCount++;
    else extents.push({ label: b.label, firstBlock: b.block, blockCount: 1, streamOffset: b.streamOffset });
  }
  return extents;
}

function checkStreamBlocks(blocks: SeenBlock[], placement: StreamPlacement, hasTrailer: boolean): void {
  let offset = 0;
  for (const b of blocks) {
    assert.equal(b.streamOffset, offset, `block ${b.block} of ${b.label} continues the stream where the one before ended`);
    offset += b.payloadLength;
  }
  assert.equal(offset, placement.bytes);
  blocks.forEach((b, i) => assert.equal(b.flags & BLOCK_FLAG_END_OF_STREAM, hasTrailer && i === blocks.length - 1 ? 1 : 0, `end-of-stream flag of block ${b.block}`));
  assert.deepEqual(placement.extents, extentsOf(blocks));
}

test("MediaAgent multiplexes three streams onto one volume, and each reads back identical and in order", async () => {
  const random = seededRandom(1);
  const { drive, agent, labels, events } = setup({ blockSize: 64 * 1024, capacityBytes: 1024 * MiB });
  const streams = [1, 2, 3].map(() => ({ id: randomId(), records: makeStream(Array.from({ length: 24 }, () => random(10, MiB)), codecs) }));
  const placements = await writeInterleaved(agent, streams, 7);
  await agent.close();
  assert.deepEqual(labels, ["T00001"]);
  assert.deepEqual(events.map((e) => `${e.label} ${e.state}`), ["T00001 opened"]);
  const byStream = await volumeBlocks(drive, labels);
  for (const [i, s] of streams.entries()) {
    const placement = placements[i]!;
    assert.equal(placement.bytes, s.records.reduce((n, r) => n + r.length, 0));
    assert.equal(placement.isComplete, true);
    assert.equal(placement.segments.length, 1);
    assert.ok(placement.extents.length > 1, "the streams interleave");
    checkStreamBlocks(byStream.get(idToString(s.id))!, placement, true);
    const back = await readAll(drive, s.id, placement);
    assert.deepEqual(back.losses, []);
    assert.equal(back.isComplete, true);
    assert.equal(back.records.length, s.records.length);
    back.records.forEach((record, j) => assert.deepEqual(record, s.records[j], `record ${j} of stream ${i}`));
  }
});

test("MediaAgent spans streams over several volumes when one fills, with segments and extents per volume", async () => {
  const random = seededRandom(2);
  const { drive, agent, labels, events } = setup({ blockSize: 4096, capacityBytes: 1024 * 1024 + 100 });
  const streams = [1, 2, 3].map(() => ({ id: randomId(), records: makeStream(Array.from({ length: 12 }, () => random(10, 300 * 1024)), codecs) }));
  // Concurrent writers: each stream awaits its own writes only.
  const placements = await Promise.all(
    streams.map(async (s) => {
      const writer = agent.openStream(s.id);
      for (const record of s.records) await writer.write(record);
      return writer.end();
    }),
  );
  await agent.close();
  assert.ok(labels.length >= 4, `${labels.length} volumes`);
  const full = events.filter((e) => e.state === "full");
  assert.deepEqual(full.map((e) => e.label), labels.slice(0, -1), "every volume but the last is reported full");
  for (const e of full) assert.equal(e.blocks, 256);
  const byStream = await volumeBlocks(drive, labels);
  for (const [i, s] of streams.entries()) {
    const placement = placements[i]!;
    const blocks = byStream.get(idToString(s.id))!;
    checkStreamBlocks(blocks, placement, true);
    const volumesTouched = [...new Set(blocks.map((b) => b.label))];
    assert.deepEqual(placement.segments.map((seg) => seg.label), volumesTouched);
    for (const seg of placement.segments) {
      const mine = blocks.filter((b) => b.label === seg.label);
      assert.deepEqual(seg, { label: seg.label, firstBlock: mine[0]!.block, lastBlock: mine.at(-1)!.block, streamOffset: mine[0]!.streamOffset });
    }
    assert.ok(placement.segments.length > 1, `stream ${i} spans volumes`);
    const back = await readAll(drive, s.id, placement);
    assert.deepEqual(back.losses, []);
    assert.equal(back.records.length, s.records.length);
    back.records.forEach((record, j) => assert.deepEqual(record, s.records[j]));
  }
});

test("StreamWriter.write() refuses a record with a bad checksum, out of sequence or cut short, naming stream and sequence", async () => {
  const { drive, agent } = setup({ blockSize: 4096, capacityBytes: MiB });
  const id = randomId();
  const records = makeStream([100, 200, 300], codecs);
  const writer = agent.openStream(id);
  await writer.write(records[0]!);
  const bad = Uint8Array.from(records[1]!);
  bad[50]! ^= 0x01;
  await assert.rejects(writer.write(bad), (error) => isReelError(error, "MEDIA_BAD_RECORD") && error.message.includes(idToString(id)) && error.details["sequence"] === 1 && /checksum/.test(error.message));
  await assert.rejects(writer.write(records[2]!), (error) => isReelError(error, "MEDIA_BAD_RECORD") && error.details["sequence"] === 2 && /record 1 was expected/.test(error.message));
  await assert.rejects(writer.write(records[1]!.subarray(0, 60)), (error) => isReelError(error, "MEDIA_BAD_RECORD"));
  // The stream stays open: the good record goes on.
  for (const record of records.slice(1)) await writer.write(record);
  await assert.rejects(writer.write(records[0]!), (error) => isReelError(error, "MEDIA_STREAM_CLOSED"));
  const placement = await writer.end();
  await agent.close();
  const back = await readAll(drive, id, placement);
  assert.deepEqual(back.records, records.map((r) => Uint8Array.from(r)));
});

test("StreamWriter.abort() leaves the stream's blocks readable up to its last record, without end-of-stream flag", async () => {
  const { drive, agent, labels } = setup({ blockSize: 4096, capacityBytes: 8 * MiB });
  const id = randomId();
  const other = randomId();
  const records = makeStream([5000, 70_000, 123], codecs, false);
  const writer = agent.openStream(id);
  const otherWriter = agent.openStream(other);
  await otherWriter.write(makeStream([10], codecs)[0]!);
  for (const record of records) await writer.write(record);
  const placement = await writer.abort();
  assert.equal(placement.isComplete, false);
  assert.equal(placement.bytes, records.reduce((n, r) => n + r.length, 0));
  await assert.rejects(writer.write(records[0]!), (error) => isReelError(error, "MEDIA_STREAM_CLOSED"));
  // Before the agent closes, the aborted stream's blocks are on the volume already.
  const early = await readAll(drive, id, placement);
  assert.equal(early.records.length, records.length);
  await otherWriter.abort();
  await agent.close();
  const byStream = await volumeBlocks(drive, labels);
  checkStreamBlocks(byStream.get(idToString(id))!, placement, false);
  const back = await readAll(drive, id, placement);
  assert.deepEqual(back.losses, []);
  assert.equal(back.isComplete, false);
  assert.deepEqual(back.records, records.map((r) => Uint8Array.from(r)));
});

test("StreamWriter.end() without a trailer throws MEDIA_NO_TRAILER; a stream id is taken while its stream is open", async () => {
  const { agent } = setup({ blockSize: 4096, capacityBytes: MiB });
  const id = randomId();
  const writer = agent.openStream(id);
  await writer.write(makeStream([], codecs, false)[0]!);
  await assert.rejects(writer.end(), (error) => isReelError(error, "MEDIA_NO_TRAILER"));
  assert.throws(() => agent.openStream(id), (error) => isReelError(error, "MEDIA_STREAM_EXISTS"));
  const placement = await writer.abort();
  assert.equal(placement.extents.length, 1);
  // Ended: the id may come again (another copy of the saveset).
  await agent.openStream(id).abort();
  assert.deepEqual(await agent.openStream(randomId()).abort(), { bytes: 0, isComplete: false, segments: [], extents: [] }, "a stream that got nothing lies nowhere");
  await agent.close();
});

test("MediaAgent.close() with a stream still open writes what it received; the stream then takes no records", async () => {
  const { drive, agent, labels, events } = setup({ blockSize: 8192, capacityBytes: 8 * MiB });
  const id = randomId();
  const records = makeStream([3000, 40_000], codecs);
  const writer = agent.openStream(id);
  for (const record of records.slice(0, 2)) await writer.write(record);
  await agent.close();
  assert.deepEqual(events.map((e) => e.state), ["opened"], "the volume is closed, not reported full");
  await assert.rejects(writer.write(records[2]!), (error) => isReelError(error, "MEDIA_AGENT_CLOSED"));
  assert.throws(() => agent.openStream(randomId()), (error) => isReelError(error, "MEDIA_AGENT_CLOSED"));
  const placement = await writer.abort();
  assert.equal(placement.bytes, records[0]!.length + records[1]!.length);
  const byStream = await volumeBlocks(drive, labels);
  checkStreamBlocks(byStream.get(idToString(id))!, placement, false);
  const back = await readAll(drive, id, placement);
  assert.deepEqual(back.records, records.slice(0, 2).map((r) => Uint8Array.from(r)));
  await agent.close();
});

test("StreamWriter.write() stays pending while the agent is over its high-water mark (backpressure)", async () => {
  const gated = new GatedDrive(new DirDrive({ name: "disk1", path: dir, codecs }));
  const { agent } = setup({ blockSize: 64 * 1024, capacityBytes: 64 * MiB, highWaterBytes: MiB, drive: gated });
  const id = randomId();
  const records = makeStream(Array.from({ length: 8 }, () => 512 * 1024), codecs);
  const writer = agent.openStream(id);
  await writer.write(records[0]!); // the volume is labelled and open
  gated.hold();
  let settled = 0;
  const pending: Promise<void>[] = [];
  for (const record of records.slice(1, 5)) {
    const written = writer.write(record);
    void written.then(() => settled++);
    pending.push(written);
  }
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  assert.ok(agent.pendingBytes > MiB, `${agent.pendingBytes} bytes pending`);
  assert.ok(settled < 4, "writes over the high-water mark wait");
  gated.release();
  await Promise.all(pending);
  for (const record of records.slice(5)) await writer.write(record);
  const placement = await writer.end();
  await agent.close();
  assert.equal(placement.bytes, records.reduce((n, r) => n + r.length, 0));
});

test("MediaAgent fails every writer with the drive's error once a volume write fails", async () => {
  const gated = new GatedDrive(new DirDrive({ name: "disk1", path: dir, codecs }));
  const { agent } = setup({ blockSize: 4096, capacityBytes: 64 * MiB, highWaterBytes: 64 * 1024, drive: gated });
  const writer = agent.openStream(randomId());
  const records = makeStream(Array.from({ length: 20 }, () => 50_000), codecs);
  gated.failWith = new Error("EIO: disk on fire");
  await assert.rejects(async () => {
    for (const record of records) await writer.write(record);
    await writer.end();
  }, /disk on fire/);
  await assert.rejects(writer.abort(), /disk on fire/);
  await assert.rejects(agent.close(), /disk on fire/);
});

test("MediaAgent refuses a volume too small for a label and one block", async () => {
  const { agent } = setup({ blockSize: 4096, capacityBytes: 4096 });
  const writer = agent.openStream(randomId());
  // The first block is sealed by the trailer: only then is a volume asked for.
  await assert.rejects(async () => {
    for (const record of makeStream([10], codecs)) await writer.write(record);
  }, (error) => isReelError(error, "MEDIA_VOLUME_TOO_SMALL"));
  // What the stream holds cannot be written anywhere: abort() and close() say so too.
  await assert.rejects(writer.abort(), (error) => isReelError(error, "MEDIA_VOLUME_TOO_SMALL"));
  await assert.rejects(agent.close(), (error) => isReelError(error, "MEDIA_VOLUME_TOO_SMALL"));
});

test("a trailer record ends the stream's block with the end-of-stream flag even when it fills the block exactly", async () => {
  const { drive, agent, labels } = setup({ blockSize: 4096, capacityBytes: MiB });
  const id = randomId();
  // HEAD (48 bytes) + chunk + TRAILER (88 bytes) = exactly one payload of 4016 bytes.
  const records = makeStream([4016 - 48 - 88 - 24], codecs);
  assert.equal(records.reduce((n, r) => n + r.length, 0), 4016);
  const writer = agent.openStream(id);
  for (const record of records) await writer.write(record);
  const placement = await writer.end();
  await agent.close();
  const blocks = (await volumeBlocks(drive, labels)).get(idToString(id))!;
  assert.equal(blocks.length, 1);
  checkStreamBlocks(blocks, placement, true);
  assert.equal(records.at(-1)![0], RecordType.trailer);
});

test("MediaAgent spans one record over several volumes when it is larger than a volume", async () => {
  const { drive, agent, labels, events } = setup({ blockSize: 4096, capacityBytes: 8 * 4096 });
  const id = randomId();
  const records = makeStream([100_000, 10, 60_000], codecs);
  const writer = agent.openStream(id);
  for (const record of records) await writer.write(record);
  const placement = await writer.end();
  await agent.close();
  const blocks = (await volumeBlocks(drive, labels)).get(idToString(id))!;
  assert.equal(labels.length, Math.ceil(blocks.length / 7));
  assert.deepEqual(events.filter((e) => e.state === "full").map((e) => e.label), labels.slice(0, -1));
  checkStreamBlocks(blocks, placement, true);
  assert.deepEqual(placement.segments.map((s) => [s.label, s.firstBlock, s.lastBlock]), labels.map((label, i) => [label, 1, i < labels.length - 1 ? 7 : blocks.length - 7 * i]));
  const back = await readAll(drive, id, placement);
  assert.deepEqual(back.records, records.map((r) => Uint8Array.from(r)));
});

test("MediaAgent then readStreamRecords() give back every stream byte for byte, whatever the interleaving, block size and volume size", async () => {
  for (let seed = 10; seed < 22; seed++) {
    const random = seededRandom(seed);
    const blockSize = [4096, 8192, 12288, 65536][random(0, 3)]!;
    const drive = new MemoryDrive({ name: "memory", codecs });
    const { agent, labels } = setup({ blockSize, capacityBytes: blockSize * random(2, 200), highWaterBytes: random(1, 64) * 4096, drive });
    const streams = Array.from({ length: random(1, 5) }, () => ({
      id: randomId(),
      records: makeStream(Array.from({ length: random(0, 12) }, () => random(1, random(0, 1) === 0 ? 2000 : 150_000)), codecs, random(0, 3) > 0),
    }));
    const writers = streams.map((s) => agent.openStream(s.id));
    const next = streams.map(() => 0);
    for (;;) {
      const open = streams.map((_, i) => i).filter((i) => next[i]! < streams[i]!.records.length);
      if (open.length === 0) break;
      const i = open[random(0, open.length - 1)]!;
      await writers[i]!.write(streams[i]!.records[next[i]!++]!);
    }
    const placements = await Promise.all(writers.map((w, i) => (streams[i]!.records.at(-1)![0] === RecordType.trailer ? w.end() : w.abort())));
    await agent.close();
    const byStream = await volumeBlocks(drive, labels);
    for (const [i, s] of streams.entries()) {
      const hasTrailer = s.records.at(-1)![0] === RecordType.trailer;
      checkStreamBlocks(byStream.get(idToString(s.id)) ?? [], placements[i]!, hasTrailer);
      const back = await readAll(drive, s.id, placements[i]!);
      assert.deepEqual(back.losses, [], `seed ${seed}, stream ${i}`);
      assert.equal(back.isComplete, hasTrailer);
      assert.deepEqual(back.records, s.records.map((r) => Uint8Array.from(r)), `seed ${seed}, stream ${i}`);
    }
  }
});

/** Every checked stream block of `streamId` on the volumes, in order, as read. */
async function streamBlocksOf(drive: Drive, labels: string[], streamId: Uint8Array): Promise<{ block: Uint8Array; header: BlockHeader }[]> {
  const found: { block: Uint8Array; header: BlockHeader }[] = [];
  for (const label of labels) {
    const volume = await drive.openVolume(label);
    const blocks = await volume.readBlocks(0, volume.blockCount);
    await volume.close();
    for (const block of blocks) {
      const check = openBlock(Uint8Array.from(block), codecs.checksum);
      if (check.ok && check.header.kind === BlockKind.stream && idToString(check.header.streamId) === idToString(streamId)) found.push({ block: Uint8Array.from(block), header: check.header });
    }
  }
  return found;
}

test("StreamWriter.writeBlock() carries checked blocks of another medium over as they are, onto larger blocks, multiplexed and spanning, and they read back identical", async () => {
  const random = seededRandom(11);
  const source = setup({ blockSize: 64 * 1024, capacityBytes: 3 * MiB });
  const streams = [1, 2].map(() => ({ id: randomId(), records: makeStream(Array.from({ length: 12 }, () => random(10, 300 * 1024)), codecs) }));
  await writeInterleaved(source.agent, streams, 3);
  await source.agent.close();
  const targetDir = mkdtempSync(join(tmpdir(), "reel-target-"));
  try {
    const target = setup({ blockSize: 128 * 1024, capacityBytes: 2 * MiB, drive: new DirDrive({ name: "disk2", path: targetDir, codecs }) });
    const blocks = await Promise.all(streams.map((s) => streamBlocksOf(source.drive, source.labels, s.id)));
    const writers = streams.map((s) => target.agent.openStream(s.id, { checksumChecked: true }));
    // Interleaved: block i of each stream in turn.
    for (let i = 0; i < Math.max(...blocks.map((b) => b.length)); i++) {
      for (const [s, list] of blocks.entries()) if (i < list.length) await writers[s]!.writeBlock(list[i]!.block, list[i]!.header);
    }
    const placements = await Promise.all(writers.map((w) => w.end()));
    await target.agent.close();
    assert.ok(target.labels.length >= 2, "the copy spans target volumes");
    const byStream = await volumeBlocks(target.drive, target.labels);
    for (const [i, s] of streams.entries()) {
      assert.equal(placements[i]!.isComplete, true);
      checkStreamBlocks(byStream.get(idToString(s.id))!, placements[i]!, true);
      const back = await readAll(target.drive, s.id, placements[i]!);
      assert.deepEqual(back.losses, []);
      assert.equal(back.records.length, s.records.length);
      back.records.forEach((record, j) => assert.deepEqual(record, s.records[j], `record ${j} of stream ${i}`));
    }
  } finally {
    rmSync(targetDir, { recursive: true, force: true });
  }
});

test("StreamWriter.writeBlock() refuses a gap, a payload too large for the drive's blocks and a foreign stream's block; records after blocks are refused", async () => {
  const random = seededRandom(12);
  const source = setup({ blockSize: 64 * 1024, capacityBytes: 64 * MiB });
  const stream = { id: randomId(), records: makeStream(Array.from({ length: 6 }, () => random(70 * 1024, 200 * 1024)), codecs) };
  await writeInterleaved(source.agent, [stream], 1);
  await source.agent.close();
  const blocks = await streamBlocksOf(source.drive, source.labels, stream.id);
  const code = (error: unknown): string => (isReelError(error) ? error.code : String(error));
  const targetDir = mkdtempSync(join(tmpdir(), "reel-target-"));
  try {
    const small = setup({ blockSize: 16 * 1024, capacityBytes: 64 * MiB, drive: new DirDrive({ name: "small", path: targetDir, codecs }) });
    await assert.rejects(small.agent.openStream(stream.id).writeBlock(blocks[0]!.block, blocks[0]!.header), (e) => code(e) === "MEDIA_BAD_BLOCK" && /do not fit blocks of 16384 bytes/.test(String(e)));
    await small.agent.close();
    const same = setup({ blockSize: 64 * 1024, capacityBytes: 64 * MiB, drive: new DirDrive({ name: "same", path: targetDir, codecs }) });
    const writer = same.agent.openStream(stream.id);
    await assert.rejects(writer.writeBlock(blocks[1]!.block, blocks[1]!.header), (e) => code(e) === "MEDIA_BAD_BLOCK" && /starts at stream offset \d+, the stream is at 0/.test(String(e)));
    await assert.rejects(same.agent.openStream(randomId()).writeBlock(blocks[0]!.block, blocks[0]!.header), (e) => code(e) === "MEDIA_BAD_BLOCK" && /belongs to stream/.test(String(e)));
    await writer.writeBlock(blocks[0]!.block, blocks[0]!.header);
    await assert.rejects(writer.write(stream.records[1]!), (e) => code(e) === "MEDIA_BAD_RECORD");
    await writer.abort();
    await same.agent.close();
  } finally {
    rmSync(targetDir, { recursive: true, force: true });
  }
});
