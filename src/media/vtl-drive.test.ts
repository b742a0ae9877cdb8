import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { isReelError } from "../errors/index.js";
import { BlockKind, sealBlock } from "../format/index.js";
import { runDriveSuite } from "./drive-suite.js";
import type { Drive, VolumeWriter } from "./drive.js";
import { makeDrive } from "./make-drive.js";
import { MediaAgent } from "./media-agent.js";
import { readStreamRecords } from "./read-stream-records.js";
import { makeStream, randomId, seededRandom, testCodecs } from "./testing-streams.js";
import { VtlDrive } from "./vtl-drive.js";

const codecs = testCodecs();
const root = mkdtempSync(join(tmpdir(), "reel-vtl-"));
const BLOCK = 4096;
let libraries = 0;
after(() => rmSync(root, { recursive: true, force: true }));

function newPath(): string {
  return join(root, `lib${++libraries}`);
}

runDriveSuite({ newDrive: () => new VtlDrive({ name: "vtl", path: newPath(), codecs }) });

function block(mediumId: Uint8Array, number: number): Uint8Array {
  const bytes = new Uint8Array(BLOCK);
  bytes.fill(number & 0xff, 80, 180);
  sealBlock(bytes, { kind: BlockKind.stream, payloadLength: 100, mediumId, blockNumber: number, streamId: mediumId, streamOffset: 100 * (number - 1), firstRecordOffset: 0, flags: 0 }, codecs.checksum);
  return bytes;
}

async function newVolume(drive: Drive, label: string, capacityBytes = 1 << 20): Promise<{ writer: VolumeWriter; mediumId: Uint8Array }> {
  const mediumId = randomId();
  const writer = await drive.createVolume({ label, mediumId, pool: "p", blockSize: BLOCK, capacityBytes, createdAt: new Date(0) });
  return { writer, mediumId };
}

async function writeVolume(drive: Drive, label: string, blocks: number): Promise<Uint8Array> {
  const { writer, mediumId } = await newVolume(drive, label);
  await writer.write(Array.from({ length: blocks }, (_, i) => block(mediumId, i + 1)));
  await writer.close();
  return mediumId;
}

/** Lets every callback that is ready run (no timing: a promise that could settle has settled). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

test("VtlDrive spans a stream over small tapes through a MediaAgent (pool medium size larger than a tape), and a one-drive library reads it back across the tapes", async () => {
  const drive = new VtlDrive({ name: "vtl1", path: newPath(), codecs, slots: 8, drives: 1, tapeSizeBytes: 256 * 1024 });
  const labels: string[] = [];
  const agent = new MediaAgent({
    drive, pool: "daily", blockSize: BLOCK, codecs, now: () => new Date("2026-01-02T03:04:05Z"),
    nextVolume: () => {
      labels.push(`T${labels.length + 1}`);
      // The pool's medium size is far larger than a tape: the agent fills each tape and goes on.
      return Promise.resolve({ label: labels.at(-1)!, mediumId: randomId(), capacityBytes: 1 << 30 });
    },
  });
  const random = seededRandom(5);
  const streams = [1, 2].map(() => ({ id: randomId(), records: makeStream(Array.from({ length: 10 }, () => random(1000, 60 * 1024)), codecs) }));
  const placements = await Promise.all(
    streams.map(async (s) => {
      const writer = agent.openStream(s.id);
      for (const record of s.records) await writer.write(record);
      return writer.end();
    }),
  );
  await agent.close();
  assert.ok(labels.length >= 3, `${labels.length} tapes`);
  assert.deepEqual(await drive.listVolumes(), [...labels].sort());
  for (const [i, s] of streams.entries()) {
    const placement = placements[i]!;
    assert.ok(placement.segments.length > 1, `stream ${i} spans tapes`);
    const records: Uint8Array[] = [];
    const losses: string[] = [];
    const result = await readStreamRecords({
      drive, streamId: s.id, extents: placement.extents, codecs,
      onRecord: (record) => void records.push(Uint8Array.from(record)),
      onLoss: (loss) => void losses.push(loss.reason),
    });
    assert.deepEqual(losses, []);
    assert.equal(result.isComplete, true);
    assert.equal(records.length, s.records.length);
    records.forEach((record, j) => assert.deepEqual(record, s.records[j], `record ${j} of stream ${i}`));
  }
  for (const label of labels.slice(0, -1)) {
    const reader = await drive.openVolume(label);
    assert.equal(reader.blockCount, 64, `tape ${label} is full: 256 KiB of 4 KiB blocks`);
    await reader.close();
  }
});

test("VtlDrive caps a volume at the tape size: writing past it throws MEDIA_END_OF_MEDIUM", async () => {
  const drive = new VtlDrive({ name: "vtl1", path: newPath(), codecs, tapeSizeBytes: 5 * BLOCK + 100 });
  const { writer, mediumId } = await newVolume(drive, "SMALL", 1 << 30);
  assert.equal(writer.capacityBlocks, 5);
  await writer.write([1, 2, 3, 4].map((n) => block(mediumId, n)));
  await assert.rejects(writer.write([block(mediumId, 5)]), (error) => isReelError(error, "MEDIA_END_OF_MEDIUM"));
  await writer.close();
  const reader = await drive.openVolume("SMALL");
  assert.equal(reader.blockCount, 5);
  await reader.close();
});

test("VtlDrive makes a writer or reader wait for a tape drive while all hold tapes, and serves them in turn", async () => {
  const drive = new VtlDrive({ name: "vtl1", path: newPath(), codecs, drives: 1 });
  await writeVolume(drive, "OLD", 3);
  const first = await newVolume(drive, "A");
  let isSecondOpen = false;
  const second = newVolume(drive, "B").then((volume) => {
    isSecondOpen = true;
    return volume;
  });
  let isReaderOpen = false;
  const reader = drive.openVolume("OLD").then((volume) => {
    isReaderOpen = true;
    return volume;
  });
  await settle();
  assert.equal(isSecondOpen, false, "B waits while A holds the only tape drive");
  assert.equal(isReaderOpen, false);
  await first.writer.close();
  const b = await second;
  await settle();
  assert.equal(isReaderOpen, false, "the reader waits behind B");
  await b.writer.write([block(b.mediumId, 1)]);
  await b.writer.close();
  const old = await reader;
  assert.equal(old.blockCount, 4);
  await old.close();
  assert.deepEqual(await drive.listVolumes(), ["A", "B", "OLD"]);
  assert.equal(drive.stats().loads, 4);
});

test("VtlDrive reads a tape being written once its writer closed, and refuses a second volume of the same label meanwhile", async () => {
  const drive = new VtlDrive({ name: "vtl1", path: newPath(), codecs, drives: 2 });
  const { writer, mediumId } = await newVolume(drive, "BUSY");
  await assert.rejects(newVolume(drive, "BUSY"), (error) => isReelError(error, "MEDIA_VOLUME_EXISTS"));
  let isOpen = false;
  const reader = drive.openVolume("BUSY").then((volume) => {
    isOpen = true;
    return volume;
  });
  await writer.write([block(mediumId, 1)]);
  await settle();
  assert.equal(isOpen, false, "a tape drive is free, but the tape is in the writer's");
  await writer.close();
  const volume = await reader;
  assert.equal(volume.blockCount, 2);
  await volume.close();
});

test("VtlDrive readers of one tape share its drive and its head; erasing a loaded tape is refused", async () => {
  const drive = new VtlDrive({ name: "vtl1", path: newPath(), codecs, drives: 1 });
  await writeVolume(drive, "R", 6);
  const one = await drive.openVolume("R");
  const two = await drive.openVolume("R");
  assert.equal(drive.stats().loads, 2, "one load to write, one for both readers");
  await one.readBlocks(1, 3);
  await two.readBlocks(4, 3);
  assert.deepEqual(drive.stats(), { loads: 2, rewinds: 0, forwardSpaces: 0, blocksRead: 6 });
  await assert.rejects(drive.eraseVolume("R"), (error) => isReelError(error, "MEDIA_VOLUME_BUSY") && /loaded for reading/.test(error.message));
  await one.close();
  await two.close();
  await drive.eraseVolume("R");
  assert.deepEqual(await drive.listVolumes(), []);
});

test("VtlDrive counts a rewind or forward space only where a read is not at the head", async () => {
  const drive = new VtlDrive({ name: "vtl1", path: newPath(), codecs });
  const mediumId = await writeVolume(drive, "POS", 20);
  const reader = await drive.openVolume("POS");
  for (let at = 1; at <= 20; at += 4) {
    const blocks = await reader.readBlocks(at, 4);
    blocks.forEach((b, i) => assert.deepEqual(Uint8Array.from(b), block(mediumId, at + i)));
  }
  assert.deepEqual(drive.stats(), { loads: 2, rewinds: 0, forwardSpaces: 0, blocksRead: 20 }, "sequential reads from block 1 (after the label) do no positioning");
  await reader.readBlocks(5, 2);
  assert.deepEqual(drive.stats(), { loads: 2, rewinds: 1, forwardSpaces: 1, blocksRead: 22 }, "back to block 5: rewind, then space forward 5 blocks");
  await reader.readBlocks(15, 1);
  assert.deepEqual(drive.stats(), { loads: 2, rewinds: 1, forwardSpaces: 2, blocksRead: 23 }, "on to block 15: space forward");
  await reader.readBlocks(0, 1);
  assert.deepEqual(drive.stats(), { loads: 2, rewinds: 2, forwardSpaces: 2, blocksRead: 24 }, "the label: rewind only");
  await reader.readBlocks(30, 5);
  assert.equal(drive.stats().blocksRead, 24, "nothing past the end is read, and the head does not move");
  await reader.close();
});

test("VtlDrive keeps its library on disk: a new VtlDrive on the same path finds the tapes, and tapes left in drives back in their slots", async () => {
  const path = newPath();
  const drive = new VtlDrive({ name: "vtl1", path, codecs, slots: 4 });
  const mediumId = await writeVolume(drive, "KEEP", 3);
  const open = await newVolume(drive, "CRASH");
  await open.writer.write([block(open.mediumId, 1)]);
  await open.writer.sync();
  const stored = JSON.parse(readFileSync(join(path, "library.json"), "utf8"));
  assert.deepEqual(stored, {
    format: 1,
    slots: [{ slot: 1, label: "KEEP" }, { slot: 2, label: "CRASH" }, { slot: 3, label: null }, { slot: 4, label: null }],
    drives: [2, null],
  });
  assert.equal(statSync(join(path, "slots", "001.tape")).size, 4 * BLOCK);
  // The node restarts without closing the writer: its tape goes back to its slot.
  const again = new VtlDrive({ name: "vtl1", path, codecs, slots: 4 });
  assert.deepEqual(await again.listVolumes(), ["CRASH", "KEEP"]);
  assert.deepEqual(JSON.parse(readFileSync(join(path, "library.json"), "utf8")).drives, [null, null]);
  const reader = await again.openVolume("KEEP");
  assert.deepEqual((await reader.readBlocks(1, 3)).map((b) => Uint8Array.from(b)), [1, 2, 3].map((n) => block(mediumId, n)));
  await reader.close();
  const crashed = await again.openVolume("CRASH");
  assert.equal(crashed.blockCount, 2, "what was written before the restart is there");
  await crashed.close();
  await open.writer.close();
});

test("VtlDrive.createVolume() throws MEDIA_LIBRARY_FULL when no tape is blank, until one is erased", async () => {
  const drive = new VtlDrive({ name: "vtl1", path: newPath(), codecs, slots: 2 });
  await writeVolume(drive, "F1", 1);
  await writeVolume(drive, "F2", 1);
  await assert.rejects(newVolume(drive, "F3"), (error) => isReelError(error, "MEDIA_LIBRARY_FULL") && error.message.includes("no blank tape") && error.message.includes("2 slots, all labelled"));
  assert.equal(drive.stats().loads, 2, "no tape was loaded for the refused volume");
  await drive.eraseVolume("F1");
  await writeVolume(drive, "F3", 1);
  assert.deepEqual(await drive.listVolumes(), ["F2", "F3"]);
});

test("makeDrive() makes vtl drives and refuses bad options with MEDIA_BAD_DRIVE naming the option", async () => {
  const path = newPath();
  const drive = makeDrive({ name: "lib", kind: "vtl", path, options: { slots: 3, drives: 1, tapeSize: 1 << 20 } }, codecs);
  assert.ok(drive instanceof VtlDrive);
  assert.equal(drive.tapeSizeBytes, 1 << 20);
  await writeVolume(drive, "X1", 1);
  await writeVolume(drive, "X2", 1);
  await writeVolume(drive, "X3", 1);
  await assert.rejects(newVolume(drive, "X4"), (error) => isReelError(error, "MEDIA_LIBRARY_FULL"));
  const bad: Array<[Record<string, unknown>, string]> = [
    [{ slots: 0 }, "slots"],
    [{ slots: "8" }, "slots"],
    [{ drives: 1.5 }, "drives"],
    [{ tapeSize: 100 }, "tapeSize"],
    [{ slot: 8 }, "slot"],
  ];
  for (const [options, option] of bad) {
    assert.throws(
      () => makeDrive({ name: "lib", kind: "vtl", path: newPath(), options }, codecs),
      (error) => isReelError(error, "MEDIA_BAD_DRIVE") && error.details["option"] === option && error.message.includes(`"${option}"`),
      JSON.stringify(options),
    );
  }
  const fewer = makeDrive({ name: "lib", kind: "vtl", path, options: { slots: 2 } }, codecs);
  await assert.rejects(fewer.listVolumes(), (error) => isReelError(error, "MEDIA_BAD_DRIVE") && error.details["option"] === "slots" && error.message.includes('"X3"'));
});
