import assert from "node:assert/strict";
import { test } from "node:test";
import { isReelError } from "../errors/index.js";
import type { Catalog } from "./catalog.js";
import { withCatalog } from "./temp-catalog.js";

const is = (code: string) => (error: unknown) => isReelError(error, code);

function setUp(catalog: Catalog): void {
  catalog.putNode({ name: "node-1", dataAddress: null, certFingerprint: null });
  catalog.putClient({ name: "web1", certFingerprint: null });
  catalog.putPool({ name: "daily", retentionDays: 1, driveGroup: "disk", mediumSize: 1 << 20 });
  catalog.putDrive({ name: "disk-1", node: "node-1", kind: "dir", path: "/var/reel/disk-1", channels: 4, driveGroup: "disk" });
  catalog.putDrive({ name: "disk-2", node: "node-1", kind: "dir", path: "/var/reel/disk-2", channels: 4, driveGroup: "disk" });
  catalog.putTask({ name: "web1-home", client: "web1", paths: ["/home"], excludes: [], pool: "daily" });
}

function written(catalog: Catalog, label: string, hex: string): number {
  const medium = catalog.addMedium({ label, pool: "daily", mediumId: hex.repeat(16), drive: "disk-1", blockSize: 4096, capacity: 1 << 20 });
  catalog.updateMedium(medium.id, { state: "full", blocks: 256, bytesWritten: 256 * 4096, endOfLife: new Date("2026-03-02T12:00:00Z") });
  return medium.id;
}

test("recycleMedium() empties a medium that holds no copy and refuses one that does", () => {
  withCatalog((catalog) => {
    setUp(catalog);
    const mediumId = written(catalog, "DAILY00001", "01");
    const saveset = catalog.addSaveset({ uuid: "a".repeat(32), task: "web1-home", client: "web1", level: "full", parentId: null, backupDay: "2026-03-01", endOfLife: new Date("2026-03-02T12:00:00Z"), encrypted: false });
    catalog.addCopy(saveset.id, { segments: [{ mediumId, firstBlock: 1, lastBlock: 255, streamOffset: 0 }], extents: [] });
    assert.throws(() => catalog.recycleMedium(mediumId), is("CATALOG_CONFLICT"));
    assert.equal(catalog.getMedium(mediumId)?.state, "full", "a refused recycle changes nothing");
    catalog.deleteSaveset(saveset.id);
    const recycled = catalog.recycleMedium(mediumId);
    assert.deepEqual([recycled.label, recycled.state, recycled.blocks, recycled.bytesWritten, recycled.endOfLife], ["DAILY00001", "empty", 0, 0, null]);
    assert.throws(() => catalog.recycleMedium(999), is("CATALOG_NOT_FOUND"));
  });
});

test("reuseMedium() hands out an empty medium once, under its label with a new medium id", () => {
  withCatalog((catalog) => {
    setUp(catalog);
    const id = written(catalog, "DAILY00001", "01");
    assert.throws(() => catalog.reuseMedium(id, { mediumId: "02".repeat(16), blockSize: 8192, capacity: 1 << 21 }), is("CATALOG_CONFLICT"), "a full medium is not handed out");
    catalog.recycleMedium(id);
    const reused = catalog.reuseMedium(id, { mediumId: "03".repeat(16), blockSize: 8192, capacity: 1 << 21 });
    assert.deepEqual([reused.label, reused.mediumId, reused.state, reused.blocks, reused.blockSize, reused.capacity], ["DAILY00001", "03".repeat(16), "appendable", 0, 8192, 1 << 21]);
    assert.throws(() => catalog.reuseMedium(id, { mediumId: "04".repeat(16), blockSize: 8192, capacity: 1 << 21 }), is("CATALOG_CONFLICT"), "not handed out twice");
    const other = catalog.addMedium({ label: "DAILY00002", pool: "daily", mediumId: "05".repeat(16), drive: "disk-1", blockSize: 4096, capacity: 1 << 20 });
    assert.throws(() => catalog.reuseMedium(other.id, { mediumId: "03".repeat(16), blockSize: 8192, capacity: 1 << 21 }), is("CATALOG_CONFLICT"), "medium ids stay unique");
    assert.throws(() => catalog.reuseMedium(other.id, { mediumId: "xyz", blockSize: 8192, capacity: 1 << 21 }), is("CATALOG_INVALID"));
    assert.equal(catalog.getMedium(other.id)?.state, "empty");
  });
});

test("listMedia() filters by pool, state and drive together", () => {
  withCatalog((catalog) => {
    setUp(catalog);
    written(catalog, "DAILY00001", "01");
    catalog.addMedium({ label: "DAILY00002", pool: "daily", mediumId: "02".repeat(16), drive: "disk-1", blockSize: 4096, capacity: 1 << 20 });
    catalog.addMedium({ label: "DAILY00003", pool: "daily", mediumId: "03".repeat(16), drive: "disk-2", blockSize: 4096, capacity: 1 << 20 });
    const labels = (filter: Parameters<Catalog["listMedia"]>[0]): string[] => catalog.listMedia(filter).map((m) => m.label);
    assert.deepEqual(labels({ pool: "daily", state: "empty", drive: "disk-1" }), ["DAILY00002"]);
    assert.deepEqual(labels({ state: "empty" }), ["DAILY00002", "DAILY00003"]);
    assert.deepEqual(labels({ drive: "disk-1" }), ["DAILY00001", "DAILY00002"]);
  });
});

test("expiredCopies() names copies past their own end of life, never a saveset's last living copy", () => {
  withCatalog((catalog) => {
    setUp(catalog);
    const [a, b, c] = [written(catalog, "DAILY00001", "01"), written(catalog, "DAILY00002", "02"), written(catalog, "DAILY00003", "03")];
    const saveset = (hex: string) => catalog.addSaveset({ uuid: hex.repeat(32), task: "web1-home", client: "web1", level: "full", parentId: null, backupDay: "2026-03-01", endOfLife: new Date("2026-04-01T00:00:00Z"), encrypted: false });
    const copy = (id: number, mediumId: number, endOfLife?: string) => catalog.addCopy(id, { segments: [{ mediumId, firstBlock: 1, lastBlock: 9, streamOffset: 0 }], extents: [], ...(endOfLife === undefined ? {} : { endOfLife: new Date(endOfLife) }) });
    const kept = saveset("a");
    const shortCopy = copy(kept.id, a, "2026-03-02T00:00:00Z");
    copy(kept.id, b, "2026-04-01T00:00:00Z");
    const alone = saveset("b");
    copy(alone.id, c, "2026-03-02T00:00:00Z");
    const withSaveset = saveset("c");
    copy(withSaveset.id, a, "2026-03-02T00:00:00Z");
    copy(withSaveset.id, b);
    assert.deepEqual(catalog.expiredCopies(new Date("2026-03-01T23:59:59Z")), []);
    const expired = catalog.expiredCopies(new Date("2026-03-03T00:00:00Z"));
    assert.deepEqual(expired.map((x) => x.savesetId), [kept.id, withSaveset.id], "the lone copy of saveset b waits for its saveset");
    assert.equal(expired[0]!.id, shortCopy);
    assert.deepEqual(catalog.copiesOf(kept.id).map((x) => x.endOfLife?.toISOString() ?? null), ["2026-03-02T00:00:00.000Z", "2026-04-01T00:00:00.000Z"]);
    assert.equal(catalog.copiesOf(withSaveset.id)[1]!.endOfLife, null, "no end of life of its own: the saveset's");
  });
});
