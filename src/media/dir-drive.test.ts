import assert from "node:assert/strict";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { isReelError } from "../errors/index.js";
import { BlockKind, sealBlock } from "../format/index.js";
import { DirDrive } from "./dir-drive.js";
import { runDriveSuite } from "./drive-suite.js";
import { MemoryDrive } from "./memory-drive.js";
import { randomId, testCodecs } from "./testing-streams.js";

const codecs = testCodecs();
const root = mkdtempSync(join(tmpdir(), "reel-"));
let drives = 0;
after(() => rmSync(root, { recursive: true, force: true }));

runDriveSuite({ newDrive: () => new DirDrive({ name: "dir", path: join(root, `d${++drives}`), codecs }) });
runDriveSuite({ newDrive: () => new MemoryDrive({ name: "memory", codecs }) });
// tmpfs, which refused O_DIRECT before Linux 6.6 (volumes then go through the page cache).
const shm = existsSync("/dev/shm") ? mkdtempSync("/dev/shm/reel-") : null;
if (shm !== null) {
  after(() => rmSync(shm, { recursive: true, force: true }));
  runDriveSuite({ newDrive: () => new DirDrive({ name: "dir on tmpfs", path: join(shm, `d${++drives}`), codecs }) });
}

test("DirDrive keeps each volume in <path>/<label>.reel, a whole number of blocks", async () => {
  const path = join(root, "named");
  const drive = new DirDrive({ name: "disk1", path, codecs });
  const writer = await drive.createVolume({ label: "DAILY00017", mediumId: randomId(), pool: null, blockSize: 8192, capacityBytes: 1 << 20, createdAt: new Date(0) });
  await writer.close();
  await writer.close();
  assert.equal(readFileSync(join(path, "DAILY00017.reel")).length, 8192);
});

test("DirDrive refuses labels that are not plain file names (MEDIA_BAD_LABEL)", async () => {
  const drive = new DirDrive({ name: "disk1", path: join(root, "labels"), codecs });
  for (const label of ["../escape", "a/b", ".hidden", "", "x".repeat(129), "name with space"]) {
    await assert.rejects(drive.createVolume({ label, mediumId: randomId(), pool: null, blockSize: 4096, capacityBytes: 1 << 20, createdAt: new Date(0) }), (error) => isReelError(error, "MEDIA_BAD_LABEL"), label);
    await assert.rejects(drive.openVolume(label), (error) => isReelError(error, "MEDIA_BAD_LABEL"), label);
  }
  assert.equal(existsSync(join(root, "escape.reel")), false);
});

test("DirDrive.openVolume() throws MEDIA_NOT_A_VOLUME for a file that is not a reel medium", async () => {
  const path = join(root, "junk");
  const drive = new DirDrive({ name: "disk1", path, codecs });
  await drive.createVolume({ label: "J", mediumId: randomId(), pool: null, blockSize: 4096, capacityBytes: 1 << 20, createdAt: new Date(0) }).then((w) => w.close());
  writeFileSync(join(path, "J.reel"), Buffer.alloc(8192, 0x41));
  await assert.rejects(drive.openVolume("J"), (error) => isReelError(error, "MEDIA_NOT_A_VOLUME"));
});

test("DirDrive.openVolume() learns the block size from block 1 when the label is damaged", async () => {
  const path = join(root, "damaged");
  const drive = new DirDrive({ name: "disk1", path, codecs });
  const mediumId = randomId();
  const writer = await drive.createVolume({ label: "D", mediumId, pool: null, blockSize: 16384, capacityBytes: 1 << 20, createdAt: new Date(0) });
  const block = new Uint8Array(16384);
  sealBlock(block, { kind: BlockKind.stream, payloadLength: 10, mediumId, blockNumber: 1, streamId: mediumId, streamOffset: 0, firstRecordOffset: 0, flags: 0 }, codecs.checksum);
  await writer.write([block]);
  await writer.close();
  // The label claims 4096-byte blocks and fails its checksum.
  const fd = openSync(join(path, "D.reel"), "r+");
  writeSync(fd, Buffer.from([0x00, 0x10, 0x00, 0x00]), 0, 4, 8);
  closeSync(fd);
  const reader = await drive.openVolume("D");
  assert.equal(reader.blockSize, 16384);
  assert.equal(reader.blockCount, 2);
  await reader.close();
});
