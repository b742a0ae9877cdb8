import assert from "node:assert/strict";
import { test } from "node:test";
import { EntryType } from "../format/index.js";
import { ChangeTracker, type PreviousFile } from "./change-tracker.js";
import type { ScannedEntry } from "./posix.js";
import type { SourceItem } from "./source-tree.js";

const stat = (over: Partial<ScannedEntry> = {}): ScannedEntry => ({
  name: Buffer.alloc(0), errno: 0, dev: 1, ino: 10, mode: 0o100644, nlink: 1, uid: 0, gid: 0, rdev: 0, size: 5, blocks: 8,
  atimeSec: 0, atimeNsec: 0, mtimeSec: 100, mtimeNsec: 5, ctimeSec: 200, ctimeNsec: 7, xattrBytes: 0, ...over,
});
const item = (path: string, type: SourceItem["type"] = EntryType.file, over: Partial<ScannedEntry> = {}): SourceItem =>
  ({ path: Buffer.from(path), fsPath: Buffer.from(`/${path}`), stat: stat(over), type, hardlinkTarget: null });
const was = (type: number = EntryType.file, over: Partial<PreviousFile> = {}): PreviousFile => ({ type, size: 5, mtimeNs: 100_000_000_005n, ctimeNs: 200_000_000_007n, inode: 10, ...over });

test("ChangeTracker.check() tells new, changed and unchanged apart by type, size, mtime, ctime and inode alone", () => {
  const previous = new Map([["a/f", was()], ["a/h", was(EntryType.hardlink)]]);
  const t = new ChangeTracker(previous, [Buffer.from("a")]);
  assert.equal(t.check(item("a/f"), "a/f"), "unchanged");
  assert.equal(t.check(item("a/h"), "a/h"), "unchanged", "a hard link and a file are the same kind");
  assert.equal(t.check(item("a/new"), "a/new"), "new");
  for (const over of [{ size: 6 }, { ino: 11 }, { mtimeNsec: 6 }, { ctimeSec: 201 }]) assert.equal(t.check(item("a/f", EntryType.file, over), "a/f"), "changed", JSON.stringify(over));
  assert.equal(t.check(item("a/f", EntryType.symlink), "a/f"), "changed");
  assert.equal(new ChangeTracker(null, []).check(item("a/f"), "a/f"), "new", "a full backup writes everything");
});

test("ChangeTracker.deletions(): gone paths under the roots only, none below an unreadable directory, one item per deleted subtree", () => {
  const previous = new Map<string, PreviousFile>([
    ["r", was(EntryType.directory)], ["r/gone", was(EntryType.directory)], ["r/gone/x", was()], ["r/gone/y", was()],
    ["r/locked", was(EntryType.directory)], ["r/locked/x", was()], ["r/kept", was()], ["r/was-dir", was(EntryType.directory)], ["r/was-dir/x", was()],
    ["other/x", was()],
  ]);
  const t = new ChangeTracker(previous, [Buffer.from("r")]);
  for (const [path, type] of [["r", EntryType.directory], ["r/locked", EntryType.directory], ["r/kept", EntryType.file], ["r/was-dir", EntryType.file]] as const) {
    const it = item(path, type);
    t.check(it, path);
    if (t.replacesDirectory(it, path)) assert.equal(path, "r/was-dir");
  }
  t.unreadable(Buffer.from("r/locked"));
  assert.deepEqual(t.deletions(), [
    { key: "r/gone", needsItem: true }, { key: "r/gone/x", needsItem: false }, { key: "r/gone/y", needsItem: false },
    { key: "r/was-dir/x", needsItem: false },
  ]);
  const everything = new ChangeTracker(new Map([["etc/x", was()]]), [Buffer.from(".")]);
  assert.deepEqual(everything.deletions(), [{ key: "etc/x", needsItem: true }]);
});
