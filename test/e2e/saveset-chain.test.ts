/**
 * The network backup and restore engines end to end, without a network: backupSaveset into a
 * list of records, SavesetRestore from it. A full backup restores to the same tree; an
 * incremental writes only what changed and records what is gone; full + incremental restore
 * to the changed tree; the overwrite settings decide what happens to objects already there.
 */
import assert from "node:assert/strict";
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { EntryType } from "../../src/format/index.js";
import { assertSameTree, sh, tempDir } from "./helpers.js";
import { backup, buildTree, itemsOf, previousOf, restore, stored } from "./saveset-helpers.js";

test("backupSaveset() full, then SavesetRestore: the tree comes back whole, and every entry has an index row where it lies", async (t) => {
  const dir = tempDir(t);
  const src = join(dir, "src");
  buildTree(src);
  const full = await backup([src]);
  assert.deepEqual(full.reporter.errors, []);
  assert.equal(full.summary.errors, 0);
  assert.equal(full.summary.unchanged, 0);
  assert.equal(full.summary.deleted, 0);
  assert.equal(full.summary.files, full.summary.trailer.entryCount);
  assert.ok(full.summary.bytes > 3 * 1024 * 1024);
  // HEAD, chunks, INDEX, TRAILER: the stream is format v1 as `reel archive` writes it.
  assert.deepEqual([full.records[0]![0], full.records.at(-1)![0]], [1, 3]);
  assert.equal(full.summary.trailer.recordCount, full.records.length - 1);

  // One row per entry, in stream order, pointing at the chunk that holds its ENTRY item.
  assert.equal(full.rows.length, full.summary.trailer.entryCount);
  const rowPaths = full.rows.map((r) => Buffer.from(r.path).toString("latin1"));
  const entries = itemsOf(full.records).filter((i) => i.startsWith("E ")).map((i) => i.slice(2));
  assert.deepEqual(rowPaths, entries);
  for (const row of full.rows) {
    const index = full.offsets.indexOf(row.chunkOffset);
    assert.ok(index > 0, `row of ${Buffer.from(row.path).toString()} points at ${row.chunkOffset}, not a record start`);
    assert.equal(full.records[index]![0], 2);
  }
  const h2 = full.rows.find((r) => Buffer.from(r.path).toString().endsWith("links/h2"))!;
  assert.equal(h2.type, EntryType.hardlink);
  assert.equal(Buffer.from(h2.linkTarget!).toString(), stored(join(src, "links/h1")).toString());

  const target = join(dir, "target");
  const { results, reporter } = await restore([full.records], target);
  assert.deepEqual(reporter.errors, []);
  assert.equal(results[0]!.trailerOk, true);
  assert.equal(results[0]!.files, full.summary.files);
  assert.equal(results[0]!.damaged, 0);
  assertSameTree(src, join(target, src));
});

test("an incremental writes only new and changed entries, records deletions, and full + incremental restore the changed tree", async (t) => {
  const dir = tempDir(t);
  const src = join(dir, "src");
  buildTree(src);
  const full = await backup([src]);
  const fullCount = full.summary.files;

  // Change: content (a.txt), times only (b.txt), a deleted file and directory, new files and a new directory.
  writeFileSync(join(src, "docs/a.txt"), "alpha, longer now\n");
  utimesSync(join(src, "docs/b.txt"), 1600000000, 1600000000);
  rmSync(join(src, "docs/c.txt"));
  rmSync(join(src, "old"), { recursive: true });
  writeFileSync(join(src, "docs/new.txt"), "new\n");
  mkdirSync(join(src, "fresh"));
  writeFileSync(join(src, "fresh/f"), "fresh\n");

  const previous = previousOf(full.rows);
  const incr = await backup([src], { level: "incr", previous });
  assert.deepEqual(incr.reporter.errors, []);
  const p = (rel: string): string => stored(join(src, rel)).toString("latin1");
  const items = itemsOf(incr.records);
  const written = items.filter((i) => i.startsWith("E ")).map((i) => i.slice(2)).sort();
  assert.deepEqual(written, [stored(src).toString("latin1"), p("docs"), p("docs/a.txt"), p("docs/b.txt"), p("docs/new.txt"), p("fresh"), p("fresh/f")].sort());
  // One DELETED item per deleted subtree; a tombstone row per deleted path.
  assert.deepEqual(items.filter((i) => i.startsWith("D ")), [`D ${p("docs/c.txt")}`, `D ${p("old")}`]);
  const tombstones = incr.rows.filter((r) => r.deleted).map((r) => Buffer.from(r.path).toString("latin1")).sort();
  assert.deepEqual(tombstones, [p("docs/c.txt"), p("old"), p("old/x"), p("old/y"), p("old/y/z")].sort());
  assert.equal(incr.summary.deleted, 5);
  // A path without a DELETED item of its own points at its deleted ancestor's item.
  const where = (rel: string): [number, number] => {
    const row = incr.rows.find((r) => r.deleted && Buffer.from(r.path).toString("latin1") === p(rel))!;
    return [row.chunkOffset, row.itemOffset];
  };
  assert.deepEqual(where("old/y/z"), where("old"));
  assert.notDeepEqual(where("old"), where("docs/c.txt"));
  assert.equal(incr.records[incr.offsets.indexOf(where("old")[0])]![0], 2);
  assert.equal(incr.summary.files, 7);
  // Of the full's entries, 5 are gone and 4 changed (root, docs, a.txt, b.txt): the rest is unchanged.
  assert.equal(incr.summary.unchanged, fullCount - 5 - 4);
  assert.ok(!items.some((i) => i.includes("big.bin")), "an unchanged file is not written");

  // Restoring the chain gives the changed tree, deletions applied; "never" keeps only what was there before the restore.
  for (const overwrite of ["always", "never"] as const) {
    const target = join(dir, `target-${overwrite}`);
    const { results, reporter } = await restore([full.records, incr.records], target, { overwrite, threads: overwrite === "always" ? 2 : 0 });
    assert.deepEqual(reporter.errors, [], overwrite);
    assert.deepEqual(results.map((r) => [r.trailerOk, r.removed]), [[true, 0], [true, 2]]);
    assertSameTree(src, join(target, src));
    assert.equal(existsSync(join(target, src, "old")), false);
  }

  // A second incremental on top of the first: nothing changed, no entry written.
  const again = await backup([src], { level: "incr", previous: previousOf(incr.rows, previous) });
  assert.equal(again.summary.files, 0);
  assert.equal(again.summary.deleted, 0);
  assert.equal(again.summary.unchanged, fullCount - 5 + 3);
  assert.equal(again.rows.length, 0);
  assert.deepEqual(itemsOf(again.records), []);

  // A differential from the full after more changes: a path gone and back, a directory that became a file.
  rmSync(join(src, "fresh"), { recursive: true });
  writeFileSync(join(src, "fresh"), "a file now\n");
  appendFileSync(join(src, "links/h1"), "more\n");
  const diff = await backup([src], { level: "diff", previous });
  const diffItems = itemsOf(diff.records);
  assert.ok(diffItems.includes(`E ${p("links/h1")}`) && diffItems.includes(`E ${p("links/h2")}`), "both names of a changed inode");
  const target = join(dir, "target-diff");
  const { reporter } = await restore([full.records, diff.records], target);
  assert.deepEqual(reporter.errors, []);
  assertSameTree(src, join(target, src));
  // Incremental after the first one: "fresh" was a directory there, a file now: its subtree goes first.
  const incr2 = await backup([src], { level: "incr", previous: previousOf(incr.rows, previous) });
  const incr2Items = itemsOf(incr2.records);
  assert.ok(incr2Items.indexOf(`D ${p("fresh")}`) >= 0 && incr2Items.indexOf(`D ${p("fresh")}`) < incr2Items.indexOf(`E ${p("fresh")}`), incr2Items.join("\n"));
  assert.ok(!incr2Items.includes(`D ${p("fresh/f")}`), "covered by its directory's DELETED item");
  const target2 = join(dir, "target-chain3");
  const chain = await restore([full.records, incr.records, incr2.records], target2);
  assert.deepEqual(chain.reporter.errors, []);
  assertSameTree(src, join(target2, src));
});

test("SavesetRestore overwrite: never keeps what is there, older replaces only what is older than the saved copy, always replaces", async (t) => {
  const dir = tempDir(t);
  const src = join(dir, "src");
  mkdirSync(join(src, "d"), { recursive: true });
  writeFileSync(join(src, "d/older"), "saved older\n");
  writeFileSync(join(src, "d/newer"), "saved newer\n");
  writeFileSync(join(src, "d/absent"), "saved absent\n");
  sh("touch -d @1600000000 d/older d/newer", src);
  const full = await backup([src]);
  const base = join(dir, "base");
  await restore([full.records], base);
  // What is there now: one file older than the saved copy, one newer, one missing.
  const there = join(base, src, "d");
  writeFileSync(join(there, "older"), "local older\n");
  writeFileSync(join(there, "newer"), "local newer\n");
  rmSync(join(there, "absent"));
  sh("touch -d @1500000000 older && touch -d @1700000000 newer", there);
  const expected = {
    never: { older: "local older\n", newer: "local newer\n" },
    older: { older: "saved older\n", newer: "local newer\n" },
    always: { older: "saved older\n", newer: "saved newer\n" },
  };
  for (const overwrite of ["never", "older", "always"] as const) {
    const target = join(dir, overwrite);
    sh(`cp -a '${base}' '${target}'`);
    const { reporter } = await restore([full.records], target, { overwrite });
    assert.deepEqual(reporter.errors, [], overwrite);
    const d = join(target, src, "d");
    assert.deepEqual({ older: readFileSync(join(d, "older"), "utf8"), newer: readFileSync(join(d, "newer"), "utf8") }, expected[overwrite], overwrite);
    assert.equal(readFileSync(join(d, "absent"), "utf8"), "saved absent\n", `${overwrite}: a missing file is restored`);
    if (overwrite !== "always") assert.match([...reporter.warnings.values()].join("\n"), /kept/);
  }
});

test("SavesetRestore in place (target \"/\"): the backed-up paths come back where they were, changes since undone", async (t) => {
  const dir = tempDir(t);
  const src = join(dir, "src");
  buildTree(src);
  const copy = join(dir, "copy");
  sh(`cp -a '${src}' '${copy}'`);
  const full = await backup([src]);
  writeFileSync(join(src, "docs/a.txt"), "changed since the backup\n");
  rmSync(join(src, "old"), { recursive: true });
  rmSync(join(src, "links/h2"));
  const { results, reporter } = await restore([full.records], "/");
  assert.deepEqual(reporter.errors, []);
  assert.equal(results[0]!.trailerOk, true);
  assertSameTree(copy, src);
});
