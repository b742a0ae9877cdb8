/**
 * Hostile archives (format.md §5.5): whatever an archive holds, extraction writes nothing outside
 * its destination — not through "..", not through an absolute path, not through a symlink the
 * archive made or one already there — names the refused entry and exits non-zero. The archives
 * are written entry by entry with the project's own encoder, so they hold exactly what the test says.
 */
import assert from "node:assert/strict";
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { EntryType } from "../../src/format/index.js";
import { type EntrySpec, listing, reel, shell, tempDir, writeArchive } from "./helpers.js";

interface Case {
  name: string;
  /** Entries; OUTSIDE in paths and targets stands for the absolute path of the sentinel directory. */
  entries: EntrySpec[];
  /** What stderr must say: the refused entry, named. */
  says: RegExp;
  /** Set up DEST before extracting (pre-existing symlinks). */
  prepare?: (dest: string, outside: string) => void;
  /** What must have been restored despite the refusal. */
  restored?: Record<string, string>;
  /** More to check in DEST afterwards. */
  check?: (dest: string) => void;
}

const part = "p".repeat(200);
const deep = Array(25).fill(part).join("/");

const cases: Case[] = [
  { name: "a path starting with ..", entries: [{ path: "../evil", data: "x" }], says: /"\.\.\/evil": unsafe path/ },
  { name: "a .. inside a path", entries: [{ path: "a/../../evil", data: "x" }], says: /"a\/\.\.\/\.\.\/evil": unsafe path/ },
  { name: "an absolute path", entries: [{ path: "OUTSIDE/evil", data: "x" }], says: /"\/.*\/outside\/evil": unsafe path \(absolute path\)/ },
  { name: "an empty path component", entries: [{ path: "a//evil", data: "x" }, { path: "fine", data: "ok" }], says: /"a\/\/evil": unsafe path \(empty path component\)/, restored: { fine: "ok" } },
  { name: "a . component and a trailing slash", entries: [{ path: "./evil", data: "x" }, { path: "evil/", data: "x" }], says: /"\.\/evil": unsafe path[^]*"evil\/": unsafe path/ },
  {
    name: "a file under a symlink the archive made to an absolute outside directory",
    entries: [{ path: "link", type: EntryType.symlink, linkTarget: "OUTSIDE" }, { path: "link/evil", data: "x" }, { path: "fine", data: "ok" }],
    says: /"link\/evil": "link" is a symlink; refusing to write through it/,
    restored: { fine: "ok" },
  },
  {
    name: "a directory and a file under a symlink to ..",
    entries: [{ path: "up", type: EntryType.symlink, linkTarget: ".." }, { path: "up/evil-dir", type: EntryType.directory }, { path: "up/evil", data: "x" }],
    says: /"up\/evil-dir": "up" is a symlink[^]*"up\/evil": "up" is a symlink/,
  },
  {
    name: "a hard link through a symlink the archive made",
    entries: [{ path: "up", type: EntryType.symlink, linkTarget: "../.." }, { path: "hl", type: EntryType.hardlink, linkTarget: "up/x" }],
    says: /"hl": ("up" is a symlink|hard link target "up\/x" is not a file restored from this archive)/,
  },
  { name: "a hard link to a file outside", entries: [{ path: "hl", type: EntryType.hardlink, linkTarget: "../outside/secret" }], says: /"hl": unsafe hard link target/ },
  { name: "a hard link to /etc/passwd", entries: [{ path: "hl", type: EntryType.hardlink, linkTarget: "../../etc/passwd" }], says: /"hl": unsafe hard link target/ },
  {
    name: "a hard link to a symlink the archive made to a file outside, then data for it",
    entries: [
      { path: "s", type: EntryType.symlink, linkTarget: "OUTSIDE/secret" },
      { path: "hl", type: EntryType.hardlink, linkTarget: "s" },
      { path: "hl", data: "overwritten" },
      { path: "s", data: "overwritten" },
      { path: "bad/", data: "x" },
    ],
    says: /"bad\/": unsafe path/,
    restored: { hl: "overwritten", s: "overwritten" },
  },
  {
    name: "a hard link to a file that was in the destination before (not an earlier entry of the archive)",
    prepare: (dest) => {
      mkdirSync(join(dest, "private"), { mode: 0o700 });
      writeFileSync(join(dest, "private/key"), "private key\n", { mode: 0o600 });
    },
    entries: [{ path: "pub", type: EntryType.directory, mode: 0o755 }, { path: "pub/key", type: EntryType.hardlink, linkTarget: "private/key" }],
    says: /"pub\/key": hard link target "private\/key" is not a file restored from this archive/,
    check: (dest) => {
      assert.equal(lstatSync(join(dest, "private/key")).nlink, 1, "a file the archive did not make was linked into it");
      assert.equal(existsSync(join(dest, "pub/key")), false);
    },
  },
  {
    name: "a file under a symlink already in the destination",
    prepare: (dest, outside) => symlinkSync(outside, join(dest, "planted")),
    entries: [{ path: "planted/evil", data: "x" }, { path: "planted/sub/evil", data: "x" }, { path: "fine", data: "ok" }],
    says: /"planted\/evil": "planted" is a symlink[^]*"planted\/sub\/evil": "planted" is a symlink/,
    restored: { fine: "ok" },
  },
  {
    name: "a file whose own name is a symlink already in the destination (replaced, not written through)",
    prepare: (dest, outside) => {
      symlinkSync(join(outside, "secret"), join(dest, "victim"));
      symlinkSync(join(outside, "secret"), join(dest, "big-victim"));
      symlinkSync(outside, join(dest, "dir-victim"));
    },
    entries: [
      { path: "victim", data: "archive data" },
      { path: "big-victim", data: "b".repeat(300000) },
      { path: "dir-victim", type: EntryType.directory, mode: 0o777 },
      { path: "dir-victim/f", data: "in a real directory" },
      { path: "x/", data: "x" },
    ],
    says: /"x\/": unsafe path/,
    restored: { "victim": "archive data", "big-victim": "b".repeat(300000), "dir-victim/f": "in a real directory" },
  },
  {
    name: "a root entry (.) that is a symlink to the outside, then files",
    entries: [{ path: ".", type: EntryType.symlink, linkTarget: "OUTSIDE" }, { path: "evil", data: "x" }, { path: "d/evil", data: "x" }],
    says: /"\.": the root of an archive must be a directory/,
    restored: { "evil": "x", "d/evil": "x" },
  },
  {
    name: "a root entry (.) that is a hard link or a FIFO",
    entries: [{ path: "f", data: "x" }, { path: ".", type: EntryType.hardlink, linkTarget: "f" }, { path: ".", type: EntryType.fifo }, { path: "after", data: "y" }],
    says: /"\.": the root of an archive must be a directory[^]*"\.": the root of an archive must be a directory/,
    restored: { f: "x", after: "y" },
  },
  {
    name: "a directory replaced by a later symlink to the outside (its mode and time must not land outside)",
    entries: [
      { path: "d", type: EntryType.directory, mode: 0o4777, mtime: [1, 0] },
      { path: "d", type: EntryType.symlink, linkTarget: "OUTSIDE" },
      { path: "e", type: EntryType.directory, mode: 0o777 },
      { path: "e", type: EntryType.symlink, linkTarget: "../outside" },
      { path: "z/", data: "x" },
    ],
    says: /"z\/": unsafe path/,
  },
  {
    name: "a file under a symlink more than 4 KiB deep",
    entries: [
      { path: deep, type: EntryType.directory },
      { path: `${deep}/link`, type: EntryType.symlink, linkTarget: "OUTSIDE" },
      { path: `${deep}/link/evil`, data: "x" },
      { path: `${deep}/fine`, data: "ok" },
    ],
    says: /\/link\/evil": ".*\/link" is a symlink; refusing to write through it/,
    restored: { [`${deep}/fine`]: "ok" },
  },
];

/** Reads a file under `dest` however deep its path (through a shell's relative cd). */
function readUnder(dest: string, rel: string): string {
  const dirs = rel.split("/");
  const name = dirs.pop()!;
  const r = shell(`${dirs.map((d) => `cd '${d}' && `).join("")}cat '${name}'`, { cwd: dest });
  assert.equal(r.status, 0, `${rel.slice(0, 80)}: ${r.stderr}`);
  return r.stdout;
}

/** Everything outside DEST, with types, inodes, link counts, sizes, modes, owners and times. */
const outsideOf = (dir: string): string[] => listing(dir).filter((l) => !/^dest[ /]/.test(l));

for (const c of cases) {
  test(`a hostile archive with ${c.name}: nothing outside the target changes, the refused entry is named, exit non-zero`, async (t) => {
    const dir = tempDir(t);
    const outside = join(dir, "outside");
    mkdirSync(outside);
    writeFileSync(join(outside, "secret"), "secret\n", { mode: 0o600 });
    const dest = join(dir, "dest");
    mkdirSync(dest);
    c.prepare?.(dest, outside);
    const fill = (v: string | Buffer | undefined): string | Buffer | undefined => (typeof v === "string" ? v.replace("OUTSIDE", outside) : v);
    const archive = join(dir, "hostile.reel");
    await writeArchive(archive, c.entries.map((e) => ({ ...e, path: fill(e.path)!, ...(e.linkTarget === undefined ? {} : { linkTarget: fill(e.linkTarget)! }) })));
    const before = outsideOf(dir);
    const run = reel(["archive", "extract", "-f", archive, "-C", dest]);
    assert.notEqual(run.status, 0, run.stderr);
    assert.match(run.stderr, c.says);
    assert.deepEqual(outsideOf(dir), before, "something outside the target changed");
    assert.equal(readFileSync(join(outside, "secret"), "utf8"), "secret\n");
    assert.equal(lstatSync(join(outside, "secret")).nlink, 1, "the outside file got a hard link");
    for (const [path, content] of Object.entries(c.restored ?? {})) assert.equal(readUnder(dest, path), content, path.slice(0, 80));
    c.check?.(dest);
  });
}

test("hostile entries are refused the same way from a pipe and when named on the command line", async (t) => {
  const dir = tempDir(t);
  const outside = join(dir, "outside");
  mkdirSync(outside);
  const archive = join(dir, "hostile.reel");
  await writeArchive(archive, [
    { path: "link", type: EntryType.symlink, linkTarget: outside },
    { path: "link/evil", data: "x" },
    { path: "../evil", data: "x" },
    { path: "hl", type: EntryType.hardlink, linkTarget: "link/x" },
  ]);
  const before = outsideOf(dir);
  for (const how of ["-f - < hostile.reel", "-f hostile.reel link link/evil hl", "-f - link link/evil hl < hostile.reel"]) {
    const run = shell(`$REEL archive extract -C dest ${how}`, { cwd: dir });
    assert.notEqual(run.status, 0, `${how}: ${run.stderr}`);
    assert.match(run.stderr, /"link\/evil": "link" is a symlink; refusing to write through it/, how);
    assert.match(run.stderr, /"hl": ("link" is a symlink|hard link target "link\/x" (was not extracted|is not a file restored from this archive))/, how);
    assert.deepEqual(outsideOf(dir), before, `${how}: something outside the target changed`);
    shell("rm -rf dest", { cwd: dir });
  }
});
