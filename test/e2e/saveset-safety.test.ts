/**
 * SavesetRestore against hostile and damaged streams, seeking, and encryption: DELETED items
 * never remove anything outside the target or through a symlink; a seek from one file's chunk
 * restores just that file; a damaged record damages only the file it held, which is never left
 * in place as if good; an encrypted stream needs its passphrase before anything is written.
 */
import assert from "node:assert/strict";
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { isReelError } from "../../src/errors/index.js";
import { EntryType } from "../../src/format/index.js";
import { assertSameTree, listing, tempDir } from "./helpers.js";
import { backup, buildTree, recordsOf, restore, stored } from "./saveset-helpers.js";

test("SavesetRestore: hostile DELETED items remove nothing outside the target, and nothing through a symlink", async (t) => {
  const dir = tempDir(t);
  const outside = join(dir, "outside");
  mkdirSync(outside);
  for (const name of ["secret", "secret2", "in-dir"]) writeFileSync(join(outside, name), "keep me\n");
  const target = join(dir, "target");
  mkdirSync(target);
  writeFileSync(join(target, "kept"), "not named anywhere\n");
  // A symlink already in the target, not made by the stream.
  symlinkSync(outside, join(target, "pre"));
  const records = await recordsOf([
    { path: ".", type: EntryType.directory },
    { path: "link", type: EntryType.symlink, linkTarget: outside },
    { path: "up", type: EntryType.symlink, linkTarget: ".." },
    { path: "dir", type: EntryType.directory },
    { path: "dir/out", type: EntryType.symlink, linkTarget: outside },
    ...["link/secret", "up/outside/secret2", "../outside/secret", "a/../../outside/secret", `${outside}/secret`, "pre/secret", ".", "", "dir", "link", "pre", "dir/nothing/below"].map((deleted) => ({ deleted })),
  ]);
  const { results, reporter } = await restore([records], target);
  // Everything outside is where it was.
  for (const name of ["secret", "secret2", "in-dir"]) assert.equal(readFileSync(join(outside, name), "utf8"), "keep me\n", name);
  const said = reporter.errors.join("\n");
  assert.match(said, /"link\/secret": "link" is a symlink; refusing to remove anything through it/);
  assert.match(said, /"up\/outside\/secret2": "up" is a symlink; refusing/);
  assert.match(said, /"\.\.\/outside\/secret": unsafe path in a deletion \("\.\." component\)/);
  assert.match(said, /"a\/\.\.\/\.\.\/outside\/secret": unsafe path in a deletion/);
  assert.match(said, /unsafe path in a deletion \(absolute path\)/);
  assert.match(said, /"pre\/secret": "pre" is a symlink; refusing/);
  assert.match(said, /"\.": unsafe path in a deletion \(the destination itself\)/);
  assert.match(said, /unsafe path in a deletion \(empty path\)/);
  // A directory with a symlink inside goes, the symlink with it (not followed); symlinks themselves go.
  assert.deepEqual(readdirSync(target).sort(), ["kept", "up"]);
  assert.equal(results[0]!.removed, 3);
  assert.equal(results[0]!.errors, 8);
});

test("SavesetRestore seeking: the HEAD, then records from one file's chunk on, with that file selected, restores just that file", async (t) => {
  const dir = tempDir(t);
  const src = join(dir, "src");
  buildTree(src);
  const full = await backup([src]);
  const path = stored(join(src, "docs/a.txt"));
  const row = full.rows.find((r) => Buffer.from(r.path).equals(path))!;
  const at = full.offsets.indexOf(row.chunkOffset);
  assert.ok(at > 2, "the file lies after big.bin's chunks: a real seek");
  // The node stops sending after two records: a seek needs no trailer.
  const target = join(dir, "target");
  const { results, reporter } = await restore([[full.records[0]!, ...full.records.slice(at, at + 2)]], target, { selection: [path] });
  assert.deepEqual(reporter.errors, []);
  assert.deepEqual(results.map((r) => [r.files, r.bytes, r.trailerOk, r.problems.length]), [[1, 6, false, 0]]);
  const file = join(target, src, "docs/a.txt");
  assert.equal(readFileSync(file, "utf8"), "alpha\n");
  assert.equal(lstatSync(file, { bigint: true }).mtimeNs, lstatSync(join(src, "docs/a.txt"), { bigint: true }).mtimeNs);
  // Only the file and the directories on its way.
  assert.deepEqual(listing(target).map((l) => l.split(" ")[0]!).filter((p) => p.startsWith(stored(src).toString())), [stored(src).toString(), `${stored(src).toString()}/docs`, path.toString()]);

  // A directory selected from the whole stream: its subtree only.
  const sub = join(dir, "sub");
  const subRun = await restore([full.records], sub, { selection: [stored(join(src, "links"))] });
  assert.deepEqual(subRun.reporter.errors, []);
  assert.deepEqual(readdirSync(join(sub, src)), ["links"]);
  assertSameTree(join(src, "links"), join(sub, src, "links"));
});

test("SavesetRestore: a damaged record damages the file it held, which is kept aside; the rest restores", async (t) => {
  const dir = tempDir(t);
  const src = join(dir, "src");
  buildTree(src);
  const full = await backup([src]);
  // Record 2 holds big.bin's data (after the first chunk with the directory entries and its start).
  const damaged = full.records.map((r, i) => (i === 2 ? Uint8Array.from(r, (b, j) => (j === 100 ? b ^ 0x55 : b)) : r));
  const target = join(dir, "target");
  const { results, reporter } = await restore([damaged], target);
  const big = join(target, src, "big.bin");
  assert.equal(existsSync(big), false, "never left in place as if good");
  assert.equal(existsSync(`${big}.reel-damaged`), true);
  assert.match(reporter.errors.join("\n"), /".*big\.bin": damaged/);
  assert.equal(results[0]!.damaged, 1);
  assert.equal(results[0]!.trailerOk, false);
  assert.match(results[0]!.problems.join("\n"), /checksum mismatch/);
  assert.equal(readFileSync(join(target, src, "docs/a.txt"), "utf8"), "alpha\n");
});

test("backupSaveset() with zstd, encryption and sealing threads; SavesetRestore asks for the passphrase before writing anything", async (t) => {
  const dir = tempDir(t);
  const src = join(dir, "src");
  buildTree(src);
  const full = await backup([src], { compression: "zstd", passphrase: "correct horse", threads: 3 });
  assert.ok(full.records.slice(1, -1).every((r) => (r[1]! & 2) === 2), "every chunk is encrypted");
  const wrong = join(dir, "wrong");
  await assert.rejects(restore([full.records], wrong, { passphrase: "wrong" }), (error: unknown) => isReelError(error, "FORMAT_WRONG_PASSPHRASE"));
  await assert.rejects(restore([full.records], wrong), (error: unknown) => isReelError(error, "FORMAT_PASSPHRASE_REQUIRED"));
  assert.deepEqual(existsSync(wrong) ? readdirSync(wrong) : [], []);
  const target = join(dir, "target");
  const { results, reporter } = await restore([full.records], target, { passphrase: "correct horse" });
  assert.deepEqual(reporter.errors, []);
  assert.equal(results[0]!.trailerOk, true);
  assertSameTree(src, join(target, src));
  // Seeking in an encrypted stream: the HEAD gives the key, the chunk decrypts alone.
  const path = stored(join(src, "docs/b.txt"));
  const at = full.offsets.indexOf(full.rows.find((r) => Buffer.from(r.path).equals(path))!.chunkOffset);
  const seek = join(dir, "seek");
  const sought = await restore([[full.records[0]!, ...full.records.slice(at)]], seek, { selection: [path], passphrase: "correct horse" });
  assert.deepEqual(sought.reporter.errors, []);
  assert.equal(readFileSync(join(seek, src, "docs/b.txt"), "utf8"), "bravo\n");
  assert.equal(sought.results[0]!.files, 1);
});

test("backupSaveset() refuses a relative path before it sends anything, and stops when send fails", async (t) => {
  const dir = tempDir(t);
  await assert.rejects(backup(["relative/path"]), (error: unknown) => isReelError(error, "CLIENT_BAD_PATH"));
  const src = join(dir, "src");
  buildTree(src);
  for (const sealing of [{}, { compression: "zstd" as const, threads: 2 }]) {
    let sent = 0;
    await assert.rejects(backup([src], {
      ...sealing,
      send: () => {
        if (++sent === 3) return Promise.reject(new Error("connection reset"));
      },
    }), /connection reset/);
    assert.equal(sent, 3, "nothing is sent after a failed send");
  }
});
