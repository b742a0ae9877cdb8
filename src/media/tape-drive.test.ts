import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { isReelError } from "../errors/index.js";
import { BlockKind, decodeLabel, openBlock, sealBlock } from "../format/index.js";
import type { VolumeWriter } from "./drive.js";
import { runDriveSuite } from "./drive-suite.js";
import { makeDrive } from "./make-drive.js";
import { parseChangerStatus } from "./tape-commands.js";
import { TapeDrive } from "./tape-drive.js";
import { deviceTapeIo } from "./tape-io.js";
import { randomId, testCodecs } from "./testing-streams.js";
import { emulatedRecords, type EmulatedTape, emulatedTapeIo, makeEmulatedLibrary, takeTapeLog, writeFakeTapeCommands } from "./testing-tapes.js";

const codecs = testCodecs();
const root = mkdtempSync(join(tmpdir(), "reel-tape-"));
const BLOCK = 4096;
let libraries = 0;
after(() => rmSync(root, { recursive: true, force: true }));
// The fake mt and mtx come first in PATH, so the drive runs them through its real command runner.
writeFakeTapeCommands(join(root, "bin"));
process.env["PATH"] = `${join(root, "bin")}:${process.env["PATH"] ?? ""}`;

interface Library {
  path: string;
  drive: TapeDrive;
}

function library(tapes: EmulatedTape[], o: { hasChanger?: boolean; loaded?: number } = {}): Library {
  const path = join(root, `lib${++libraries}`);
  const hasChanger = o.hasChanger ?? true;
  const { device, changer } = makeEmulatedLibrary(path, tapes, o.loaded ?? (hasChanger ? null : 1));
  const drive = new TapeDrive({ name: "lto", path: join(path, "index"), codecs, device, ...(hasChanger ? { changer } : {}), io: emulatedTapeIo });
  return { path, drive };
}

function block(mediumId: Uint8Array, number: number): Uint8Array {
  const bytes = new Uint8Array(BLOCK);
  bytes.fill(number & 0xff, 80, 180);
  sealBlock(bytes, { kind: BlockKind.stream, payloadLength: 100, mediumId, blockNumber: number, streamId: mediumId, streamOffset: 100 * (number - 1), firstRecordOffset: 0, flags: 0 }, codecs.checksum);
  return bytes;
}

async function newVolume(drive: TapeDrive, label: string, capacityBytes = 1 << 20): Promise<{ writer: VolumeWriter; mediumId: Uint8Array }> {
  const mediumId = randomId();
  const writer = await drive.createVolume({ label, mediumId, pool: "p", blockSize: BLOCK, capacityBytes, createdAt: new Date(0) });
  return { writer, mediumId };
}

runDriveSuite({ newDrive: () => library(Array.from({ length: 8 }, () => "new")).drive });

test("TapeDrive takes the first blank tape of the changer, skipping tapes with data, with mtx load/unload and mt rewind", async () => {
  const foreign = new Uint8Array(BLOCK).fill(7);
  const { path, drive } = library([[foreign], "new", "erased"]);
  const { writer, mediumId } = await newVolume(drive, "V1");
  await writer.write([block(mediumId, 1), block(mediumId, 2)]);
  await writer.close();
  assert.deepEqual(takeTapeLog(path), [
    "mtx status",
    "mtx load 1 0", "mt rewind",
    "mtx unload 1 0", "mtx load 2 0", "mt rewind",
    "mt rewind",
  ]);
  const records = emulatedRecords(path, 2);
  assert.equal(records.length, 3, "label and two blocks, one record each");
  const label = openBlock(records[0]!, codecs.checksum);
  assert.ok(label.ok && label.header.kind === BlockKind.label);
  assert.equal(decodeLabel(label.payload).label, "V1");
  assert.deepEqual(emulatedRecords(path, 1), [foreign], "the tape with other data is left as it was");
  assert.deepEqual(JSON.parse(readFileSync(join(path, "index", "tapes.json"), "utf8")), { format: 1, tapes: [{ label: "V1", slot: 2, blockSize: BLOCK, blocks: 3 }] });

  await (await newVolume(drive, "V2")).writer.close();
  assert.deepEqual(takeTapeLog(path), ["mtx status", "mtx unload 2 0", "mtx load 3 0", "mt rewind", "mt rewind"], "slot 1 has data (same barcode as before), slot 2 is V1: slot 3");
  await assert.rejects(newVolume(drive, "V3"), (error) => isReelError(error, "MEDIA_LIBRARY_FULL") && error.message.includes("no blank tape in changer"));
});

test("TapeDrive reads sequentially without positioning, and rewinds or spaces forward with mt for other blocks", async () => {
  const { path, drive } = library(["new", "new"]);
  const { writer, mediumId } = await newVolume(drive, "R1");
  await writer.write(Array.from({ length: 12 }, (_, i) => block(mediumId, i + 1)));
  await writer.close();
  await (await newVolume(drive, "R2")).writer.close();
  takeTapeLog(path);
  const reader = await drive.openVolume("R1");
  assert.equal(reader.blockCount, 13);
  assert.deepEqual(takeTapeLog(path), ["mtx status", "mtx unload 2 0", "mtx load 1 0", "mt rewind"], "load, then read the label");
  for (let at = 1; at <= 12; at += 3) {
    const blocks = await reader.readBlocks(at, 3);
    blocks.forEach((b, i) => assert.deepEqual(Uint8Array.from(b), block(mediumId, at + i)));
  }
  assert.deepEqual(takeTapeLog(path), [], "sequential reads run no command");
  assert.deepEqual(drive.stats(), { loads: 3, rewinds: 0, forwardSpaces: 0, blocksRead: 12 });
  assert.deepEqual((await reader.readBlocks(5, 2)).map((b) => Uint8Array.from(b)), [block(mediumId, 5), block(mediumId, 6)]);
  assert.deepEqual(takeTapeLog(path), ["mt rewind", "mt fsr 5"]);
  assert.deepEqual(Uint8Array.from((await reader.readBlocks(10, 1))[0]!), block(mediumId, 10));
  assert.deepEqual(takeTapeLog(path), ["mt fsr 3"]);
  assert.deepEqual(drive.stats(), { loads: 3, rewinds: 1, forwardSpaces: 2, blocksRead: 15 });
  await reader.close();
});

test("TapeDrive without a changer uses the tape in the drive, and checks its label before reading or erasing", async () => {
  const { path, drive } = library(["new", "new"], { hasChanger: false });
  const { writer, mediumId } = await newVolume(drive, "SOLO");
  await writer.write([block(mediumId, 1)]);
  await writer.close();
  await assert.rejects(newVolume(drive, "NEXT"), (error) => isReelError(error, "MEDIA_LIBRARY_FULL") && error.message.includes('is labelled "SOLO"'));
  // The operator puts the other tape in.
  writeFileSync(join(path, "drive"), "2");
  await assert.rejects(drive.openVolume("SOLO"), (error) => isReelError(error, "MEDIA_VOLUME_NOT_FOUND") && error.message.includes('is blank: load the tape labelled "SOLO"'));
  await assert.rejects(drive.eraseVolume("SOLO"), (error) => isReelError(error, "MEDIA_VOLUME_NOT_FOUND"));
  writeFileSync(join(path, "drive"), "1");
  const reader = await drive.openVolume("SOLO");
  assert.deepEqual(Uint8Array.from((await reader.readBlocks(1, 5))[0]!), block(mediumId, 1));
  await reader.close();
  takeTapeLog(path);
  await drive.eraseVolume("SOLO");
  assert.deepEqual(takeTapeLog(path), ["mt rewind", "mt rewind", "mt weof 1", "mt rewind"]);
  assert.deepEqual(emulatedRecords(path, 1), [], "a filemark at the beginning: the tape reads as blank");
  assert.deepEqual(await drive.listVolumes(), []);
  await (await newVolume(drive, "AGAIN")).writer.close();
});

test("TapeDrive turns the tape's end before the capacity into MEDIA_END_OF_MEDIUM and keeps what was written", async () => {
  const { path, drive } = library(["new"]);
  writeFileSync(join(path, "capacity"), "4");
  const { writer, mediumId } = await newVolume(drive, "SHORT");
  await writer.write([block(mediumId, 1), block(mediumId, 2)]);
  await assert.rejects(writer.write([block(mediumId, 3), block(mediumId, 4)]), (error) => isReelError(error, "MEDIA_END_OF_MEDIUM") && error.message.includes("the tape ended after 4 blocks"));
  await assert.rejects(writer.write([block(mediumId, 5)]), (error) => isReelError(error, "MEDIA_END_OF_MEDIUM"), "a failed writer refuses further writes");
  await assert.rejects(writer.close(), (error) => isReelError(error, "MEDIA_END_OF_MEDIUM"));
  const reader = await drive.openVolume("SHORT");
  assert.equal(reader.blockCount, 4);
  assert.equal((await reader.readBlocks(1, 10)).length, 3);
  await reader.close();
});

test("TapeDrive reports a failed mt or mtx with MEDIA_TAPE_COMMAND_FAILED, naming the command and its output", async () => {
  const { drive } = library(["new"], { hasChanger: false, loaded: 0 });
  rmSync(join(root, `lib${libraries}`, "drive"));
  await assert.rejects(newVolume(drive, "NONE"), (error) => isReelError(error, "MEDIA_TAPE_COMMAND_FAILED") && error.message.includes("rewind") && error.message.includes("No medium found"));
});

test("TapeDrive makes later callers wait while a volume is open (one tape drive)", async () => {
  const { drive } = library(["new", "new"]);
  const first = await newVolume(drive, "W1");
  let isSecondOpen = false;
  const second = newVolume(drive, "W2").then((volume) => {
    isSecondOpen = true;
    return volume;
  });
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  assert.equal(isSecondOpen, false);
  await assert.rejects(drive.eraseVolume("W1"), (error) => isReelError(error, "MEDIA_VOLUME_BUSY"));
  await first.writer.close();
  await (await second).writer.close();
  assert.deepEqual(await drive.listVolumes(), ["W1", "W2"]);
});

test("parseChangerStatus() reads full slots and the slot each drive's tape came from, leaving import/export slots out", () => {
  const status = parseChangerStatus([
    "  Storage Changer /dev/sg1:2 Drives, 4 Slots ( 1 Import/Export )",
    "Data Transfer Element 0:Full (Storage Element 3 Loaded):VolumeTag = A00003L6",
    "Data Transfer Element 1:Empty",
    "      Storage Element 1:Full :VolumeTag=A00001L6",
    "      Storage Element 2:Empty",
    "      Storage Element 3:Empty",
    "      Storage Element 4 IMPORT/EXPORT:Full :VolumeTag=A00004L6",
  ].join("\n"));
  assert.deepEqual(status, { fullSlots: [1], drives: [3, null], tags: new Map([[3, "A00003L6"], [1, "A00001L6"]]) });
});

test("deviceTapeIo writes one record per write and reads one per read (on a plain file standing in for the device)", async () => {
  const device = join(root, "plain-device");
  const out = await deviceTapeIo.open(device, "write");
  for (const n of [1, 2, 3]) await out.write(new Uint8Array(BLOCK).fill(n));
  await out.close();
  const back = await deviceTapeIo.open(device, "read");
  const into = new Uint8Array(BLOCK);
  for (const n of [1, 2, 3]) {
    assert.equal(await back.read(into), BLOCK);
    assert.ok(into.every((b) => b === n));
  }
  assert.equal(await back.read(into), 0, "the end of the data reads as 0 bytes");
  await back.close();
});

test("makeDrive() makes tape drives and refuses bad options with MEDIA_BAD_DRIVE naming the option", () => {
  assert.ok(makeDrive({ name: "lto", kind: "tape", path: root, options: { device: "/dev/nst0", changer: "/dev/sg1", driveIndex: 1 } }, codecs) instanceof TapeDrive);
  const bad: Array<[Record<string, unknown> | undefined, string]> = [
    [undefined, "device"],
    [{ device: "nst0" }, "device"],
    [{ device: "/dev/nst0", changer: 5 }, "changer"],
    [{ device: "/dev/nst0", driveIndex: -1 }, "driveIndex"],
    [{ device: "/dev/nst0", slots: 8 }, "slots"],
  ];
  for (const [options, option] of bad) {
    assert.throws(
      () => makeDrive({ name: "lto", kind: "tape", path: root, ...(options === undefined ? {} : { options }) }, codecs),
      (error) => isReelError(error, "MEDIA_BAD_DRIVE") && error.details["option"] === option && error.message.includes(`"${option}"`),
      JSON.stringify(options),
    );
  }
});
