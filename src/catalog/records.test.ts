import assert from "node:assert/strict";
import { test } from "node:test";
import { isReelError } from "../errors/index.js";
import type { Catalog } from "./catalog.js";
import { withCatalog } from "./temp-catalog.js";
import type { Level } from "./types.js";

const is = (code: string) => (error: unknown) => isReelError(error, code);
const day = "2026-03-01";
const eol = new Date("2026-04-01T00:00:00Z");

function setUp(catalog: Catalog): void {
  catalog.putNode({ name: "node-1", dataAddress: "10.0.0.2:7443", certFingerprint: null });
  catalog.putClient({ name: "web1", certFingerprint: null });
  catalog.putPool({ name: "daily", retentionDays: 14, driveGroup: "disk", mediumSize: 1 << 30 });
  catalog.putDrive({ name: "disk-1", node: "node-1", kind: "dir", path: "/var/reel/disk-1", channels: 4, driveGroup: "disk" });
  catalog.putTask({ name: "web1-home", client: "web1", paths: ["/home"], excludes: ["*.tmp"], pool: "daily" });
}

function saveset(catalog: Catalog, hex: string, level: Level, parentId: number | null) {
  return catalog.addSaveset({ uuid: hex.repeat(32), task: "web1-home", client: "web1", level, parentId, backupDay: day, endOfLife: eol, encrypted: false });
}

test("putClient() and putNode() add or update by name; touch*() records the clock", () => {
  withCatalog((catalog, clock) => {
    const first = catalog.putClient({ name: "web1", certFingerprint: null });
    const again = catalog.putClient({ name: "web1", certFingerprint: "aa:bb" });
    assert.equal(again.id, first.id);
    assert.equal(again.certFingerprint, "aa:bb");
    assert.equal(again.lastSeen, null);
    clock.advance(5000);
    catalog.touchClient("web1");
    assert.deepEqual(catalog.getClient("web1")?.lastSeen, clock.now());
    catalog.putNode({ name: "n2", dataAddress: null, certFingerprint: null });
    catalog.putNode({ name: "n1", dataAddress: "h:1", certFingerprint: null });
    catalog.touchNode("n1");
    assert.deepEqual(catalog.listNodes().map((n) => [n.name, n.dataAddress, n.lastSeen?.getTime() ?? null]), [["n1", "h:1", clock.now().getTime()], ["n2", null, null]]);
    assert.throws(() => catalog.touchClient("nobody"), is("CATALOG_NOT_FOUND"));
    assert.throws(() => catalog.putClient({ name: "", certFingerprint: null }), is("CATALOG_INVALID"));
    assert.equal(catalog.getNode("n3"), null);
  });
});

test("pools, drives and media: names resolve, labels count up per pool and are never handed out twice", () => {
  withCatalog((catalog) => {
    setUp(catalog);
    assert.equal(catalog.getDrive("disk-1")?.node, "node-1");
    assert.throws(() => catalog.putDrive({ name: "d2", node: "ghost", kind: "dir", path: "/x", channels: 1, driveGroup: "g" }), is("CATALOG_NOT_FOUND"));
    assert.throws(() => catalog.putPool({ name: "bad name", retentionDays: 1, driveGroup: "g", mediumSize: 1 }), is("CATALOG_INVALID"));

    assert.equal(catalog.nextMediumLabel("daily"), "DAILY00001");
    const medium = catalog.addMedium({ label: "DAILY00002", pool: "daily", mediumId: "AB".repeat(16), drive: "disk-1", blockSize: 65536, capacity: 1 << 30 });
    assert.equal(medium.mediumId, "ab".repeat(16));
    assert.equal(medium.state, "empty");
    assert.equal(catalog.nextMediumLabel("daily"), "DAILY00003", "skips a label some medium already has");
    assert.throws(() => catalog.addMedium({ label: "DAILY00002", pool: "daily", mediumId: "cd".repeat(16), drive: "disk-1", blockSize: 65536, capacity: 1 }), is("CATALOG_CONFLICT"));
    assert.throws(() => catalog.addMedium({ label: "X", pool: "daily", mediumId: "xyz", drive: "disk-1", blockSize: 65536, capacity: 1 }), is("CATALOG_INVALID"));
    assert.throws(() => catalog.addMedium({ label: "X", pool: "weekly", mediumId: "cd".repeat(16), drive: "disk-1", blockSize: 65536, capacity: 1 }), is("CATALOG_NOT_FOUND"));

    catalog.updateMedium(medium.id, { state: "appendable", bytesWritten: 1234, blocks: 2, endOfLife: eol });
    const updated = catalog.getMedium("DAILY00002")!;
    assert.deepEqual([updated.state, updated.bytesWritten, updated.blocks, updated.endOfLife], ["appendable", 1234, 2, eol]);
    assert.deepEqual(catalog.listMedia({ pool: "daily", state: "appendable" }).map((m) => m.id), [medium.id]);
    assert.deepEqual(catalog.listMedia({ state: "full" }), []);
    assert.throws(() => catalog.updateMedium(999, { state: "full" }), is("CATALOG_NOT_FOUND"));
    assert.throws(() => catalog.updateMedium(medium.id, { state: "broken" as "full" }), is("CATALOG_INVALID"));

    catalog.putPool({ name: "daily", retentionDays: 30, driveGroup: "disk", mediumSize: 1 << 30 });
    assert.equal(catalog.getPool("daily")?.retentionDays, 30);
    assert.equal(catalog.nextMediumLabel("daily"), "DAILY00004", "updating a pool keeps its counter");
  });
});

test("tasks keep their paths and excludes; jobs are queued, updated and listed newest first", () => {
  withCatalog((catalog, clock) => {
    setUp(catalog);
    assert.deepEqual(catalog.getTask("web1-home"), { id: 1, name: "web1-home", client: "web1", paths: ["/home"], excludes: ["*.tmp"], pool: "daily", compression: "none", compressionLevel: 3, mirrors: [] });
    catalog.putTask({ name: "web1-home", client: "web1", paths: ["/home"], excludes: [], pool: "daily", compression: "zstd", compressionLevel: 9 });
    assert.deepEqual([catalog.getTask("web1-home")?.compression, catalog.getTask("web1-home")?.compressionLevel], ["zstd", 9]);
    assert.throws(() => catalog.putTask({ name: "t2", client: "web1", paths: ["/"], excludes: [], pool: "daily", compression: "zstd", compressionLevel: 30 }), is("CATALOG_INVALID"));
    assert.throws(() => catalog.putTask({ name: "t", client: "nobody", paths: [], excludes: [], pool: "daily" }), is("CATALOG_NOT_FOUND"));

    const job = catalog.addJob({ kind: "backup", task: "web1-home", client: "web1", level: "full", backupDay: day });
    assert.deepEqual([job.state, job.task, job.client, job.savesetId, job.createdAt], ["queued", "web1-home", "web1", null, clock.now()]);
    const restore = catalog.addJob({ kind: "restore", task: null, client: "web1", level: null, backupDay: day });
    const s = saveset(catalog, "a", "full", null);
    catalog.updateJob(job.id, { state: "running", savesetId: s.id, startedAt: clock.now(), files: 3, bytes: 4096, message: "reading" });
    const running = catalog.getJob(job.id)!;
    assert.deepEqual([running.state, running.savesetId, running.files, running.bytes, running.message], ["running", s.id, 3, 4096, "reading"]);
    assert.deepEqual(catalog.listJobs().map((j) => j.id), [restore.id, job.id]);
    assert.deepEqual(catalog.listJobs({ state: "running" }).map((j) => j.id), [job.id]);
    assert.deepEqual(catalog.listJobs({ limit: 1 }).map((j) => j.id), [restore.id]);
    assert.throws(() => catalog.updateJob(job.id, { savesetId: 999 }), is("CATALOG_NOT_FOUND"));
    assert.throws(() => catalog.updateJob(999, { state: "done" }), is("CATALOG_NOT_FOUND"));
    assert.throws(() => catalog.addJob({ kind: "backup", task: null, client: null, level: null, backupDay: "2026-3-1" }), is("CATALOG_INVALID"));
  });
});

test("savesets: chains, the latest complete one, finishing, crash recovery and deletion", () => {
  withCatalog((catalog, clock) => {
    setUp(catalog);
    const full = saveset(catalog, "a", "full", null);
    assert.deepEqual([full.status, full.startedAt, full.endedAt, full.parentId], ["running", clock.now(), null, null]);
    assert.equal(catalog.latestSaveset("web1-home", ["full"]), null, "a running saveset is not complete");
    clock.advance(1000);
    catalog.finishSaveset(full.id, { status: "complete", files: 10, bytes: 100 });
    assert.deepEqual(catalog.getSaveset("A".repeat(32))?.endedAt, clock.now());
    assert.throws(() => catalog.finishSaveset(full.id, { status: "failed", files: 0, bytes: 0 }), is("CATALOG_CONFLICT"));

    const diff = saveset(catalog, "b", "diff", full.id);
    catalog.finishSaveset(diff.id, { status: "complete", files: 1, bytes: 1 });
    const incr = saveset(catalog, "c", "incr", diff.id);
    assert.deepEqual(catalog.chainOf(incr.id).map((s) => s.id), [full.id, diff.id, incr.id]);
    assert.equal(catalog.latestSaveset("web1-home", ["full", "diff"])?.id, diff.id);
    assert.equal(catalog.latestSaveset("web1-home", ["full"])?.id, full.id);
    assert.deepEqual(catalog.listSavesets({ task: "web1-home" }).map((s) => s.id), [incr.id, diff.id, full.id]);
    assert.deepEqual(catalog.listSavesets({ status: "running" }).map((s) => s.id), [incr.id]);

    assert.throws(() => saveset(catalog, "d", "diff", incr.id), is("CATALOG_INVALID"), "a diff builds on a full");
    assert.throws(() => saveset(catalog, "d", "incr", null), is("CATALOG_INVALID"));
    assert.throws(() => saveset(catalog, "d", "full", full.id), is("CATALOG_INVALID"));
    assert.throws(() => saveset(catalog, "d", "incr", 999), is("CATALOG_NOT_FOUND"));
    assert.throws(() => saveset(catalog, "a", "full", null), is("CATALOG_CONFLICT"), "the stream id is taken");

    clock.advance(1000);
    assert.equal(catalog.markRunningSavesetsIncomplete(), 1);
    const recovered = catalog.getSaveset(incr.id)!;
    assert.deepEqual([recovered.status, recovered.endedAt], ["incomplete", clock.now()]);
    assert.equal(catalog.markRunningSavesetsIncomplete(), 0);

    assert.throws(() => catalog.deleteSaveset(full.id), is("CATALOG_CONFLICT"), "the diff builds on it");
    catalog.deleteSaveset(incr.id);
    catalog.deleteSaveset(diff.id);
    assert.deepEqual(catalog.chainOf(full.id).map((s) => s.id), [full.id]);
    assert.throws(() => catalog.chainOf(incr.id), is("CATALOG_NOT_FOUND"));
  });
});

test("copies: segments across media in order, extents by stream offset, savesets found by medium", () => {
  withCatalog((catalog) => {
    setUp(catalog);
    const m1 = catalog.addMedium({ label: "DAILY00001", pool: "daily", mediumId: "01".repeat(16), drive: "disk-1", blockSize: 4096, capacity: 1 << 20 });
    const m2 = catalog.addMedium({ label: "DAILY00002", pool: "daily", mediumId: "02".repeat(16), drive: "disk-1", blockSize: 4096, capacity: 1 << 20 });
    const s = saveset(catalog, "a", "full", null);
    const copyId = catalog.addCopy(s.id, {
      segments: [
        { mediumId: m1.id, firstBlock: 1, lastBlock: 250, streamOffset: 0 },
        { mediumId: m2.id, firstBlock: 1, lastBlock: 10, streamOffset: 900_000 },
      ],
      extents: [
        { mediumId: m2.id, firstBlock: 1, blockCount: 10, streamOffset: 900_000 },
        { mediumId: m1.id, firstBlock: 1, blockCount: 100, streamOffset: 0 },
        { mediumId: m1.id, firstBlock: 120, blockCount: 131, streamOffset: 400_000 },
      ],
    });
    const [copy] = catalog.copiesOf(s.id);
    assert.equal(copy?.id, copyId);
    assert.deepEqual(copy?.segments.map((x) => x.mediumId), [m1.id, m2.id]);
    assert.deepEqual(copy?.extents.map((x) => x.streamOffset), [0, 400_000, 900_000]);
    assert.deepEqual(catalog.savesetsOnMedium(m2.id), [s.id]);
    assert.throws(() => catalog.addCopy(s.id, { segments: [{ mediumId: 99, firstBlock: 1, lastBlock: 2, streamOffset: 0 }], extents: [] }), is("CATALOG_NOT_FOUND"));
    assert.throws(() => catalog.addCopy(s.id, { segments: [{ mediumId: m1.id, firstBlock: 5, lastBlock: 2, streamOffset: 0 }], extents: [] }), is("CATALOG_INVALID"));
    assert.equal(catalog.copiesOf(s.id).length, 1, "a refused copy leaves nothing behind");
    catalog.deleteSaveset(s.id);
    assert.deepEqual(catalog.savesetsOnMedium(m1.id), [], "a saveset's copies go with it");
  });
});

test("transaction() commits together or not at all", () => {
  withCatalog((catalog) => {
    assert.throws(() =>
      catalog.transaction(() => {
        catalog.setSetting("a", "1");
        catalog.putClient({ name: "c1", certFingerprint: null });
        throw new Error("stop");
      }),
    /stop/);
    assert.equal(catalog.getSetting("a"), null);
    assert.equal(catalog.getClient("c1"), null);
    catalog.transaction(() => catalog.setSetting("a", "2"));
    assert.equal(catalog.getSetting("a"), "2");
  });
});
