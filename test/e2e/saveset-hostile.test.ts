/**
 * Hostile streams through SavesetRestore (format.md §5.5, §5.6): the cases of `reel archive
 * extract` (archive-hostile.test.ts), plus chains where a later stream tries to use what an
 * earlier one made. Whatever the streams hold, nothing outside the target changes, the refused
 * entry is named, and the rest is restored.
 */
import assert from "node:assert/strict";
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { EntryType } from "../../src/format/index.js";
import { type EntrySpec, listing, shell, tempDir } from "./helpers.js";
import { type DeletedSpec, recordsOf, restore } from "./saveset-helpers.js";

type Spec = EntrySpec | DeletedSpec;

interface Case {
  name: string;
  /** Streams restored one after another; OUTSIDE in paths and targets stands for the sentinel directory. */
  streams: Spec[][];
  /** What the errors must say: the refused entry, named. */
  says: RegExp;
  prepare?: (target: string, outside: string) => void;
  /** What must have been restored despite the refusal. */
  restored?: Record<string, string>;
  check?: (target: string) => void;
}

const part = "p".repeat(200);
const deep = Array(25).fill(part).join("/");

const cases: Case[] = [
  { name: "a path starting with ..", streams: [[{ path: "../evil", data: "x" }]], says: /"\.\.\/evil": unsafe path/ },
  { name: "a .. inside a path", streams: [[{ path: "a/../../evil", data: "x" }]], says: /"a\/\.\.\/\.\.\/evil": unsafe path/ },
  { name: "an absolute path", streams: [[{ path: "OUTSIDE/evil", data: "x" }]], says: /unsafe path \(absolute path\)/ },
  { name: "an empty component", streams: [[{ path: "a//evil", data: "x" }, { path: "fine", data: "ok" }]], says: /"a\/\/evil": unsafe path \(empty path component\)/, restored: { fine: "ok" } },
  {
    name: "a file under a symlink the stream made to the outside",
    streams: [[{ path: "link", type: EntryType.symlink, linkTarget: "OUTSIDE" }, { path: "link/evil", data: "x" }, { path: "fine", data: "ok" }]],
    says: /"link\/evil": "link" is a symlink; refusing to write through it/,
    restored: { fine: "ok" },
  },
  {
    name: "a directory and a file under a symlink to ..",
    streams: [[{ path: "up", type: EntryType.symlink, linkTarget: ".." }, { path: "up/evil-dir", type: EntryType.directory }, { path: "up/evil", data: "x" }]],
    says: /"up\/evil-dir": "up" is a symlink[^]*"up\/evil": "up" is a symlink/,
  },
  { name: "a hard link to a file outside", streams: [[{ path: "hl", type: EntryType.hardlink, linkTarget: "../outside/secret" }]], says: /"hl": unsafe hard link target/ },
  {
    name: "a hard link to a file that was in the target before",
    prepare: (target) => {
      mkdirSync(join(target, "private"), { mode: 0o700 });
      writeFileSync(join(target, "private/key"), "private key\n", { mode: 0o600 });
    },
    streams: [[{ path: "pub", type: EntryType.directory }, { path: "pub/key", type: EntryType.hardlink, linkTarget: "private/key" }]],
    says: /"pub\/key": hard link target "private\/key" is not a file restored/,
    check: (target) => assert.equal(lstatSync(join(target, "private/key")).nlink, 1),
  },
  {
    name: "a file under a symlink already in the target",
    prepare: (target, outside) => symlinkSync(outside, join(target, "planted")),
    streams: [[{ path: "planted/evil", data: "x" }, { path: "fine", data: "ok" }]],
    says: /"planted\/evil": "planted" is a symlink/,
    restored: { fine: "ok" },
  },
  {
    name: "a file whose own name is a symlink already in the target (replaced, not written through)",
    prepare: (target, outside) => symlinkSync(join(outside, "secret"), join(target, "victim")),
    streams: [[{ path: "victim", data: "stream data" }, { path: "x/", data: "x" }]],
    says: /"x\/": unsafe path/,
    restored: { victim: "stream data" },
  },
  {
    name: "a root entry (.) that is a symlink to the outside, then files",
    streams: [[{ path: ".", type: EntryType.symlink, linkTarget: "OUTSIDE" }, { path: "evil", data: "x" }]],
    says: /"\.": the root of an archive must be a directory/,
    restored: { evil: "x" },
  },
  {
    name: "a directory replaced by a later symlink to the outside",
    streams: [[{ path: "d", type: EntryType.directory, mode: 0o4777, mtime: [1, 0] }, { path: "d", type: EntryType.symlink, linkTarget: "OUTSIDE" }, { path: "z/", data: "x" }]],
    says: /"z\/": unsafe path/,
  },
  {
    name: "a file under a symlink more than 4 KiB deep",
    streams: [[{ path: deep, type: EntryType.directory }, { path: `${deep}/link`, type: EntryType.symlink, linkTarget: "OUTSIDE" }, { path: `${deep}/link/evil`, data: "x" }, { path: `${deep}/fine`, data: "ok" }]],
    says: /\/link\/evil": ".*\/link" is a symlink; refusing to write through it/,
    restored: { [`${deep}/fine`]: "ok" },
  },
  {
    name: "a chain whose later stream writes under a symlink the earlier one made",
    streams: [[{ path: "s", type: EntryType.symlink, linkTarget: "OUTSIDE" }], [{ path: "s/evil", data: "x" }, { deleted: "s/secret" }, { path: "fine", data: "ok" }]],
    says: /"s\/evil": "s" is a symlink; refusing to write[^]*"s\/secret": "s" is a symlink; refusing to remove/,
    restored: { fine: "ok" },
  },
  {
    name: "a chain whose later stream deletes a directory and puts a symlink to the outside in its place, then writes under it",
    streams: [
      [{ path: "d", type: EntryType.directory }, { path: "d/f", data: "first" }],
      [{ deleted: "d" }, { path: "d", type: EntryType.symlink, linkTarget: "OUTSIDE" }, { path: "d/f", data: "evil" }, { deleted: "d/secret" }],
    ],
    says: /"d\/f": "d" is a symlink; refusing to write[^]*"d\/secret": "d" is a symlink; refusing to remove/,
    check: (target) => assert.equal(lstatSync(join(target, "d")).isSymbolicLink(), true),
  },
  {
    name: "a directory deleted and replaced by a symlink to the outside after a directory below it was restored",
    prepare: (_target, outside) => mkdirSync(join(outside, "e")),
    streams: [[
      { path: "d", type: EntryType.directory, mode: 0o777, mtime: [1, 0] },
      { path: "d/e", type: EntryType.directory, mode: 0o777, mtime: [2, 0] },
      { path: "d/e/f", data: "x" },
      { deleted: "d" },
      { path: "d", type: EntryType.symlink, linkTarget: "OUTSIDE" },
      { path: "z/", data: "x" },
    ]],
    says: /"z\/": unsafe path/,
  },
  {
    name: "a chain whose later stream replaces a directory the earlier one restored by a symlink to the outside, then changes below it",
    prepare: (_target, outside) => mkdirSync(join(outside, "e")),
    streams: [
      [{ path: "d", type: EntryType.directory }, { path: "d/e", type: EntryType.directory }, { path: "d/e/f", data: "x" }],
      [{ path: "d/e/g", data: "y" }, { deleted: "d" }, { path: "d", type: EntryType.symlink, linkTarget: "OUTSIDE" }, { path: "z/", data: "x" }],
    ],
    says: /"z\/": unsafe path/,
  },
  {
    name: "a chain whose later stream links to a path the earlier one made a symlink to the outside",
    streams: [[{ path: "s", type: EntryType.symlink, linkTarget: "OUTSIDE/secret" }], [{ path: "hl", type: EntryType.hardlink, linkTarget: "s" }, { path: "hl", data: "overwritten" }, { path: "bad/", data: "x" }]],
    says: /"hl": hard link target "s" is not a file restored[^]*"bad\/": unsafe path/,
    restored: { hl: "overwritten" },
  },
];

/** Reads a file under `target` however deep its path (through a shell's relative cd). */
function readUnder(target: string, rel: string): string {
  const dirs = rel.split("/");
  const name = dirs.pop()!;
  const r = shell(`${dirs.map((d) => `cd '${d}' && `).join("")}cat '${name}'`, { cwd: target });
  assert.equal(r.status, 0, `${rel.slice(0, 80)}: ${r.stderr}`);
  return r.stdout;
}

/** Everything outside the target, with types, inodes, link counts, sizes, modes, owners and times. */
const outsideOf = (dir: string): string[] => listing(dir).filter((l) => !/^target[ /]/.test(l));

for (const c of cases) {
  test(`SavesetRestore of a hostile stream with ${c.name}: nothing outside the target changes, the refused entry is named`, async (t) => {
    const dir = tempDir(t);
    const outside = join(dir, "outside");
    mkdirSync(outside);
    writeFileSync(join(outside, "secret"), "secret\n", { mode: 0o600 });
    const target = join(dir, "target");
    mkdirSync(target);
    c.prepare?.(target, outside);
    const fill = (v: string | Buffer): string | Buffer => (typeof v === "string" ? v.replace("OUTSIDE", outside) : v);
    const streams = await Promise.all(c.streams.map((specs) => recordsOf(specs.map((s) => ("deleted" in s ? { deleted: fill(s.deleted) } : {
      ...s, path: fill(s.path), ...(s.linkTarget === undefined ? {} : { linkTarget: fill(s.linkTarget) }),
    })))));
    const before = outsideOf(dir);
    const { results, reporter } = await restore(streams, target);
    assert.match(reporter.errors.join("\n"), c.says);
    assert.ok(results.some((r) => r.errors > 0));
    assert.deepEqual(outsideOf(dir), before, "something outside the target changed");
    assert.equal(readFileSync(join(outside, "secret"), "utf8"), "secret\n");
    assert.equal(lstatSync(join(outside, "secret")).nlink, 1, "the outside file got a hard link");
    for (const [path, content] of Object.entries(c.restored ?? {})) assert.equal(readUnder(target, path), content, path.slice(0, 80));
    c.check?.(target);
    assert.equal(existsSync(join(dir, "evil")), false);
  });
}
