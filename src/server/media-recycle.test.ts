import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Catalog } from "../catalog/index.js";
import { isReelError, ReelError } from "../errors/index.js";
import { MediaRecycler, type MediaNodes } from "./media-recycle.js";

const clock = { now: () => new Date("2027-03-11T08:00:00Z") };

/** A node that erases what it is asked to, except the labels it "has open". */
class FakeNodes implements MediaNodes {
  readonly erased: string[] = [];
  connected = true;
  readonly open = new Set<string>();

  node(): ReturnType<MediaNodes["node"]> {
    if (!this.connected) return null;
    const request = <T>(message: { type: string; [field: string]: unknown }): Promise<T> => {
      const label = String(message["label"]);
      if (this.open.has(label)) return Promise.reject(new ReelError("MEDIA_VOLUME_BUSY", `Cannot erase volume "${label}": it is open for writing`));
      this.erased.push(label);
      return Promise.resolve({ erased: true } as T);
    };
    return { conn: { request } };
  }
}

function withRecycler(fn: (catalog: Catalog, nodes: FakeNodes, recycler: MediaRecycler) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "reel-recycle-"));
  const catalog = Catalog.open(join(dir, "catalog.db"), clock);
  catalog.putNode({ name: "n1", dataAddress: null, certFingerprint: null });
  catalog.putClient({ name: "c1", certFingerprint: null });
  catalog.putPool({ name: "daily", retentionDays: 1, driveGroup: "disk", mediumSize: 1 << 20 });
  catalog.putPool({ name: "tape", retentionDays: 1, driveGroup: "lib", mediumSize: 1 << 20 });
  catalog.putDrive({ name: "disk-1", node: "n1", kind: "dir", path: join(dir, "media"), channels: 1, driveGroup: "disk" });
  catalog.putDrive({ name: "lib-1", node: "n1", kind: "dir", path: join(dir, "lib"), channels: 1, driveGroup: "lib" });
  catalog.putTask({ name: "home", client: "c1", paths: ["/home"], excludes: [], pool: "daily" });
  const nodes = new FakeNodes();
  return fn(catalog, nodes, new MediaRecycler({ catalog, hub: nodes, log: () => undefined })).finally(() => {
    catalog.close();
    rmSync(dir, { recursive: true, force: true });
  });
}

function medium(catalog: Catalog, label: string, state: "full" | "appendable", drive = "disk-1"): number {
  const pool = drive === "disk-1" ? "daily" : "tape";
  const m = catalog.addMedium({ label, pool, mediumId: label.slice(-2).repeat(16), drive, blockSize: 4096, capacity: 1 << 20 });
  catalog.updateMedium(m.id, { state, blocks: 10, bytesWritten: 40960 });
  return m.id;
}

const states = (catalog: Catalog): string[] => catalog.listMedia().map((m) => `${m.label} ${m.state}`);

test("recycle() erases media that hold no copy and leaves a medium with a live saveset alone", async () => {
  await withRecycler(async (catalog, nodes, recycler) => {
    medium(catalog, "DAILY00011", "full");
    const kept = medium(catalog, "DAILY00022", "full");
    const saveset = catalog.addSaveset({ uuid: "a".repeat(32), task: "home", client: "c1", level: "full", parentId: null, backupDay: "2027-03-10", endOfLife: new Date("2027-03-12T00:00:00Z"), encrypted: false });
    catalog.addCopy(saveset.id, { segments: [{ mediumId: kept, firstBlock: 1, lastBlock: 9, streamOffset: 0 }], extents: [] });
    catalog.finishSaveset(saveset.id, { status: "complete", files: 1, bytes: 1, errors: 0 });
    assert.equal(await recycler.recycle(), 1);
    assert.deepEqual(nodes.erased, ["DAILY00011"]);
    assert.deepEqual(states(catalog), ["DAILY00011 empty", "DAILY00022 full"]);
  });
});

test("recycle() leaves media expired while their node is away and erases them once it is back", async () => {
  await withRecycler(async (catalog, nodes, recycler) => {
    medium(catalog, "DAILY00011", "full");
    nodes.connected = false;
    assert.equal(await recycler.recycle(), 0);
    assert.deepEqual(states(catalog), ["DAILY00011 expired"]);
    nodes.connected = true;
    assert.equal(await recycler.recycle(), 1);
    assert.deepEqual(states(catalog), ["DAILY00011 empty"]);
  });
});

test("recycle() keeps a volume a media agent has open, and skips the drives a running backup may write to", async () => {
  await withRecycler(async (catalog, nodes, recycler) => {
    medium(catalog, "DAILY00011", "appendable");
    nodes.open.add("DAILY00011");
    assert.equal(await recycler.recycle(), 0);
    assert.deepEqual(states(catalog), ["DAILY00011 appendable"], "the open volume keeps its state");
    nodes.open.clear();
    medium(catalog, "TAPE00012", "full", "lib-1");
    // A running backup of pool daily may have left DAILY00011 full with its copy not recorded yet.
    catalog.addSaveset({ uuid: "b".repeat(32), task: "home", client: "c1", level: "full", parentId: null, backupDay: "2027-03-11", endOfLife: new Date("2027-03-12T00:00:00Z"), encrypted: false });
    assert.equal(await recycler.recycle(), 1);
    assert.deepEqual(nodes.erased, ["TAPE00012"]);
    assert.deepEqual(states(catalog), ["DAILY00011 appendable", "TAPE00012 empty"]);
  });
});

test("recycle() with drives named only recycles media on those drives", async () => {
  await withRecycler(async (catalog, nodes, recycler) => {
    medium(catalog, "DAILY00011", "full");
    medium(catalog, "TAPE00012", "full", "lib-1");
    assert.equal(await recycler.recycle(new Set(["lib-1"])), 1);
    assert.deepEqual(nodes.erased, ["TAPE00012"]);
    assert.deepEqual(states(catalog), ["DAILY00011 full", "TAPE00012 empty"]);
  });
});

test("relabel() erases a medium without live copies and makes it empty; an unknown label or an absent node is an error", async () => {
  await withRecycler(async (catalog, nodes, recycler) => {
    medium(catalog, "DAILY00011", "full");
    await assert.rejects(recycler.relabel("DAILY00099"), (error) => isReelError(error, "API_NOT_FOUND"));
    nodes.connected = false;
    await assert.rejects(recycler.relabel("DAILY00011"), (error) => isReelError(error, "SERVER_NOT_CONNECTED"));
    assert.deepEqual(states(catalog), ["DAILY00011 full"]);
    nodes.connected = true;
    const relabelled = await recycler.relabel("DAILY00011");
    assert.deepEqual([relabelled.state, relabelled.blocks, nodes.erased], ["empty", 0, ["DAILY00011"]]);
  });
});
