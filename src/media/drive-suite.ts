/**
 * The conformance suite every Drive kind runs (STYLE §2.6): `runDriveSuite({ newDrive })` in the
 * kind's own test file. Every skipped case names its reason.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { isReelError } from "../errors/index.js";
import { BlockKind, decodeLabel, openBlock, sealBlock } from "../format/index.js";
import type { Drive, VolumeWriter } from "./drive.js";
import { randomId, testCodecs } from "./testing-streams.js";

const codecs = testCodecs();
const BLOCK = 4096;

export interface DriveSuiteOptions {
  /** A new, empty drive for each case. */
  newDrive: () => Drive;
  /** Cases to skip, by name, each with its reason. */
  skip?: Record<string, string>;
}

/** A sealed stream block numbered `number` (payload: `number` repeated). */
function block(mediumId: Uint8Array, number: number): Uint8Array {
  const bytes = new Uint8Array(BLOCK);
  bytes.fill(number & 0xff, 80, 80 + 100);
  sealBlock(bytes, { kind: BlockKind.stream, payloadLength: 100, mediumId, blockNumber: number, streamId: mediumId, streamOffset: 100 * (number - 1), firstRecordOffset: 0, flags: 0 }, codecs.checksum);
  return bytes;
}

async function newVolume(drive: Drive, label: string, capacityBlocks: number): Promise<{ writer: VolumeWriter; mediumId: Uint8Array }> {
  const mediumId = randomId();
  const writer = await drive.createVolume({ label, mediumId, pool: "p", blockSize: BLOCK, capacityBytes: capacityBlocks * BLOCK, createdAt: new Date("2026-01-02T03:04:05Z") });
  return { writer, mediumId };
}

const cases: Record<string, (drive: Drive) => Promise<void>> = {
  "createVolume() writes the label block, and openVolume() reads the blocks back": async (drive) => {
    const { writer, mediumId } = await newVolume(drive, "V1", 10);
    assert.equal(writer.blocksWritten, 1);
    assert.equal(writer.capacityBlocks, 10);
    await writer.write([block(mediumId, 1), block(mediumId, 2)]);
    await writer.write([block(mediumId, 3)]);
    assert.equal(writer.blocksWritten, 4);
    await writer.sync();
    await writer.close();
    const reader = await drive.openVolume("V1");
    assert.equal(reader.blockSize, BLOCK);
    assert.equal(reader.blockCount, 4);
    const blocks = await reader.readBlocks(0, 10);
    assert.equal(blocks.length, 4, "fewer blocks at the end of the volume");
    const label = openBlock(blocks[0]!, codecs.checksum);
    assert.ok(label.ok && label.header.kind === BlockKind.label);
    assert.deepEqual(decodeLabel(label.payload), { label: "V1", pool: "p", createdAt: "2026-01-02T03:04:05.000Z", writer: "reel 0.1.0" });
    assert.deepEqual(label.header.mediumId, mediumId);
    for (let n = 1; n < 4; n++) assert.deepEqual(Uint8Array.from(blocks[n]!), block(mediumId, n));
    assert.deepEqual((await reader.readBlocks(2, 1)).map((b) => Uint8Array.from(b)), [block(mediumId, 2)]);
    await reader.close();
  },
  "write() calls that overlap land in call order": async (drive) => {
    const { writer, mediumId } = await newVolume(drive, "V2", 100);
    const writes = Array.from({ length: 20 }, (_, i) => writer.write([block(mediumId, 2 * i + 1), block(mediumId, 2 * i + 2)]));
    await Promise.all(writes);
    await writer.close();
    const reader = await drive.openVolume("V2");
    const blocks = await reader.readBlocks(1, 40);
    assert.equal(blocks.length, 40);
    blocks.forEach((b, i) => assert.deepEqual(Uint8Array.from(b), block(mediumId, i + 1)));
    await reader.close();
  },
  "createVolume() refuses a label that exists (MEDIA_VOLUME_EXISTS) and leaves the volume as it was": async (drive) => {
    const { writer, mediumId } = await newVolume(drive, "V3", 10);
    await writer.write([block(mediumId, 1)]);
    await writer.close();
    await assert.rejects(newVolume(drive, "V3", 10), (error) => isReelError(error, "MEDIA_VOLUME_EXISTS"));
    const reader = await drive.openVolume("V3");
    assert.equal(reader.blockCount, 2);
    assert.deepEqual(Uint8Array.from((await reader.readBlocks(1, 1))[0]!), block(mediumId, 1));
    await reader.close();
  },
  "write() past the capacity throws MEDIA_END_OF_MEDIUM and writes nothing": async (drive) => {
    const { writer, mediumId } = await newVolume(drive, "V4", 3);
    await writer.write([block(mediumId, 1)]);
    await assert.rejects(writer.write([block(mediumId, 2), block(mediumId, 3)]), (error) => isReelError(error, "MEDIA_END_OF_MEDIUM"));
    await writer.write([block(mediumId, 2)]);
    assert.equal(writer.blocksWritten, 3);
    await writer.close();
    const reader = await drive.openVolume("V4");
    assert.equal(reader.blockCount, 3);
    await reader.close();
  },
  "createVolume() refuses a bad block size and a volume too small for a label and a block": async (drive) => {
    const base = { mediumId: randomId(), pool: null, createdAt: new Date(0) };
    await assert.rejects(drive.createVolume({ ...base, label: "V5", blockSize: 5000, capacityBytes: 1 << 20 }), (error) => isReelError(error, "MEDIA_BAD_BLOCK_SIZE"));
    await assert.rejects(drive.createVolume({ ...base, label: "V5", blockSize: BLOCK, capacityBytes: 2 * BLOCK - 1 }), (error) => isReelError(error, "MEDIA_VOLUME_TOO_SMALL"));
  },
  "listVolumes() lists the labels, eraseVolume() frees one and refuses one open for writing": async (drive) => {
    assert.deepEqual(await drive.listVolumes(), []);
    const a = await newVolume(drive, "V7", 10);
    await assert.rejects(drive.eraseVolume("V7"), (error) => isReelError(error, "MEDIA_VOLUME_BUSY"));
    await a.writer.close();
    const b = await newVolume(drive, "V6", 10);
    await b.writer.close();
    assert.deepEqual(await drive.listVolumes(), ["V6", "V7"]);
    await drive.eraseVolume("V7");
    assert.deepEqual(await drive.listVolumes(), ["V6"]);
    await assert.rejects(drive.openVolume("V7"), (error) => isReelError(error, "MEDIA_VOLUME_NOT_FOUND"));
    await assert.rejects(drive.eraseVolume("V7"), (error) => isReelError(error, "MEDIA_VOLUME_NOT_FOUND"));
    const again = await newVolume(drive, "V7", 10);
    await again.writer.close();
    assert.deepEqual(await drive.listVolumes(), ["V6", "V7"]);
  },
  "openVolume() of a label it does not hold throws MEDIA_VOLUME_NOT_FOUND": async (drive) => {
    await assert.rejects(drive.openVolume("NOPE"), (error) => isReelError(error, "MEDIA_VOLUME_NOT_FOUND"));
  },
};

export function runDriveSuite(o: DriveSuiteOptions): void {
  for (const [name, run] of Object.entries(cases)) {
    const reason = o.skip?.[name];
    test(`${o.newDrive().name} drive: ${name}`, reason === undefined ? {} : { skip: reason }, () => run(o.newDrive()));
  }
}
