import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { Catalog, type FileRow } from "../catalog/index.js";
import type { FileView } from "../api/index.js";
import { fileColumnsJson, fileLinesText, fileViews, fileViewsJson } from "./views.js";

/** The lines `reel ls` printed from the JSON views before the server wrote them (form=text). */
const linesOf = (views: FileView[]): string =>
  views.map((f) => `${(f.mode & 0o7777).toString(8).padStart(4, "0")} ${f.type.padEnd(9)} ${String(f.size).padStart(12)} ${f.mtime.replace("T", " ").slice(0, 19)} ${f.name}${f.type === "directory" ? "/" : ""}\n`).join("");

/** A small seeded generator: the same rows on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

/** Names of every kind: plain, quotes, backslashes, control bytes, UTF-8, bytes that are not UTF-8. */
function name(next: () => number, i: number): Buffer {
  const alphabet = [0x61, 0x22, 0x5c, 0x09, 0x0a, 0x7f, 0x20, 0xff, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0x2e, 0x5f];
  const bytes = Array.from({ length: 1 + Math.floor(next() * 12) }, () => alphabet[Math.floor(next() * alphabet.length)]!);
  return Buffer.concat([Buffer.from(bytes), Buffer.from(`-${i}`)]);
}

function rows(next: () => number, dirs: Buffer[], count: number, deletedShare: number): FileRow[] {
  return Array.from({ length: count }, (_, i) => {
    const dir = dirs[Math.floor(next() * dirs.length)]!;
    return {
      path: dir.length === 0 ? name(next, i) : Buffer.concat([dir, Buffer.from("/"), name(next, i)]),
      type: 1 + Math.floor(next() * 7), size: Math.floor(next() * 2 ** 40), mtimeNs: BigInt(Math.floor((next() - 0.3) * 4e18)),
      ctimeNs: 0n, inode: i, mode: Math.floor(next() * 0o200000), chunkOffset: 0, itemOffset: 0, deleted: next() < deletedShare,
    };
  });
}

test("the JSON and the lines written without objects are byte for byte those of the views, for a full and incrementals over it", () => {
  const dir = mkdtempSync(join(tmpdir(), "reel-views-"));
  const catalog = Catalog.open(join(dir, "catalog.sqlite"), { now: () => new Date(0) });
  try {
    const next = random(7);
    const dirs = [Buffer.alloc(0), Buffer.from("a"), Buffer.from("a/\\b\"\xff", "latin1"), Buffer.from("caf\u00e9/d")];
    catalog.putClient({ name: "c", certFingerprint: null });
    catalog.putPool({ name: "default", retentionDays: 30, driveGroup: "default", mediumSize: 2 ** 30 });
    catalog.putTask({ name: "t", client: "c", paths: ["/"], excludes: [], pool: "default" });
    let parentId: number | null = null;
    const ids: number[] = [];
    // The full's directories hold more than LISTING_PAGE_MIN_ROWS rows each: their listings come
    // from the pages built at its end, the incrementals' from their rows, merged over them.
    for (const [level, count, deletedShare] of [["full", 12_000, 0], ["incr", 800, 0.3], ["incr", 500, 0.3]] as const) {
      const id: number = catalog.addSaveset({ uuid: String(ids.length).repeat(32), task: "t", client: "c", level, parentId, backupDay: "2026-01-01", endOfLife: new Date(4e12), encrypted: false }).id;
      const writer = catalog.fileIndexWriter(id);
      // Incrementals change some names of the full and add new ones.
      const own = rows(next, dirs, count, deletedShare);
      const again = level === "full" ? [] : rows(random(7), dirs, 3000, 0).filter(() => next() < 0.1).map((r) => ({ ...r, size: 1, deleted: next() < 0.5 }));
      for (const r of [...own, ...again]) writer.add(r);
      writer.finish();
      catalog.finishSaveset(id, { status: "complete", files: count, bytes: 0 });
      ids.push(id);
      parentId = id;
    }
    for (const id of ids) {
      for (const path of [...dirs, Buffer.from("missing")]) {
        const listing = catalog.listDirectoryColumns(id, path);
        const views = fileViews(catalog.listDirectory(id, path));
        assert.equal(fileViewsJson(listing).toString("utf8"), JSON.stringify(views), `saveset ${id}, ${path.toString("latin1")}`);
        assert.equal(fileLinesText(listing).toString("utf8"), linesOf(views), `saveset ${id}, ${path.toString("latin1")}`);
        const columns = JSON.parse(fileColumnsJson(listing).toString("utf8")) as { name: string[]; mtime: number[]; size: number[] };
        assert.deepEqual(columns.name, views.map((v) => v.name));
        assert.deepEqual(columns.mtime.map((ms) => new Date(ms).toISOString()), views.map((v) => v.mtime));
        assert.deepEqual(columns.size, views.map((v) => v.size));
      }
      assert.ok(catalog.listDirectoryColumns(id, dirs[1]!).count > 100);
    }
    const db = new Database(join(dir, "catalog.sqlite"), { readonly: true });
    try {
      assert.deepEqual(db.prepare("SELECT saveset_id AS id, count(*) AS pages FROM listing_pages GROUP BY saveset_id").all(), [{ id: ids[0], pages: 4 }]);
    } finally {
      db.close();
    }
  } finally {
    catalog.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
