import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { nodeCodecs } from "../client/index.js";
import { type Codecs, encodeHead, idToString, RECORD_HEADER_SIZE, RecordType, sealRecord } from "../format/index.js";
import { MediaAgent, MemoryDrive, type StreamPlacement } from "../media/index.js";
import { checkVolume, hexOf } from "./volume-check.js";
import { scanDrive } from "./volume-scan.js";

const codecs = nodeCodecs(3);
const BLOCK_SIZE = 4096;

function sealed(type: number, sequence: number, body: Uint8Array, c: Codecs): Uint8Array {
  const frame = new Uint8Array(RECORD_HEADER_SIZE + body.length);
  frame.set(body, RECORD_HEADER_SIZE);
  return sealRecord(type, sequence, frame, { compress: false, key: null }, c);
}

/** A stream's records: a HEAD with this descriptor, chunks of random bytes (not meant to decode as items), a trailer unless cut short. */
function stream(id: Uint8Array, descriptor: Record<string, unknown>, chunks: number, hasTrailer = true): Uint8Array[] {
  const head = encodeHead({ format: 1, streamId: idToString(id), createdAt: "2026-01-02T03:04:05Z", compression: "none", encryption: null, descriptor });
  const records = [sealed(RecordType.head, 0, head, codecs)];
  for (let i = 0; i < chunks; i++) records.push(sealed(RecordType.chunk, records.length, randomBytes(3000), codecs));
  if (hasTrailer) records.push(sealed(RecordType.trailer, records.length, new Uint8Array(64), codecs));
  return records;
}

/** An agent on a memory drive whose volumes hold `capacityBlocks` blocks, labelled T00001, T00002 … */
function agentOn(drive: MemoryDrive, pool: string, capacityBlocks: number): MediaAgent {
  let n = 0;
  return new MediaAgent({
    drive, pool, blockSize: BLOCK_SIZE, codecs, now: () => new Date("2026-01-02T03:04:05Z"),
    nextVolume: () => Promise.resolve({ label: `${pool.toUpperCase()}${String(++n).padStart(5, "0")}`, mediumId: randomBytes(16), capacityBytes: capacityBlocks * BLOCK_SIZE }),
  });
}

async function write(agent: MediaAgent, id: Uint8Array, records: Uint8Array[], end: "end" | "abort" = "end"): Promise<StreamPlacement> {
  const writer = agent.openStream(id);
  for (const record of records) await writer.write(record);
  return end === "end" ? writer.end() : writer.abort();
}

test("scanDrive() finds each stream across the volumes it spans, with the placement its writer reported and its HEAD descriptor", async () => {
  const drive = new MemoryDrive({ name: "disk0", codecs });
  const agent = agentOn(drive, "daily", 6);
  const a = randomBytes(16);
  const b = randomBytes(16);
  const placedA = await write(agent, a, stream(a, { task: "home", level: "full" }, 14));
  const placedB = await write(agent, b, stream(b, { task: "etc", level: "full" }, 3, false), "abort");
  await agent.close();

  const scan = await scanDrive(drive, undefined, codecs);
  assert.deepEqual(scan.unreadable, []);
  assert.ok(scan.volumes.length >= 3, `${scan.volumes.length} volumes`);
  assert.deepEqual(scan.volumes.map((v) => v.label), [...drive.labels].sort());
  assert.deepEqual(scan.volumes.map((v) => [v.pool, v.blockSize]), scan.volumes.map(() => ["daily", BLOCK_SIZE]));
  const found = new Map(scan.streams.map((s) => [s.stream, s]));
  assert.equal(scan.streams.length, 2);
  const seenA = found.get(hexOf(a))!;
  assert.deepEqual({ bytes: seenA.bytes, segments: seenA.segments, extents: seenA.extents }, { bytes: placedA.bytes, segments: placedA.segments, extents: placedA.extents });
  assert.equal(seenA.segments.length > 1, true, "the stream spans volumes");
  assert.deepEqual(seenA.head, { createdAt: "2026-01-02T03:04:05Z", descriptor: { task: "home", level: "full" }, compression: "none", isEncrypted: false });
  assert.equal(seenA.hasEnd, true);
  const seenB = found.get(hexOf(b))!;
  assert.deepEqual(seenB.extents, placedB.extents);
  assert.equal(seenB.hasEnd, false, "a stream cut short has no end-of-stream block");
});

test("scanDrive() keeps one copy per pool of a stream written twice to the same drive, and reads only the labels asked for", async () => {
  const drive = new MemoryDrive({ name: "disk0", codecs });
  const id = randomBytes(16);
  const records = stream(id, { task: "home" }, 2);
  const daily = agentOn(drive, "daily", 100);
  const mirror = agentOn(drive, "mirror", 100);
  await Promise.all([write(daily, id, records), write(mirror, id, records)]);
  await daily.close();
  await mirror.close();

  const scan = await scanDrive(drive, undefined, codecs);
  assert.deepEqual(scan.streams.map((s) => [s.stream, s.pool, s.segments.map((g) => g.label)]).sort(), [[hexOf(id), "daily", ["DAILY00001"]], [hexOf(id), "mirror", ["MIRROR00001"]]]);
  const one = await scanDrive(drive, ["MIRROR00001"], codecs);
  assert.deepEqual(one.volumes.map((v) => v.label), ["MIRROR00001"]);
  assert.deepEqual(one.streams.map((s) => s.pool), ["mirror"]);
  const missing = await scanDrive(drive, ["NOPE00001"], codecs);
  assert.equal(missing.unreadable.length, 1);
  assert.match(missing.unreadable[0]!.reason, /NOPE00001/);
});

test("checkVolume() counts each stream's blocks and finds nothing damaged on an intact volume", async () => {
  const drive = new MemoryDrive({ name: "disk0", codecs });
  const agent = agentOn(drive, "daily", 100);
  const id = randomBytes(16);
  const placed = await write(agent, id, stream(id, {}, 4));
  await agent.close();
  const check = await checkVolume(drive, "DAILY00001", codecs);
  assert.deepEqual(check, { label: "DAILY00001", blocks: placed.extents[0]!.blockCount + 1, damaged: 0, damagedBlocks: [], isLabelOk: true, streams: [{ stream: hexOf(id), blocks: placed.extents[0]!.blockCount }] });
});
