import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { nodeCodecs } from "../../src/client/index.js";
import { BlockPacker, type Entry, EntryType, type EntryTypeCode, makeLabelBlock, SealingSink, StreamEncoder, utf8 } from "../../src/format/index.js";
import { reel, shell, tempDir } from "./cli.js";

interface Hostile {
  path: string;
  type?: EntryTypeCode;
  linkTarget?: string;
  data?: string;
}

/** Writes an archive holding exactly the given entries, whatever they are: no walk, no checks. */
async function hostileArchive(file: string, entries: Hostile[]): Promise<void> {
  const codecs = nodeCodecs();
  const mediumId = randomBytes(16), streamId = randomBytes(16);
  const blocks: Uint8Array[] = [makeLabelBlock({ mediumId, blockSize: 4096, checksum: codecs.checksum, label: { label: "archive", pool: null, createdAt: "2026-01-01T00:00:00Z", writer: "test" } })];
  let next = 1;
  const packer = new BlockPacker({ mediumId, streamId, blockSize: 4096, checksum: codecs.checksum, nextBlockNumber: () => next++, emit: (b) => blocks.push(b) });
  const encoder = new StreamEncoder({
    head: { format: 1, streamId: Buffer.from(streamId).toString("hex").replace(/(.{8})(.{4})(.{4})(.{4})(.{12})/, "$1-$2-$3-$4-$5"), createdAt: "2026-01-01T00:00:00Z", compression: "none", encryption: null, descriptor: {} },
    sink: new SealingSink(codecs, { compress: false, key: null }, (r) => packer.append(r)),
  });
  for (const h of entries) {
    const data = h.data === undefined ? undefined : utf8(h.data);
    const entry: Entry = {
      number: 0, type: h.type ?? EntryType.file, isSparse: false, mode: 0o644, uid: 0, gid: 0, size: data?.length ?? 0,
      mtimeSec: 1700000000, mtimeNsec: 0, atimeSec: 1700000000, atimeNsec: 0, path: utf8(h.path),
      linkTarget: h.linkTarget === undefined ? null : utf8(h.linkTarget), userName: null, groupName: null, device: null, xattrs: [], unknownCriticalTags: [],
    };
    encoder.addEntry(entry);
    if (data !== undefined) encoder.addData(0, data);
  }
  await encoder.finish();
  packer.finish();
  writeFileSync(file, Buffer.concat(blocks));
}

const hostileCases: Array<{ name: string; entries: Hostile[]; names: RegExp }> = [
  { name: "a .. path", entries: [{ path: "../evil", data: "x" }], names: /"\.\.\/evil": unsafe path/ },
  { name: "a .. inside a path", entries: [{ path: "a/../../evil", data: "x" }], names: /"a\/\.\.\/\.\.\/evil": unsafe path/ },
  { name: "an absolute path", entries: [{ path: "/OUTSIDE/evil", data: "x" }], names: /OUTSIDE\/evil": unsafe path \(absolute path\)/ },
  { name: "an empty component", entries: [{ path: "a//b", data: "x" }], names: /unsafe path/ },
  {
    name: "a file under a symlink the archive made to the outside",
    entries: [{ path: "link", type: EntryType.symlink, linkTarget: "OUTSIDE" }, { path: "link/evil", data: "x" }],
    names: /"link\/evil".*symlink/,
  },
  {
    name: "a hard link through a symlink the archive made",
    entries: [{ path: "up", type: EntryType.symlink, linkTarget: "../.." }, { path: "hl", type: EntryType.hardlink, linkTarget: "up/x" }],
    names: /"hl".*symlink/,
  },
  { name: "a hard link to a file outside", entries: [{ path: "hl", type: EntryType.hardlink, linkTarget: "../../etc/passwd" }], names: /"hl": unsafe hard link target/ },
];

for (const c of hostileCases) {
  test(`extraction refuses ${c.name}, writes nothing outside its target, names the entry and exits non-zero`, async (t) => {
    const dir = tempDir(t);
    const outside = join(dir, "OUTSIDE");
    mkdirSync(outside);
    const dest = join(dir, "dest");
    mkdirSync(dest);
    // Make the absolute case point at our sentinel directory.
    const entries: Hostile[] = c.entries.map((e) => ({ ...e, path: e.path.replace("/OUTSIDE", outside), ...(e.linkTarget === undefined ? {} : { linkTarget: e.linkTarget.replace("OUTSIDE", outside) }) }));
    const archive = join(dir, "hostile.reel");
    await hostileArchive(archive, entries);
    const run = reel(["archive", "extract", "-f", archive, "-C", dest]);
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, c.names);
    assert.deepEqual(readdirSync(outside), [], "something was written outside the target");
    assert.equal(existsSync(join(dir, "evil")), false);
  });
}

test("extraction never writes through a symlink that was already in the target", async (t) => {
  const dir = tempDir(t);
  const outside = join(dir, "outside");
  mkdirSync(outside);
  mkdirSync(join(dir, "dest"));
  symlinkSync(outside, join(dir, "dest/planted"));
  const archive = join(dir, "a.reel");
  await hostileArchive(archive, [{ path: "planted/evil", data: "x" }, { path: "fine", data: "ok" }]);
  const run = reel(["archive", "extract", "-f", archive, "-C", join(dir, "dest")]);
  assert.equal(run.status, 1);
  assert.match(run.stderr, /"planted\/evil".*symlink/);
  assert.deepEqual(readdirSync(outside), []);
  assert.equal(readFileSync(join(dir, "dest/fine"), "utf8"), "ok");
});

/** An archive of a 3 MiB file, 200 files of 20 KB (about four chunks) and a last small file. */
function damagedArchive(t: TestContext): { dir: string; archive: string } {
  const dir = tempDir(t);
  shell("mkdir -p src/small && for i in $(seq 200); do yes \"small file $i\" | head -c 20000 > src/small/s$i; done && head -c 3145728 /dev/urandom > src/big.bin && echo last > src/z-last", { cwd: dir });
  const archive = join(dir, "a.reel");
  assert.equal(reel(["archive", "create", "--compress", "none", "--block-size", "4096", "-f", archive, "-C", join(dir, "src"), "."]).status, 0);
  return { dir, archive };
}

test("a flipped byte in the data of a file: verify and extract name that file, keep it aside, restore the rest", (t) => {
  const { dir, archive } = damagedArchive(t);
  const bytes = readFileSync(archive);
  // big.bin is stored first (names in byte order: big.bin, small, z-last); 1.5 MiB in is its data.
  const at = 4096 + 1536 * 1024;
  bytes[at]! ^= 0x55;
  writeFileSync(archive, bytes);
  const verify = reel(["archive", "verify", "-f", archive]);
  assert.equal(verify.status, 1);
  assert.match(verify.stderr, /"big\.bin": damaged/);
  assert.match(verify.stderr, /NOT intact/);
  const out = join(dir, "out");
  const run = reel(["archive", "extract", "-f", archive, "-C", out]);
  assert.equal(run.status, 1);
  assert.match(run.stderr, /"big\.bin": damaged/);
  assert.equal(existsSync(join(out, "big.bin")), false, "a damaged file must not be left in place as if good");
  assert.ok(existsSync(join(out, "big.bin.reel-damaged")));
  assert.equal(readFileSync(join(out, "z-last"), "utf8"), "last\n");
  assert.equal(readFileSync(join(out, "small/s200"), "utf8").slice(0, 15), "small file 200\n");
});

test("a flipped byte among small files' entries: the lost files are named from the index", (t) => {
  const { dir, archive } = damagedArchive(t);
  const bytes = readFileSync(archive);
  const at = bytes.indexOf(Buffer.from("small/s150"));
  assert.ok(at > 0);
  bytes[at]! ^= 0x01;
  writeFileSync(archive, bytes);
  const run = reel(["archive", "extract", "-f", archive, "-C", join(dir, "out")]);
  assert.equal(run.status, 1);
  assert.match(run.stderr, /"small\/s150": lost/);
  assert.equal(readFileSync(join(dir, "out/z-last"), "utf8"), "last\n");
});

test("a truncated archive: verify and extract say so, and what came before the cut is restored", (t) => {
  const { dir, archive } = damagedArchive(t);
  truncateSync(archive, Math.floor(readFileSync(archive).length / 2));
  const verify = reel(["archive", "verify", "-f", archive]);
  assert.equal(verify.status, 1);
  assert.match(verify.stderr, /truncated/);
  const run = reel(["archive", "extract", "-f", archive, "-C", join(dir, "out")]);
  assert.equal(run.status, 1);
  assert.match(run.stderr, /truncated/);
  assert.equal(shell("find out/small -type f | wc -l", { cwd: dir }).stdout.trim() !== "0" || existsSync(join(dir, "out/big.bin.reel-damaged")), true);
});

test("inputs that are not archives get a clear error and exit 2", (t) => {
  const dir = tempDir(t);
  const cases: Array<[string, Buffer]> = [["random", randomBytes(10000)], ["empty", Buffer.alloc(0)], ["text", Buffer.from("hello, this is not an archive\n")]];
  for (const [name, content] of cases) {
    writeFileSync(join(dir, name), content);
    for (const verb of ["extract", "list", "verify"]) {
      const run = reel(["archive", verb, "-f", join(dir, name), ...(verb === "extract" ? ["-C", join(dir, "out")] : [])]);
      assert.equal(run.status, 2, `${verb} ${name}: ${run.stderr}`);
      assert.match(run.stderr, /not a reel archive|does not start with a reel block|empty/i, `${verb} ${name}: ${run.stderr}`);
    }
  }
});

test("a damaged label does not stop extraction: the stream's blocks carry everything", (t) => {
  const { dir, archive } = damagedArchive(t);
  const bytes = readFileSync(archive);
  bytes[100]! ^= 0xff; // inside the label's JSON
  writeFileSync(archive, bytes);
  const run = reel(["archive", "extract", "-f", archive, "-C", join(dir, "out")]);
  assert.match(run.stderr, /damaged block/);
  assert.equal(readFileSync(join(dir, "out/z-last"), "utf8"), "last\n");
  assert.equal(readFileSync(join(dir, "out/big.bin")).length, 3145728);
});
