/**
 * Fidelity of `reel archive create` + `extract`: every kind of object and every piece of
 * metadata comes back byte for byte (content, type, mode, owner, ns mtimes, links, holes,
 * devices, names that are not text, paths longer than PATH_MAX, xattrs and ACLs).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { closeSync, linkSync, lstatSync, mkdirSync, openSync, readFileSync, readSync, symlinkSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { EntryType } from "../../src/format/index.js";
import { assertSameTree, create, extract, hasCommand, isRoot, reel, sh, shell, tempDir, treeDifferences, verifyTree, writeArchive } from "./helpers.js";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const hasAttr = hasCommand("setfattr") && hasCommand("getfattr");
const hasAcl = hasCommand("setfacl") && hasCommand("getfacl");

/** A sparse file: `size` bytes, data only at the given offsets. */
function sparseFile(path: string, size: number, pieces: Array<[number, Buffer]>): void {
  const fd = openSync(path, "w");
  for (const [offset, data] of pieces) writeSync(fd, data, 0, data.length, offset);
  closeSync(fd);
  sh(`truncate -s ${size} '${path}'`);
}

/** Every kind of object and metadata `reel archive` must keep (the 5 GiB sparse file has its own test). */
function buildTree(src: string): void {
  mkdirSync(join(src, "sizes"), { recursive: true });
  for (const size of [0, 1, 4095, 4096, MiB - 1, MiB, MiB + 1, 3.5 * MiB]) writeFileSync(join(src, "sizes", `f${size}`), randomBytes(size));
  mkdirSync(join(src, "empty-dir"));
  mkdirSync(join(src, "nested/empty/deeper"), { recursive: true });
  mkdirSync(join(src, "links/target-dir"), { recursive: true });
  writeFileSync(join(src, "links/target-dir/inside"), "inside the target\n");
  symlinkSync("../sizes/f1", join(src, "links/relative"));
  symlinkSync("/etc/hostname", join(src, "links/absolute"));
  symlinkSync("nowhere/at all", join(src, "links/dangling"));
  symlinkSync("target-dir", join(src, "links/to-dir"));
  symlinkSync("..", join(src, "links/up"));
  mkdirSync(join(src, "hard"));
  writeFileSync(join(src, "hard/a"), "three names, one inode\n");
  linkSync(join(src, "hard/a"), join(src, "hard/b"));
  linkSync(join(src, "hard/a"), join(src, "links/c"));
  writeFileSync(join(src, "hard/p1"), randomBytes(200000));
  linkSync(join(src, "hard/p1"), join(src, "pair-p2"));
  sparseFile(join(src, "sparse.img"), 40 * MiB, [[0, Buffer.from("start")], [10 * MiB + 3, randomBytes(70000)], [40 * MiB - 3, Buffer.from("end")]]);
  sparseFile(join(src, "all-hole.img"), 8 * MiB, []);
  sh("mkfifo fifo", src);
  if (isRoot) sh("mknod null-dev c 1 3 && mknod loop-dev b 7 200 && mknod big-dev c 300 70000", src);
  // Names are bytes: not UTF-8, control characters, backslashes, the longest a name can be.
  writeFileSync(Buffer.concat([Buffer.from(join(src, "latin-")), Buffer.from([0x66, 0xff, 0xfe])]), "bytes\n");
  const oddDir = Buffer.concat([Buffer.from(join(src, "dir-")), Buffer.from([0xe9, 0x0a])]);
  mkdirSync(oddDir);
  writeFileSync(Buffer.concat([oddDir, Buffer.from("/in odd dir")]), "x\n");
  writeFileSync(join(src, "new\nline, space and \\ backslash"), "odd name\n");
  writeFileSync(join(src, "-rf *"), "dash and star\n");
  writeFileSync(join(src, "n".repeat(255)), "255-byte name\n");
  // Permission bits, special bits included.
  writeFileSync(join(src, "setuid"), "x");
  writeFileSync(join(src, "setgid"), "x");
  writeFileSync(join(src, "no-perms"), "x");
  mkdirSync(join(src, "sticky"));
  mkdirSync(join(src, "setgid-dir"));
  mkdirSync(join(src, "read-only-dir"));
  writeFileSync(join(src, "read-only-dir/kept"), "in a directory without write permission\n");
  // Mode 0 only as root: a user could not read the file back to compare it.
  sh(`chmod 4755 setuid && chmod 2755 setgid && chmod ${isRoot ? "0" : "400"} no-perms && chmod 1777 sticky && chmod 2775 setgid-dir && chmod 0600 sizes/f1 && chmod 555 read-only-dir`, src);
  if (isRoot) sh("chown 1234:5678 sizes/f4096 empty-dir && chown -h 4321:8765 links/relative && chown root:root hard/a", src);
  if (hasAttr) {
    sh("setfattr -n user.comment -v 'kept by reel' sizes/f1 && setfattr -n user.bin -v 0x00ff00 empty-dir && setfattr -n user.empty sizes/f0", src);
    sh(`setfattr -n user.large -v 0x${"ab".repeat(3000)} sizes/f4096`, src);
    if (isRoot) sh("setfattr -n trusted.reel -v trusted-value sizes/f4095 && setfattr -n security.reel -v sec-value sizes/f4095 && setfattr -h -n trusted.on-link -v l links/absolute", src);
  }
  if (hasAcl) sh("setfacl -m u:1234:rw,g:5678:r sizes/f0 && setfacl -m u:1234:rx empty-dir && setfacl -d -m u:1234:rwx,g::r-x empty-dir", src);
  // Nanosecond times: files, symlinks (-h), times before 1970 and after 2038, directories last.
  sh(
    "touch -d @1577934245.123456789 sizes/* hard/a setuid && touch -h -d @1557126489.987654321 links/relative links/dangling links/to-dir " +
      "&& touch -d @-0.5 setgid && touch -d @7258118400.000000001 no-perms " +
      "&& find . -type d -exec touch -d @1520139967.000000001 {} + && touch -d @1000000000.999999999 empty-dir",
    src,
  );
}

/** The checks that do not depend on the comparison helper: what a user would look at first. */
function spotChecks(src: string, out: string): void {
  const st = (p: string) => lstatSync(join(out, p), { bigint: true });
  assert.equal(st("hard/a").ino, st("hard/b").ino, "hard links come back as one inode");
  assert.equal(st("hard/a").ino, st("links/c").ino);
  assert.equal(st("hard/a").nlink, 3n);
  assert.equal(st("hard/p1").ino, st("pair-p2").ino);
  assert.equal(st("hard/p1").nlink, 2n);
  assert.ok(st("links/to-dir").isSymbolicLink(), "a symlink to a directory comes back as a symlink");
  assert.ok(st("links/dangling").isSymbolicLink());
  const sparse = st("sparse.img");
  assert.equal(sparse.size, BigInt(40 * MiB));
  assert.ok(sparse.blocks * 512n < 1n * BigInt(MiB), `sparse.img has ${sparse.blocks * 512n} bytes allocated: holes were written as zeros`);
  assert.equal(st("all-hole.img").blocks, 0n);
  assert.ok(st("fifo").isFIFO());
  assert.equal(st("sizes/f1048577").size, BigInt(MiB + 1));
  assert.equal(st("sizes/f1").mtimeNs, 1577934245123456789n);
  assert.equal(st("links/relative").mtimeNs, 1557126489987654321n);
  assert.equal(st("setgid").mtimeNs, -500000000n);
  assert.equal(st("no-perms").mtimeNs, 7258118400000000001n);
  assert.equal(st("empty-dir").mtimeNs, 1000000000999999999n);
  assert.equal(st("sticky").mtimeNs, 1520139967000000001n);
  assert.equal(st("setuid").mode & 0o7777n, 0o4755n);
  assert.equal(st("setgid").mode & 0o7777n, 0o2755n);
  assert.equal(st("sticky").mode & 0o7777n, 0o1777n);
  assert.equal(st("read-only-dir").mode & 0o7777n, 0o555n);
  assert.equal(readFileSync(join(out, "read-only-dir/kept"), "utf8"), "in a directory without write permission\n");
  assert.deepEqual(readFileSync(Buffer.concat([Buffer.from(join(out, "latin-")), Buffer.from([0x66, 0xff, 0xfe])])), Buffer.from("bytes\n"));
  if (isRoot) {
    assert.ok(st("null-dev").isCharacterDevice());
    assert.equal(st("loop-dev").rdev, lstatSync(join(src, "loop-dev"), { bigint: true }).rdev);
    assert.equal(st("big-dev").rdev, lstatSync(join(src, "big-dev"), { bigint: true }).rdev);
    assert.equal(st("sizes/f4096").uid, 1234n);
    assert.equal(st("sizes/f4096").gid, 5678n);
    assert.equal(st("links/relative").gid, 8765n);
  }
  if (hasAcl) {
    assert.match(shell("getfacl -n sizes/f0", { cwd: out }).stdout, /^user:1234:rw-$/m);
    assert.match(shell("getfacl -n empty-dir", { cwd: out }).stdout, /^default:user:1234:rwx$/m);
    // ACLs as getfacl shows them, the whole tree.
    const acls = (dir: string): string => shell("getfacl -R -P -n . 2>/dev/null", { cwd: dir }).stdout;
    assert.equal(acls(out), acls(src));
  }
  if (hasAttr) {
    assert.match(shell("getfattr -d -m - --absolute-names sizes/f1", { cwd: out }).stdout, /user\.comment="kept by reel"/);
    if (isRoot) assert.match(shell("getfattr -h -d -m - --absolute-names links/absolute", { cwd: out }).stdout, /trusted\.on-link="l"/);
  }
}

test("create + extract reproduce every kind of object and its metadata byte for byte", async (t) => {
  if (!isRoot) t.diagnostic("not root: device nodes, owners other than the user's, trusted.* and security.* xattrs are not covered");
  if (!hasAttr || !hasAcl) t.diagnostic("setfattr/getfattr or setfacl/getfacl missing (apt-get install attr acl): xattrs or ACLs are not set up");
  const dir = tempDir(t);
  const src = join(dir, "src");
  mkdirSync(src);
  buildTree(src);
  const runs: Array<{ name: string; create: string[]; env: Record<string, string> }> = [
    { name: "zstd, threads", create: [], env: {} },
    { name: "no compression, 4 KiB blocks, one thread", create: ["--compress", "none", "--block-size", "4096"], env: { REEL_THREADS: "0" } },
  ];
  for (const r of runs) {
    await t.test(r.name, () => {
      const archive = join(dir, `${r.name}.reel`);
      create(archive, src, ["."], r.create, r.env);
      const out = join(dir, `out ${r.name}`);
      const run = extract(archive, out, [], r.env);
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stderr, "", "a clean extraction prints nothing");
      assertSameTree(src, out);
      spotChecks(src, out);
      const verdict = verifyTree(src, out);
      if (verdict !== null) {
        assert.equal(verdict.status, 0, verdict.stdout + verdict.stderr);
        assert.match(verdict.stdout, /^OK \d+ entries/);
      }
      const verified = reel(["archive", "verify", "-f", archive]);
      assert.equal(verified.status, 0, verified.stderr);
    });
  }
});

test("the comparison helper sees the differences it is meant to see", (t) => {
  // A helper that always passes would make the test above worthless: break a copy in each way.
  const dir = tempDir(t);
  const a = join(dir, "a");
  mkdirSync(a);
  writeFileSync(join(a, "f"), "content");
  writeFileSync(join(a, "g"), "g");
  linkSync(join(a, "g"), join(a, "h"));
  symlinkSync("t", join(a, "l"));
  sparseFile(join(a, "s"), 20 * MiB, [[5 * MiB, Buffer.from("data")]]);
  sh("touch -d @1600000000.5 f && touch -h -d @1600000000.25 l", a);
  if (hasAttr) sh("setfattr -n user.x -v 1 f", a);
  const b = join(dir, "b");
  sh(`cp -a --sparse=always ${a} ${b}`);
  assert.deepEqual(treeDifferences(a, b), []);
  sh("printf contenT > f && touch -d @1600000000.5 f && touch -h -d @1600000000.250000001 l && chmod 600 g && rm h && cp g h && printf x | dd of=s bs=1 seek=15000000 conv=notrunc 2>/dev/null", b);
  if (hasAttr) sh("setfattr -n user.x -v 2 f", b);
  const diffs = treeDifferences(a, b).join("\n");
  for (const expected of [/"f": content differs/, /"l": mtime/, /"g": mode 644 != 600/, /"h": link count/, /"s": content differs at byte/, ...(hasAttr ? [/"f": xattrs/] : [])]) {
    assert.match(diffs, expected);
  }
  const c = join(dir, "c");
  sh(`cp -a --sparse=never ${a} ${c}`);
  assert.match(treeDifferences(a, c).join("\n"), /"s": holes not restored/);
});

test("a 5 GiB sparse file: large offsets kept, holes restored as holes", (t) => {
  const dir = tempDir(t);
  const src = join(dir, "src");
  mkdirSync(src);
  const middle = randomBytes(70000);
  sparseFile(join(src, "disk.img"), 5 * GiB, [[0, Buffer.from("start")], [GiB, middle], [4 * GiB + 1, Buffer.from("end")]]);
  sh("touch -d @1600000000.123456789 disk.img", src);
  const archive = join(dir, "a.reel");
  create(archive, src, ["."]);
  assert.ok(lstatSync(archive).size < 2 * MiB, `the archive of 70 KB of data takes ${lstatSync(archive).size} bytes`);
  const listed = JSON.parse(reel(["archive", "list", "--json", "-f", archive]).stdout) as Array<{ path: string; size: number }>;
  assert.deepEqual(listed.map((e) => [e.path, e.size]), [[".", 0], ["disk.img", 5 * GiB]]);
  const out = join(dir, "out");
  const run = extract(archive, out);
  assert.equal(run.status, 0, run.stderr);
  const st = lstatSync(join(out, "disk.img"));
  assert.equal(st.size, 5 * GiB);
  assert.ok(st.blocks * 512 < MiB, `${st.blocks * 512} bytes allocated for 70 KB of data`);
  const fd = openSync(join(out, "disk.img"), "r");
  const at = (offset: number, length: number): Buffer => {
    const b = Buffer.alloc(length);
    readSync(fd, b, 0, length, offset);
    return b;
  };
  try {
    assert.equal(at(0, 5).toString(), "start");
    assert.deepEqual(at(GiB, middle.length), middle);
    assert.equal(at(4 * GiB + 1, 3).toString(), "end");
    assert.deepEqual(at(3 * GiB, 4096), Buffer.alloc(4096), "a hole reads as zeros");
  } finally {
    closeSync(fd);
  }
  assertSameTree(src, out);
});

test("paths deeper than 4 KiB survive create and extract (PATH_MAX does not apply)", (t) => {
  const dir = tempDir(t);
  const part = "d".repeat(200);
  // Built step by step: Node's fs fails with ENAMETOOLONG on an absolute path that long.
  sh(
    `mkdir src && cd src && for i in $(seq 40); do mkdir ${part} && cd ${part} || exit 1; done; echo deep > leaf && ln -s ../${part} up && mkdir sub ` +
      `&& ${hasAttr ? "setfattr -n user.deep -v yes leaf && " : ""}touch -d @1234567890.111111111 leaf && touch -h -d @1234567890.222222222 up && touch -d @1234567890.333333333 sub . ..`,
    dir,
  );
  const archive = join(dir, "deep.reel");
  create(archive, join(dir, "src"), ["."]);
  const paths = reel(["archive", "list", "-f", archive]).stdout.trim().split("\n");
  const deepest = Array(40).fill(part).join("/");
  assert.ok(deepest.length > 8000);
  assert.deepEqual(paths.slice(-3), [`${deepest}/leaf`, `${deepest}/sub`, `${deepest}/up`]);
  const out = join(dir, "out");
  const run = extract(archive, out);
  assert.equal(run.status, 0, run.stderr.slice(0, 500));
  assert.equal(sh(`for i in $(seq 40); do cd ${part} || exit 1; done && cat leaf && readlink up`, out), `deep\n../${part}\n`);
  assertSameTree(join(dir, "src"), out);
  // Selecting the deep subtree by name goes through the index and the same deep paths.
  const some = reel(["archive", "extract", "-f", archive, "-C", join(dir, "some"), `${Array(39).fill(part).join("/")}`]);
  assert.equal(some.status, 0, some.stderr.slice(0, 500));
  assert.equal(sh(`for i in $(seq 40); do cd ${part} || exit 1; done && cat leaf`, join(dir, "some")), "deep\n");
});

test("owners: numeric ids without names come back as they were, with and without --numeric-owner; root stays root", { skip: isRoot ? false : "only root can set owners" }, (t) => {
  const dir = tempDir(t);
  sh("mkdir src && echo a > src/nameless && echo b > src/rooted && mkdir src/d && chown 1234:5678 src/nameless src/d && chown 0:0 src/rooted", dir);
  const archive = join(dir, "a.reel");
  create(archive, join(dir, "src"), ["."]);
  const listed = JSON.parse(reel(["archive", "list", "--json", "-f", archive]).stdout) as Array<{ path: string; uid: number; gid: number; user: string | null; group: string | null }>;
  assert.deepEqual(listed.find((e) => e.path === "nameless"), { ...listed.find((e) => e.path === "nameless"), uid: 1234, gid: 5678, user: null, group: null });
  assert.deepEqual(listed.find((e) => e.path === "rooted"), { ...listed.find((e) => e.path === "rooted"), uid: 0, gid: 0, user: "root", group: "root" });
  for (const flags of [[], ["--numeric-owner"]]) {
    const out = join(dir, `out${flags.join("")}`);
    const run = extract(archive, out, flags);
    assert.equal(run.status, 0, run.stderr);
    for (const [p, uid, gid] of [["nameless", 1234, 5678], ["d", 1234, 5678], ["rooted", 0, 0]] as const) {
      const st = lstatSync(join(out, p));
      assert.deepEqual([st.uid, st.gid], [uid, gid], `${p} with ${flags.join(" ") || "no flag"}`);
    }
  }
});

test("owners by name: a name maps to this system's id, --numeric-owner keeps the stored number", { skip: isRoot ? false : "only root can set owners" }, async (t) => {
  // The archive says: uid 4321 named "daemon" (uid 1 here), and uid 2222 named "no-such-user-reel" (unknown here).
  const dir = tempDir(t);
  const archive = join(dir, "names.reel");
  await writeArchive(archive, [
    { path: "d", type: EntryType.directory, uid: 4321, gid: 8765, userName: "daemon", groupName: "daemon" },
    { path: "d/by-name", data: "x", uid: 4321, gid: 8765, userName: "daemon", groupName: "daemon" },
    { path: "d/unknown-name", data: "y", uid: 2222, gid: 3333, userName: "no-such-user-reel", groupName: "no-such-group-reel" },
    { path: "d/link", type: EntryType.symlink, linkTarget: "by-name", uid: 4321, gid: 8765, userName: "daemon", groupName: "daemon" },
    { path: "d/fifo", type: EntryType.fifo, uid: 4321, gid: 8765, userName: "daemon", groupName: "daemon" },
  ]);
  const daemon = sh("id -u daemon && getent group daemon | cut -d: -f3").trim().split("\n").map(Number);
  const owners = (out: string): Record<string, number[]> =>
    Object.fromEntries(["d", "d/by-name", "d/unknown-name", "d/link", "d/fifo"].map((p) => [p, [lstatSync(join(out, p)).uid, lstatSync(join(out, p)).gid]]));
  const byName = extract(archive, join(dir, "by-name"));
  assert.equal(byName.status, 0, byName.stderr);
  assert.deepEqual(owners(join(dir, "by-name")), { "d": daemon, "d/by-name": daemon, "d/unknown-name": [2222, 3333], "d/link": daemon, "d/fifo": daemon });
  const numeric = extract(archive, join(dir, "numeric"), ["--numeric-owner"]);
  assert.equal(numeric.status, 0, numeric.stderr);
  assert.deepEqual(owners(join(dir, "numeric")), { "d": [4321, 8765], "d/by-name": [4321, 8765], "d/unknown-name": [2222, 3333], "d/link": [4321, 8765], "d/fifo": [4321, 8765] });
});
