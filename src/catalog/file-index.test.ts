import assert from "node:assert/strict";
import { test } from "node:test";
import { EntryType } from "../format/index.js";
import { isReelError } from "../errors/index.js";
import type { Catalog } from "./catalog.js";
import { withCatalog } from "./temp-catalog.js";
import type { BrowseRow, FileRow, Level } from "./types.js";

const B = (text: string): Buffer => Buffer.from(text, "latin1");
const T0 = 1_767_225_600_123_456_789n; // beyond 2^53: ns must survive as bigint

function row(path: string | Buffer, change: Partial<FileRow> = {}): FileRow {
  return {
    path: typeof path === "string" ? B(path) : path,
    type: EntryType.file,
    size: 100,
    mtimeNs: T0,
    ctimeNs: T0,
    inode: 1000,
    mode: 0o100644,
    chunkOffset: 8192,
    itemOffset: 12,
    deleted: false,
    ...change,
  };
}
const dir = (path: string | Buffer, change: Partial<FileRow> = {}): FileRow => row(path, { type: EntryType.directory, mode: 0o40755, size: 0, ...change });
const gone = (path: string, type: number = EntryType.file): FileRow => row(path, { type, deleted: true });

let uuidCounter = 0;
function saveset(catalog: Catalog, level: Level, parentId: number | null, rows: FileRow[]): number {
  if (catalog.getTask("t") === null) {
    catalog.putClient({ name: "c", certFingerprint: null });
    catalog.putPool({ name: "p", retentionDays: 1, driveGroup: "g", mediumSize: 1 });
    catalog.putTask({ name: "t", client: "c", paths: ["/"], excludes: [], pool: "p" });
  }
  const uuid = (++uuidCounter).toString(16).padStart(32, "0");
  const { id } = catalog.addSaveset({ uuid, task: "t", client: "c", level, parentId, backupDay: "2026-03-01", endOfLife: new Date(2e12), encrypted: false });
  const writer = catalog.fileIndexWriter(id);
  for (const r of rows) writer.add(r);
  writer.finish();
  catalog.finishSaveset(id, { status: "complete", files: rows.length, bytes: 0 });
  return id;
}

const names = (rows: BrowseRow[]): string[] => rows.map((r) => Buffer.from(r.path).toString("latin1"));
function walk(catalog: Catalog, savesetId: number): string[] {
  const seen: string[] = [];
  catalog.forEachFile(savesetId, (r) => seen.push(Buffer.from(r.path).toString("latin1")));
  return seen.sort();
}

test("an incr that changes, deletes and adds files: listDirectory, findEntry and forEachFile as of each saveset", () => {
  withCatalog((catalog) => {
    const full = saveset(catalog, "full", null, [dir("home"), dir("home/a"), row("home/a/keep"), row("home/a/change"), row("home/a/drop"), row("top")]);
    const incr = saveset(catalog, "incr", full, [row("home/a/change", { size: 999, mtimeNs: T0 + 5n, ctimeNs: T0 + 7n }), gone("home/a/drop"), row("home/a/new")]);

    assert.deepEqual(names(catalog.listDirectory(full, B("home/a"))), ["home/a/change", "home/a/drop", "home/a/keep"]);
    const asOfIncr = catalog.listDirectory(incr, B("home/a"));
    assert.deepEqual(names(asOfIncr), ["home/a/change", "home/a/keep", "home/a/new"]);
    assert.deepEqual(asOfIncr.map((r) => r.savesetId), [incr, full, incr]);
    assert.deepEqual(asOfIncr[0], { ...row("home/a/change", { size: 999, mtimeNs: T0 + 5n, ctimeNs: T0 + 7n }), savesetId: incr });
    assert.deepEqual(names(catalog.listDirectory(incr, B(""))), ["home", "top"]);

    assert.equal(catalog.findEntry(full, B("home/a/drop"))?.savesetId, full);
    assert.equal(catalog.findEntry(incr, B("home/a/drop")), null);
    assert.equal(catalog.findEntry(incr, B("home/a/change"))?.size, 999);
    assert.equal(catalog.findEntry(full, B("home/a/new")), null);
    assert.equal(catalog.findEntry(incr, B("home/a/keep"))?.savesetId, full);
    assert.equal(catalog.findEntry(incr, B("no/such/dir/file")), null);

    assert.deepEqual(walk(catalog, full), ["home", "home/a", "home/a/change", "home/a/drop", "home/a/keep", "top"]);
    assert.deepEqual(walk(catalog, incr), ["home", "home/a", "home/a/change", "home/a/keep", "home/a/new", "top"]);
    assert.deepEqual(catalog.listDirectory(incr, B("nowhere")), []);
  });
});

test("a deleted directory hides what older savesets hold beneath it, with or without a tombstone per path", () => {
  withCatalog((catalog) => {
    const tree = [dir("d"), dir("d/sub"), row("d/sub/x"), row("d/y"), row("z")];
    const full = saveset(catalog, "full", null, tree);
    const onlyTop = saveset(catalog, "incr", full, [gone("d", EntryType.directory)]);
    const diffEach = saveset(catalog, "diff", full, [gone("d", EntryType.directory), gone("d/sub", EntryType.directory), gone("d/sub/x"), gone("d/y")]);
    const recreated = saveset(catalog, "incr", onlyTop, [dir("d"), row("d/new")]);
    const becameFile = saveset(catalog, "incr", full, [row("d", { size: 5 })]);
    for (const id of [onlyTop, diffEach]) {
      assert.deepEqual(walk(catalog, id), ["z"]);
      assert.deepEqual(catalog.listDirectory(id, B("d")), []);
      assert.deepEqual(catalog.listDirectory(id, B("d/sub")), []);
      assert.equal(catalog.findEntry(id, B("d/sub/x")), null);
    }
    assert.deepEqual(walk(catalog, recreated), ["d", "d/new", "z"]);
    assert.deepEqual(names(catalog.listDirectory(recreated, B("d"))), ["d/new"]);
    assert.equal(catalog.findEntry(recreated, B("d/y")), null);
    assert.deepEqual(walk(catalog, becameFile), ["d", "z"]);
    assert.deepEqual(catalog.listDirectory(becameFile, B("d/sub")), []);
    assert.equal(catalog.findEntry(becameFile, B("d"))?.size, 5);
    assert.deepEqual(walk(catalog, full), ["d", "d/sub", "d/sub/x", "d/y", "z"], "the full itself is unchanged");
  });
});

test("names that are not UTF-8 round-trip byte for byte and sort by bytes", () => {
  withCatalog((catalog) => {
    const odd = Buffer.from([0x64, 0x2f, 0xff, 0xfe, 0x0a, 0x5c]); // "d/" + invalid UTF-8, newline, backslash
    const latin = Buffer.from([0x64, 0x2f, 0x63, 0x61, 0x66, 0xe9]); // "d/caf\xe9"
    const deep = Buffer.concat([Buffer.from([0xc3, 0x28]), Buffer.from("/inner")]); // a directory named with bad UTF-8
    const id = saveset(catalog, "full", null, [dir("d"), row(odd), row(latin), row(B("d/A")), dir(deep.subarray(0, 2)), row(deep)]);
    const listed = catalog.listDirectory(id, B("d"));
    assert.deepEqual(listed.map((r) => Buffer.from(r.path)), [B("d/A"), latin, odd]);
    assert.deepEqual(Buffer.from(catalog.findEntry(id, new Uint8Array(odd))!.path), odd);
    assert.deepEqual(catalog.listDirectory(id, deep.subarray(0, 2)).map((r) => Buffer.from(r.path)), [deep]);
    const seen: Buffer[] = [];
    catalog.forEachFile(id, (r) => seen.push(Buffer.from(r.path)));
    assert.equal(seen.some((p) => p.equals(deep)), true);
  });
});

test("listDirectory() sorts by name bytes whatever the order of writing, and forEachFile() pages through large savesets", () => {
  withCatalog((catalog) => {
    const count = 20_000;
    const order = Array.from({ length: count }, (_, i) => (i * 7919) % count);
    const rows = order.map((i) => row(`big/f${i}`, { inode: i }));
    const full = saveset(catalog, "full", null, [dir("big"), ...rows]);
    const listed = catalog.listDirectory(full, B("big"));
    const expected = order.map((i) => `big/f${i}`).sort((a, b) => Buffer.compare(B(a), B(b)));
    assert.deepEqual(names(listed), expected);
    assert.equal(listed.every((r) => r.inode === Number(Buffer.from(r.path).toString().slice(5))), true);
    const incr = saveset(catalog, "incr", full, [gone("big/f5"), row("big/f6", { size: 1 }), row("big/zz")]);
    let walked = 0;
    let lastSize = -1;
    catalog.forEachFile(incr, (r) => {
      walked++;
      if (Buffer.from(r.path).toString() === "big/f6") lastSize = r.size;
    });
    assert.equal(walked, count + 1 - 1 + 1);
    assert.equal(lastSize, 1);
  });
});

test("fileIndexWriter() refuses bad paths and numbers, keeps the last row of a path, and clamps extreme times", () => {
  withCatalog((catalog) => {
    const id = saveset(catalog, "full", null, []);
    const writer = catalog.fileIndexWriter(id);
    for (const bad of ["", "/abs", "a//b", "a/", "a/./b", "../x", "a/.."]) {
      assert.throws(() => writer.add(row(bad)), (e: unknown) => isReelError(e, "CATALOG_BAD_PATH"), bad);
    }
    assert.throws(() => writer.add(row(Buffer.from([0x61, 0x00]))), (e: unknown) => isReelError(e, "CATALOG_BAD_PATH"));
    assert.throws(() => writer.add(row("a", { size: -1 })), (e: unknown) => isReelError(e, "CATALOG_INVALID"));
    assert.throws(() => writer.add(row("a", { type: 256 })), (e: unknown) => isReelError(e, "CATALOG_INVALID"));
    assert.throws(() => writer.add(row("a", { mtimeNs: 5 as unknown as bigint })), (e: unknown) => isReelError(e, "CATALOG_INVALID"));
    writer.add(row(".", { type: EntryType.directory }));
    writer.add(row("a", { size: 1 }));
    writer.add(row("a", { size: 2 }));
    writer.add(row("old", { mtimeNs: -(1n << 63n), ctimeNs: 1n << 63n }));
    writer.add(row("neg", { mtimeNs: -1_000_000_007n, ctimeNs: -5n }));
    writer.finish();
    writer.finish();
    assert.throws(() => writer.add(row("late")), /used after it finished/);
    assert.equal(catalog.findEntry(id, B("a"))?.size, 2);
    assert.equal(catalog.findEntry(id, B("."))?.type, EntryType.directory);
    const old = catalog.findEntry(id, B("old"))!;
    assert.deepEqual([old.mtimeNs, old.ctimeNs], [-(1n << 62n) + 1n, (1n << 62n) - 1n]);
    const listed = catalog.listDirectory(id, B("")).find((r) => Buffer.from(r.path).toString() === "neg")!;
    assert.deepEqual([listed.mtimeNs, listed.ctimeNs], [-1_000_000_007n, -5n]);
    assert.throws(() => catalog.listDirectory(id, B("a/")), (e: unknown) => isReelError(e, "CATALOG_BAD_PATH"));
    assert.throws(() => catalog.fileIndexWriter(999), (e: unknown) => isReelError(e, "CATALOG_NOT_FOUND"));
    assert.throws(() => catalog.listDirectory(999, B("")), (e: unknown) => isReelError(e, "CATALOG_NOT_FOUND"));
  });
});

test("the directory dictionary is shared: a second saveset of the same tree adds no directories, indexStats() counts", () => {
  withCatalog((catalog) => {
    const tree = [dir("a"), dir("a/b"), row("a/b/c"), row("a/b/d"), row("a/e")];
    const first = saveset(catalog, "full", null, tree);
    const before = catalog.indexStats();
    saveset(catalog, "full", null, tree);
    const after = catalog.indexStats();
    assert.deepEqual([before.fileRows, before.dirRows], [5, 2]);
    assert.deepEqual([after.fileRows, after.dirRows], [10, 2]);
    assert.ok(after.fileBytes > 0);
    catalog.deleteSaveset(first);
    assert.equal(catalog.indexStats().fileRows, 5, "a deleted saveset takes its index rows with it");
  });
});
