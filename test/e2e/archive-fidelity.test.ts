import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { closeSync, linkSync, lstatSync, mkdirSync, openSync, readFileSync, symlinkSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { attributes, hasCommand, isRoot, reel, shell, tempDir, verifyTrees } from "./cli.js";

const MiB = 1024 * 1024;

/** Builds a tree with every kind of object and metadata the archive must keep. */
function buildTree(src: string): void {
  const sizes = [0, 1, 4095, 4096, MiB - 1, MiB, MiB + 1, 3.5 * MiB];
  mkdirSync(join(src, "sizes"), { recursive: true });
  for (const size of sizes) writeFileSync(join(src, "sizes", `f${size}`), randomBytes(size));
  mkdirSync(join(src, "empty-dir"));
  mkdirSync(join(src, "links/target-dir"), { recursive: true });
  symlinkSync("../sizes/f1", join(src, "links/relative"));
  symlinkSync("/etc/hostname", join(src, "links/absolute"));
  symlinkSync("nowhere/at all", join(src, "links/dangling"));
  symlinkSync("target-dir", join(src, "links/to-dir"));
  writeFileSync(join(src, "hard-a"), "three names, one inode\n");
  linkSync(join(src, "hard-a"), join(src, "hard-b"));
  linkSync(join(src, "hard-a"), join(src, "links/hard-c"));
  // A 5 GiB sparse file: data at 0, at 1 GiB and just past 4 GiB, holes elsewhere.
  const fd = openSync(join(src, "sparse.img"), "w");
  writeSync(fd, Buffer.from("start"), 0, 5, 0);
  writeSync(fd, randomBytes(70000), 0, 70000, 1024 * MiB);
  writeSync(fd, Buffer.from("end"), 0, 3, 4096 * MiB + 1);
  closeSync(fd);
  shell(`truncate -s 5G sparse.img && mkfifo fifo`, { cwd: src });
  if (isRoot) shell("mknod null-dev c 1 3 && mknod loop-dev b 7 200", { cwd: src });
  writeFileSync(Buffer.concat([Buffer.from(join(src, "latin-")), Buffer.from([0xe9, 0xff])]), "bytes\n");
  writeFileSync(join(src, "new\nline, space and \\ backslash"), "odd name\n");
  writeFileSync(join(src, "n".repeat(255)), "255-byte name\n");
  writeFileSync(join(src, "setuid"), "x");
  writeFileSync(join(src, "setgid"), "x");
  mkdirSync(join(src, "sticky"));
  shell("chmod 4755 setuid && chmod 2755 setgid && chmod 1777 sticky && chmod 0600 sizes/f1", { cwd: src });
  if (isRoot) shell("chown 1234:5678 sizes/f4096 && chown -h 4321:8765 links/relative && chown root:root hard-a", { cwd: src });
  if (hasCommand("setfattr")) {
    shell("setfattr -n user.comment -v 'kept by reel' sizes/f1 && setfattr -n user.bin -v 0x00ff00 empty-dir", { cwd: src });
    if (isRoot) shell("setfattr -n trusted.reel -v trusted-value sizes/f4095 && setfattr -n security.reel -v sec-value sizes/f4095", { cwd: src });
  }
  if (hasCommand("setfacl")) shell("setfacl -m u:1234:rw,g:5678:r sizes/f0 && setfacl -d -m u:1234:rwx empty-dir", { cwd: src });
  // Nanosecond times, directories last (their contents changed them).
  shell(
    `touch -d '2020-01-02 03:04:05.123456789' sizes/* hard-a setuid && touch -h -d '2019-05-06 07:08:09.987654321' links/relative links/dangling ` +
      `&& find . -type d -exec touch -d '2018-03-04 05:06:07.000000001' {} +`,
    { cwd: src },
  );
}

test("reel archive create + extract restores every kind of object and its metadata byte for byte", (t) => {
  const dir = tempDir(t);
  const src = join(dir, "src");
  mkdirSync(src);
  buildTree(src);
  for (const compress of ["none", "zstd"]) {
    const archive = join(dir, `tree-${compress}.reel`);
    const created = reel(["archive", "create", "--compress", compress, "-f", archive, "-C", src, "."]);
    assert.equal(created.status, 0, created.stderr);
    const out = join(dir, `out-${compress}`);
    const extracted = reel(["archive", "extract", "-f", archive, "-C", out]);
    assert.equal(extracted.status, 0, extracted.stderr);
    const verdict = verifyTrees(src, out);
    if (verdict !== null) assert.equal(verdict.status, 0, verdict.stdout + verdict.stderr);
    // What verify-tree does not look at: hard links share an inode, holes stay holes, devices, xattrs/ACLs, the deep leaf.
    assert.equal(lstatSync(join(out, "hard-a")).ino, lstatSync(join(out, "links/hard-c")).ino);
    assert.equal(lstatSync(join(out, "hard-b")).nlink, 3);
    const sparse = lstatSync(join(out, "sparse.img"));
    assert.equal(sparse.size, 5 * 1024 * MiB);
    assert.ok(sparse.blocks * 512 < 4 * MiB, `sparse file allocated ${sparse.blocks * 512} bytes`);
    assert.ok(lstatSync(join(out, "fifo")).isFIFO());
    assert.ok(lstatSync(join(out, "links/to-dir")).isSymbolicLink(), "a symlink to a directory comes back as a symlink");
    if (isRoot) {
      assert.ok(lstatSync(join(out, "null-dev")).isCharacterDevice());
      assert.equal(lstatSync(join(out, "loop-dev")).rdev, lstatSync(join(src, "loop-dev")).rdev);
      assert.equal(lstatSync(join(out, "sizes/f4096")).uid, 1234);
      assert.equal(lstatSync(join(out, "links/relative")).gid, 8765);
    }
    assert.equal(lstatSync(join(out, "setuid")).mode & 0o7777, 0o4755);
    assert.equal(lstatSync(join(out, "sticky")).mode & 0o7777, 0o1777);
    assert.equal(lstatSync(join(out, "empty-dir"), { bigint: true }).mtimeNs, lstatSync(join(src, "empty-dir"), { bigint: true }).mtimeNs);
    assert.equal(lstatSync(join(out, "links/dangling"), { bigint: true }).mtimeNs, 1557126489987654321n);
    if (hasCommand("getfattr")) assert.equal(attributes(out), attributes(src));
  }
});

test("paths deeper than 4 KiB survive create and extract (PATH_MAX does not apply)", (t) => {
  const dir = tempDir(t);
  const part = "d".repeat(200);
  // Made step by step: an absolute path that long fails with ENAMETOOLONG.
  const made = shell(`mkdir src && cd src && for i in $(seq 25); do mkdir ${part} && cd ${part} || exit 1; done; echo deep > leaf`, { cwd: dir });
  assert.equal(made.status, 0, made.stderr);
  const archive = join(dir, "deep.reel");
  assert.equal(reel(["archive", "create", "-f", archive, "-C", join(dir, "src"), "."]).status, 0);
  const paths = reel(["archive", "list", "-f", archive]).stdout.trim().split("\n");
  assert.equal(paths.at(-1), `${Array(25).fill(part).join("/")}/leaf`);
  const extracted = reel(["archive", "extract", "-f", archive, "-C", join(dir, "out")]);
  assert.equal(extracted.status, 0, extracted.stderr.slice(0, 500));
  const leaf = shell(`for i in $(seq 25); do cd ${part} || exit 1; done && cat leaf`, { cwd: join(dir, "out") });
  assert.equal(leaf.stdout, "deep\n", leaf.stderr.slice(0, 300));
});

test("paths are stored as given, relative to -C, and --exclude leaves out names and whole subtrees", (t) => {
  const dir = tempDir(t);
  shell("mkdir -p src/a/keep src/a/cache/deep src/b && echo 1 > src/a/keep/x.c && echo 2 > src/a/keep/x.o && echo 3 > src/a/cache/deep/y && echo 4 > src/b/z", { cwd: dir });
  const archive = join(dir, "a.reel");
  assert.equal(reel(["archive", "create", "-f", archive, "-C", join(dir, "src"), "--exclude", "*.o", "--exclude", "cache", "a", "b/z"]).status, 0);
  const listed = reel(["archive", "list", "-f", archive]).stdout.trim().split("\n");
  assert.deepEqual(listed, ["a", "a/keep", "a/keep/x.c", "b/z"]);
});

test("-f - streams through a pipe both ways", (t) => {
  const dir = tempDir(t);
  shell("mkdir -p src/d && head -c 3000000 /dev/urandom > src/d/r && echo hi > src/h", { cwd: dir });
  const piped = shell(`$REEL archive create -f - -C src . | $REEL archive extract -f - -C out`, { cwd: dir });
  assert.equal(piped.status, 0, piped.stderr);
  assert.deepEqual(readFileSync(join(dir, "out/d/r")), readFileSync(join(dir, "src/d/r")));
  const listed = shell(`$REEL archive create -f - -C src . | $REEL archive list -f -`, { cwd: dir });
  assert.equal(listed.stdout, ".\nd\nd/r\nh\n");
});

test("extract with named paths restores just those subtrees, and says which names are not in the archive", (t) => {
  const dir = tempDir(t);
  shell("mkdir -p src/a/b src/c && echo 1 > src/a/b/one && echo 2 > src/a/two && echo 3 > src/c/three", { cwd: dir });
  const archive = join(dir, "a.reel");
  reel(["archive", "create", "-f", archive, "-C", join(dir, "src"), "."]);
  const some = reel(["archive", "extract", "-f", archive, "-C", join(dir, "out"), "a/b"]);
  assert.equal(some.status, 0, some.stderr);
  assert.equal(readFileSync(join(dir, "out/a/b/one"), "utf8"), "1\n");
  assert.equal(shell("find out -type f | sort", { cwd: dir }).stdout, "out/a/b/one\n");
  const missing = reel(["archive", "extract", "-f", archive, "-C", join(dir, "out2"), "no/such"]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /"no\/such": not found in archive/);
});

test("list --json and list -v describe each entry", (t) => {
  const dir = tempDir(t);
  shell("mkdir src && echo hello > src/f && ln -s f src/l && touch -d '2021-02-03 04:05:06.5' src/f", { cwd: dir });
  const archive = join(dir, "a.reel");
  reel(["archive", "create", "-f", archive, "-C", join(dir, "src"), "f", "l"]);
  const json = JSON.parse(reel(["archive", "list", "--json", "-f", archive]).stdout) as Array<Record<string, unknown>>;
  assert.deepEqual(json.map((e) => [e["path"], e["type"], e["size"], e["linkTarget"]]), [["f", "file", 6, undefined], ["l", "symlink", 0, "f"]]);
  assert.equal(json[0]!["mtime"], "2021-02-03T04:05:06.500000000Z");
  assert.equal(typeof json[0]!["mode"], "number");
  assert.match(reel(["archive", "list", "-v", "-f", archive]).stdout, /^-rw-r--r-- \S+\/\S+ +6 2021-02-03 04:05 f\nlrwxrwxrwx .* l -> f\n$/);
});

test("zstd makes text smaller than --compress none, and --encrypt hides names and data behind the passphrase", (t) => {
  const dir = tempDir(t);
  shell("mkdir src && for i in $(seq 2000); do echo \"line $i of a secret-name document\"; done > src/secret-name.txt", { cwd: dir });
  const plain = join(dir, "plain.reel"), packed = join(dir, "packed.reel"), sealed = join(dir, "sealed.reel");
  reel(["archive", "create", "--compress", "none", "--block-size", "4096", "-f", plain, "-C", join(dir, "src"), "."]);
  reel(["archive", "create", "--block-size", "4096", "-f", packed, "-C", join(dir, "src"), "."]);
  assert.ok(readFileSync(packed).length < readFileSync(plain).length);
  const env = { REEL_PASSPHRASE: "correct horse" };
  assert.equal(reel(["archive", "create", "--encrypt", "-f", sealed, "-C", join(dir, "src"), "."], { env }).status, 0);
  const bytes = readFileSync(sealed);
  assert.equal(bytes.includes(Buffer.from("secret-name")), false, "a file name is visible in the encrypted archive");
  assert.equal(bytes.includes(Buffer.from("line 17 of")), false, "file data is visible in the encrypted archive");
  const wrong = reel(["archive", "extract", "-f", sealed, "-C", join(dir, "wrong")], { env: { REEL_PASSPHRASE: "wrong" } });
  assert.equal(wrong.status, 2);
  assert.match(wrong.stderr, /wrong passphrase/);
  assert.equal(shell("find wrong -type f 2>/dev/null | wc -l", { cwd: dir }).stdout.trim(), "0");
  assert.equal(reel(["archive", "extract", "-f", sealed, "-C", join(dir, "right")], { env }).status, 0);
  assert.deepEqual(readFileSync(join(dir, "right/secret-name.txt")), readFileSync(join(dir, "src/secret-name.txt")));
  assert.equal(reel(["archive", "verify", "-f", sealed], { env }).status, 0);
});

test("as non-root, device nodes that cannot be restored are reported in one line, not one per node", { skip: isRoot && hasCommand("setpriv") ? false : "needs root (to make devices) and setpriv (to extract as nobody)" }, (t) => {
  const dir = tempDir(t);
  shell("mkdir src && mknod src/d1 c 1 3 && mknod src/d2 c 1 5 && mknod src/d3 b 7 1 && echo ok > src/f", { cwd: dir });
  const archive = join(dir, "a.reel");
  reel(["archive", "create", "-f", archive, "-C", join(dir, "src"), "."]);
  shell(`chmod 755 ${dir} && chmod 644 ${archive} && mkdir out && chown 65534:65534 out`, { cwd: dir });
  const run = shell(`setpriv --reuid=65534 --regid=65534 --clear-groups $REEL archive extract -f ${archive} -C out`, { cwd: dir });
  assert.equal(run.stderr.split("\n").filter((l) => /Device nodes/.test(l)).length, 1, run.stderr);
  assert.equal(readFileSync(join(dir, "out/f"), "utf8"), "ok\n");
});
