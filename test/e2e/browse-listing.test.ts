/**
 * Listing a directory through the server (`GET /savesets/:id/files`, `reel ls`): the default
 * JSON, the columns form and the text form `reel ls` prints, for names that are not plain ASCII, old and odd
 * times and modes, and an incremental merged over its full.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import type { FileColumns, FileView } from "../../src/api/index.js";
import { Catalog, type FileRow } from "../../src/catalog/index.js";
import { EntryType } from "../../src/format/index.js";
import { tempDir } from "./helpers.js";
import { startServer } from "./server-helpers.js";

const MS = 1_000_000n;

function row(path: string | Uint8Array, extra: Partial<FileRow> = {}): FileRow {
  return {
    path: typeof path === "string" ? Buffer.from(path) : path, type: EntryType.file, size: 10, mtimeNs: 1_700_000_000_123n * MS + 456_789n, ctimeNs: 1_700_000_000_000n * MS,
    inode: 1, mode: 0o644, chunkOffset: 0, itemOffset: 0, deleted: false, ...extra,
  };
}

const odd = Buffer.concat([Buffer.from("n"), Buffer.from([0xff]), Buffer.from(".t")]);
const fullRows: FileRow[] = [
  row("data", { type: EntryType.directory, mode: 0o755 }),
  row("data/plain.txt"),
  row("data/quote\"d"),
  row("data/back\\slash"),
  row("data/tab\there"),
  row("data/caf\u00e9"),
  row(Buffer.concat([Buffer.from("data/"), odd])),
  row("data/big.iso", { size: 5 * 2 ** 32 + 7 }),
  row("data/old", { mtimeNs: -86_400_000n * MS - 1n }),
  row("data/setuid", { mode: 0o104755 }),
  row("data/link", { type: EntryType.symlink, mode: 0o777 }),
  row("data/sub", { type: EntryType.directory, mode: 0o700 }),
  row("data/gone.txt"),
  row("data/changed.txt"),
];
const incrRows: FileRow[] = [
  row("data", { type: EntryType.directory, mode: 0o755 }),
  row("data/gone.txt", { deleted: true }),
  row("data/changed.txt", { size: 99, mtimeNs: 1_800_000_000_000n * MS }),
  row("data/new.txt"),
];

/** The lines `reel ls` prints for views (its format: mode, type, size, time, name, a slash for directories). */
const linesOf = (views: FileView[]): string =>
  views.map((f) => `${(f.mode & 0o7777).toString(8).padStart(4, "0")} ${f.type.padEnd(9)} ${String(f.size).padStart(12)} ${f.mtime.replace("T", " ").slice(0, 19)} ${f.name}${f.type === "directory" ? "/" : ""}\n`).join("");

test("a directory lists the same through the JSON, the columns form, the text form and reel ls, as of a full and of its incremental", async (t) => {
  const data = join(tempDir(t, "reel-browse-"), "data");
  await (await startServer(t, data)).stop();
  const catalog = Catalog.open(join(data, "catalog.sqlite"), { now: () => new Date(0) });
  const saveset = (uuid: string, level: "full" | "incr", parentId: number | null, rows: FileRow[]): number => {
    const id = catalog.addSaveset({ uuid: uuid.repeat(32), task: "t", client: "localhost", level, parentId, backupDay: "2026-01-01", endOfLife: new Date(4e12), encrypted: false }).id;
    const writer = catalog.fileIndexWriter(id);
    for (const r of rows) writer.add(r);
    writer.finish();
    catalog.finishSaveset(id, { status: "complete", files: rows.length, bytes: 0 });
    return id;
  };
  catalog.putTask({ name: "t", client: "localhost", paths: ["/data"], excludes: [], pool: "default" });
  const full = saveset("a", "full", null, fullRows);
  const incr = saveset("b", "incr", full, incrRows);
  catalog.close();
  const server = await startServer(t, data);

  const asOfFull = await server.api<FileView[]>("GET", `/savesets/${full}/files?path=/data`);
  assert.equal(asOfFull.status, 200);
  const byName = new Map(asOfFull.body.map((f) => [f.name, f]));
  assert.deepEqual(asOfFull.body.map((f) => f.name), ["back\\\\slash", "big.iso", "caf\u00e9", "changed.txt", "gone.txt", "link", "n\\xff.t", "old", "plain.txt", "quote\"d", "setuid", "sub", "tab\\x09here"]);
  assert.deepEqual(byName.get("n\\xff.t"), { name: "n\\xff.t", path64: Buffer.concat([Buffer.from("data/"), odd]).toString("base64"), path: "data/n\\xff.t", type: "file", size: 10, mode: 0o644, mtime: "2023-11-14T22:13:20.123Z", saveset: full });
  assert.equal(byName.get("big.iso")!.size, 5 * 2 ** 32 + 7);
  assert.equal(byName.get("old")!.mtime, "1969-12-31T00:00:00.000Z", "a time before 1970 is cut towards zero, to the millisecond");
  assert.equal(byName.get("link")!.type, "symlink");

  const asOfIncr = await server.api<FileView[]>("GET", `/savesets/${incr}/files?path=/data`);
  const incrNames = asOfIncr.body.map((f) => f.name);
  assert.ok(!incrNames.includes("gone.txt") && incrNames.includes("new.txt"), incrNames.join(" "));
  const changed = asOfIncr.body.find((f) => f.name === "changed.txt")!;
  assert.deepEqual([changed.size, changed.saveset, asOfIncr.body.find((f) => f.name === "plain.txt")!.saveset], [99, incr, full]);

  for (const [id, views] of [[full, asOfFull.body], [incr, asOfIncr.body]] as const) {
    // The columns form: the same entries, field by field.
    const columns = await server.api<FileColumns>("GET", `/savesets/${id}/files?path=/data&form=columns`);
    assert.equal(columns.status, 200);
    const c = columns.body;
    assert.deepEqual([c.dir, Buffer.from(c.dir64, "base64").toString(), c.count], ["data", "data", views.length]);
    assert.deepEqual(c.name, views.map((f) => f.name));
    assert.deepEqual(c.type, views.map((f) => f.type));
    assert.deepEqual(c.size, views.map((f) => f.size));
    assert.deepEqual(c.mode, views.map((f) => f.mode));
    assert.deepEqual(c.mtime.map((ms) => new Date(ms).toISOString()), views.map((f) => f.mtime));
    assert.deepEqual(c.saveset, views.map((f) => f.saveset));
    assert.deepEqual(c.name64, views.map((f) => (/^[\x20-\x5b\x5d-\x7e]*$/.test(f.name) ? null : Buffer.from(f.path64, "base64").subarray(5).toString("base64"))));

    // reel ls: the lines of those entries; --json: the API's answer as it is.
    const lines = await server.cli(["ls", String(id), "/data"]);
    assert.equal(lines.status, 0, lines.stderr);
    assert.equal(lines.stdout, linesOf(views));
    const json = await server.cli(["ls", String(id), "/data", "--json"]);
    assert.deepEqual(JSON.parse(json.stdout), views);
  }
  assert.match((await server.cli(["ls", String(full), "/data"])).stdout, /^4755 file {16}10 2023-11-14 22:13:20 setuid$/m);
  assert.match((await server.cli(["ls", String(full), "/data"])).stdout, /^0700 directory {11}10 2023-11-14 22:13:20 sub\/$/m);

  // The root and a directory the saveset lacks; a form that does not exist.
  assert.deepEqual((await server.api<FileColumns>("GET", `/savesets/${full}/files?form=columns`)).body.name, ["data"]);
  assert.deepEqual((await server.api<FileColumns>("GET", `/savesets/${full}/files?path=/nope&form=columns`)).body, { dir: "nope", dir64: Buffer.from("nope").toString("base64"), count: 0, name: [], name64: [], type: [], size: [], mode: [], mtime: [], saveset: [] });
  assert.equal((await server.api("GET", `/savesets/${full}/files?path=/data&form=rows`)).status, 400);
  const text = await fetch(`${server.url}/api/v1/savesets/${incr}/files?path=/data&form=text`, { headers: { authorization: `Bearer ${server.token}` } });
  assert.match(text.headers.get("content-type") ?? "", /^text\/plain/);
  assert.equal(await text.text(), linesOf(asOfIncr.body));
});
