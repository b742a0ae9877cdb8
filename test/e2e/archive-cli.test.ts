/**
 * The command line of `reel archive`: which paths go in (-C, stored as given, --exclude), which
 * come out (named members), pipes, listings, compression, encryption and how warnings read.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { assertSameTree, create, extract, hasCommand, isRoot, linesMatching, listing, reel, reelAsync, sh, shell, shellAsync, tempDir } from "./helpers.js";

const list = (archive: string): string[] => reel(["archive", "list", "-f", archive]).stdout.split("\n").filter((l) => l !== "");

test("--exclude: a pattern without a slash leaves out that name at every depth, an excluded directory is not entered", (t) => {
  const dir = tempDir(t);
  sh("mkdir -p src/a/keep src/a/cache/deep src/b/cache src/b/c && echo > src/a/keep/x.c && echo > src/a/keep/x.o && echo > src/a/cache/deep/y " +
    "&& echo > src/b/cache/z && echo > src/b/c/w.o && echo > src/b/c/cache.txt && echo > src/b/c/keep.c", dir);
  const archive = join(dir, "a.reel");
  create(archive, join(dir, "src"), ["."], ["--exclude", "*.o", "--exclude", "cache"]);
  assert.deepEqual(list(archive), [".", "a", "a/keep", "a/keep/x.c", "b", "b/c", "b/c/cache.txt", "b/c/keep.c"]);
  // A pattern with a slash matches the path (or a tail of it that starts at a component).
  const slashed = join(dir, "s.reel");
  create(slashed, join(dir, "src"), ["a", "b"], ["--exclude", "keep/x.c", "--exclude", "b/c"]);
  assert.deepEqual(list(slashed), ["a", "a/cache", "a/cache/deep", "a/cache/deep/y", "a/keep", "a/keep/x.o", "b", "b/cache", "b/cache/z"]);
});

test("--exclude also applies to the names given on the command line (as in tar: `--exclude '*.o' *`)", (t) => {
  const dir = tempDir(t);
  sh("mkdir -p src/d && echo > src/top.o && echo > src/top.c && echo > src/d/in.o", dir);
  const archive = join(dir, "a.reel");
  create(archive, join(dir, "src"), ["d", "top.c", "top.o"], ["--exclude", "*.o"]);
  assert.deepEqual(list(archive), ["d", "top.c"]);
});

test("paths are stored as given relative to -C: prefixes kept, ./ and leading / stripped (said once)", (t) => {
  const dir = tempDir(t);
  sh("mkdir -p src/dir1/sub/deeper src/dir1/other && echo 1 > src/dir1/sub/deeper/f && echo 2 > src/dir1/other/g && echo 3 > src/file2 && echo 4 > src/file3", dir);
  const archive = join(dir, "a.reel");
  const made = create(archive, join(dir, "src"), ["dir1/sub", "file2", "./file3", join(dir, "src/dir1/other")]);
  const abs = join(dir, "src/dir1/other").slice(1);
  assert.deepEqual(list(archive), ["dir1/sub", "dir1/sub/deeper", "dir1/sub/deeper/f", "file2", "file3", abs, `${abs}/g`]);
  assert.equal(linesMatching(made.stderr, /Removing leading "\/"/).length, 1, made.stderr);
  const out = join(dir, "out");
  assert.equal(extract(archive, out).status, 0);
  assert.equal(readFileSync(join(out, "dir1/sub/deeper/f"), "utf8"), "1\n");
  assert.equal(readFileSync(join(out, abs, "g"), "utf8"), "2\n");
  assert.deepEqual(listing(join(out, "dir1")).map((l) => l.split(" ")[0]), ["sub", "sub/deeper", "sub/deeper/f"]);
});

test("create: a symlink named on the command line is stored as a symlink, not followed; the archive never holds itself", (t) => {
  const dir = tempDir(t);
  sh("mkdir -p src/real && echo x > src/real/f && ln -s real src/link", dir);
  const archive = join(dir, "src/self.reel");
  const made = create(archive, join(dir, "src"), ["link", "."]);
  const entries = JSON.parse(reel(["archive", "list", "--json", "-f", archive]).stdout) as Array<{ path: string; type: string; linkTarget?: string }>;
  const links = entries.filter((e) => e.path === "link");
  assert.ok(links.length > 0);
  for (const e of links) assert.deepEqual([e.type, e.linkTarget], ["symlink", "real"]);
  assert.equal(entries.some((e) => e.path.startsWith("link/")), false, "the symlink was followed");
  assert.equal(entries.some((e) => e.path === "self.reel"), false, "the archive holds itself");
  assert.match(made.stderr, /"self\.reel": file is the archive; not archived/);
});

test("create: a path that cannot be read is named, the rest is archived, exit 1", (t) => {
  const dir = tempDir(t);
  sh("mkdir src && echo ok > src/good", dir);
  const archive = join(dir, "a.reel");
  const run = reel(["archive", "create", "-f", archive, "-C", join(dir, "src"), "good", "missing"]);
  assert.equal(run.status, 1);
  assert.match(run.stderr, /"missing": ENOENT/);
  assert.deepEqual(list(archive), ["good"]);
  assert.equal(reel(["archive", "verify", "-f", archive]).status, 0, "the archive of the rest is whole");
});

test("extract with names restores just those subtrees, from a file (index) and from a pipe (front to back)", (t) => {
  const dir = tempDir(t);
  sh("mkdir -p src/a/b src/a/bc src/c && echo 1 > src/a/b/one && echo 2 > src/a/two && echo 3 > src/c/three && echo 4 > src/a/bc/four && echo 5 > src/a/b.txt", dir);
  const archive = join(dir, "a.reel");
  create(archive, join(dir, "src"), ["."]);
  const expected = ["a d", "a/b d", "a/b/one f", "c d", "c/three f"];
  const fromFile = reel(["archive", "extract", "-f", archive, "-C", join(dir, "file"), "a/b", "c/three"]);
  assert.equal(fromFile.status, 0, fromFile.stderr);
  assert.deepEqual(listing(join(dir, "file")).map((l) => l.split(" ").slice(0, 2).join(" ")), expected);
  const fromPipe = shell(`$REEL archive extract -f - -C pipe a/b c/three < a.reel`, { cwd: dir });
  assert.equal(fromPipe.status, 0, fromPipe.stderr);
  assert.deepEqual(listing(join(dir, "pipe")).map((l) => l.split(" ").slice(0, 2).join(" ")), expected);
  // A selected directory comes back with its own mode and time.
  assert.equal(lstatSync(join(dir, "file/a/b")).mtimeMs, lstatSync(join(dir, "src/a/b")).mtimeMs);
  for (const how of ["-f a.reel", "-f - < a.reel"]) {
    const missing = shell(`$REEL archive extract ${how} -C missing-${how.length} no/such a/two`, { cwd: dir });
    assert.equal(missing.status, 1, missing.stderr);
    assert.match(missing.stderr, /"no\/such": not found in archive/);
    assert.equal(readFileSync(join(dir, `missing-${how.length}/a/two`), "utf8"), "2\n", "the names that are there are still extracted");
  }
});

test("extract of a named hard link from a file brings its target's data along", (t) => {
  const dir = tempDir(t);
  sh("mkdir -p src/a src/z && echo data > src/a/first && ln src/a/first src/z/second", dir);
  const archive = join(dir, "a.reel");
  create(archive, join(dir, "src"), ["."]);
  const run = reel(["archive", "extract", "-f", archive, "-C", join(dir, "out"), "z/second"]);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(readFileSync(join(dir, "out/z/second"), "utf8"), "data\n");
  assert.equal(lstatSync(join(dir, "out/z/second")).ino, lstatSync(join(dir, "out/a/first")).ino);
  // From a pipe the target has gone by when the link comes: said clearly, exit 1.
  const piped = shell(`$REEL archive extract -f - -C pipe z/second < a.reel`, { cwd: dir });
  assert.equal(piped.status, 1);
  assert.match(piped.stderr, /"z\/second": hard link target "a\/first" was not extracted/);
});

test("-f - streams through real pipes: create | extract, create | list, create | verify", (t) => {
  const dir = tempDir(t);
  sh("mkdir -p src/d/e && head -c 3000000 /dev/urandom > src/d/r && echo hi > src/h && ln -s d src/l && ln src/h src/d/e/h2 && mkfifo src/p && touch -d @1600000000.5 src/h", dir);
  const piped = shell("set -o pipefail; $REEL archive create -f - -C src . | $REEL archive extract -f - -C out", { cwd: dir });
  assert.equal(piped.status, 0, piped.stderr);
  assertSameTree(join(dir, "src"), join(dir, "out"));
  const listed = shell("set -o pipefail; $REEL archive create -f - -C src . | $REEL archive list -f -", { cwd: dir });
  assert.equal(listed.status, 0, listed.stderr);
  assert.equal(listed.stdout, ".\nd\nd/e\nd/e/h2\nd/r\nh\nl\np\n");
  const verified = shell("set -o pipefail; $REEL archive create -f - -C src . | $REEL archive verify -f -", { cwd: dir });
  assert.equal(verified.status, 0, verified.stderr);
  assert.match(verified.stdout, /is intact: 8 entries/);
});

test("list --json and list -v describe each entry; the index and a front-to-back read agree", (t) => {
  const dir = tempDir(t);
  sh("mkdir -p src/d && printf hello > src/f && ln -s f src/l && ln src/f src/d/h && mkfifo src/p && chmod 640 src/p " +
    "&& touch -d @1612325106.5 src/f && touch -h -d @1612325106.000000001 src/l && touch -d @0 src/p && touch -d @1000000000 src/d", dir);
  writeFileSync(Buffer.concat([Buffer.from(join(dir, "src/bad-")), Buffer.from([0xff])]), "");
  if (isRoot) sh("mknod src/null c 1 3 && chown 1234:5678 src/f", dir);
  sh("chmod 4750 src/f && touch -d @1612325106.5 src/f", dir); // after chown, which clears setuid
  const archive = join(dir, "a.reel");
  create(archive, join(dir, "src"), ["f", "l", "d", "p"]);
  const json = JSON.parse(reel(["archive", "list", "--json", "-f", archive]).stdout) as Array<Record<string, unknown>>;
  const owner = isRoot ? { uid: 1234, gid: 5678, user: null, group: null } : { uid: process.getuid!(), gid: process.getgid!() };
  for (const [key, value] of Object.entries(owner)) assert.equal(json[0]![key], value, key);
  if (isRoot) assert.deepEqual([json[1]!["uid"], json[1]!["user"], json[1]!["group"]], [0, "root", "root"]);
  assert.deepEqual(
    json.map((e) => [e["path"], e["type"], e["size"], e["mode"], e["mtime"], e["linkTarget"]]),
    [
      ["f", "file", 5, 0o4750, "2021-02-03T04:05:06.500000000Z", undefined],
      ["l", "symlink", 0, 0o777, "2021-02-03T04:05:06.000000001Z", "f"],
      ["d", "directory", 0, 0o755, "2001-09-09T01:46:40.000000000Z", undefined],
      ["d/h", "hardlink", 5, 0o4750, "2021-02-03T04:05:06.500000000Z", "f"],
      ["p", "fifo", 0, 0o640, "1970-01-01T00:00:00.000000000Z", undefined],
    ],
  );
  const verbose = reel(["archive", "list", "-v", "-f", archive]).stdout.split("\n");
  const who = isRoot ? "1234/5678" : "\\S+/\\S+";
  assert.match(verbose[0]!, new RegExp(`^-rwsr-x--- ${who} +5 2021-02-03 04:05 f$`));
  assert.match(verbose[1]!, /^lrwxrwxrwx \S+\/\S+ +0 2021-02-03 04:05 l -> f$/);
  assert.match(verbose[2]!, /^drwxr-xr-x \S+\/\S+ +0 2001-09-09 01:46 d$/);
  assert.match(verbose[3]!, new RegExp(`^hrwsr-x--- ${who} +5 2021-02-03 04:05 d/h link to f$`));
  assert.match(verbose[4]!, /^prw-r----- \S+\/\S+ +0 1970-01-01 00:00 p$/);
  // A name that is not UTF-8 and a device: escaped for people, hex for programs.
  const whole = join(dir, "whole.reel");
  create(whole, join(dir, "src"), ["."]);
  const rows = JSON.parse(reel(["archive", "list", "--json", "-f", whole]).stdout) as Array<Record<string, unknown>>;
  assert.deepEqual(rows.find((e) => e["pathHex"] !== undefined), { ...rows.find((e) => e["pathHex"] !== undefined), path: "bad-\\xff", pathHex: Buffer.from("bad-\xff", "latin1").toString("hex") });
  if (isRoot) {
    assert.deepEqual(rows.find((e) => e["path"] === "null")?.["device"], { major: 1, minor: 3 });
    assert.match(reel(["archive", "list", "-v", "-f", whole]).stdout, /^crw-r--r-- root\/root +1,3 .* null$/m);
  }
  // The listing from the index (a file) and from a front-to-back read (a pipe) are the same.
  for (const flag of ["--json", "-v"]) {
    const viaFile = reel(["archive", "list", flag, "-f", whole]);
    const viaPipe = shell(`$REEL archive list ${flag} -f - < whole.reel`, { cwd: dir });
    assert.equal(viaPipe.stdout, viaFile.stdout);
  }
});

test("--compress zstd makes text smaller than --compress none; both extract to the same tree", (t) => {
  const dir = tempDir(t);
  sh("mkdir src && for i in $(seq 20000); do echo \"line $i of a text file that compresses well\"; done > src/text.txt && head -c 100000 /dev/urandom > src/random", dir);
  const plain = join(dir, "plain.reel"), packed = join(dir, "packed.reel");
  create(plain, join(dir, "src"), ["."], ["--compress", "none"]);
  create(packed, join(dir, "src"), ["."], ["--compress", "zstd"]);
  const plainSize = lstatSync(plain).size, packedSize = lstatSync(packed).size;
  assert.ok(plainSize > 900000, `the uncompressed archive is ${plainSize} bytes`);
  assert.ok(packedSize < plainSize / 3, `zstd: ${packedSize} bytes, none: ${plainSize} bytes`);
  for (const [name, archive] of [["plain", plain], ["packed", packed]] as const) {
    assert.equal(extract(archive, join(dir, name)).status, 0);
    assertSameTree(join(dir, "src"), join(dir, name));
  }
});

test("--encrypt: the passphrase opens it; a wrong or missing one extracts nothing and says so; names and data are not readable in the file", async (t) => {
  const dir = tempDir(t);
  sh("mkdir -p src/confidential-dir && for i in $(seq 3000); do echo \"line $i of the quarterly-figures document\"; done > src/confidential-dir/quarterly-figures.txt && ln -s confidential-dir/quarterly-figures.txt src/pointer-to-figures", dir);
  const env = { REEL_PASSPHRASE: "correct horse battery staple" };
  const sealed = join(dir, "sealed.reel");
  // Without compression, so that only the encryption can hide the text.
  create(sealed, join(dir, "src"), ["."], ["--encrypt", "--compress", "none"], env);
  const bytes = readFileSync(sealed);
  for (const secret of ["confidential-dir", "quarterly-figures", "pointer-to-figures", "line 17 of"]) {
    assert.equal(bytes.includes(Buffer.from(secret)), false, `"${secret}" is readable in the encrypted archive`);
  }
  const wrong = { REEL_PASSPHRASE: "correct horse battery stapler" }, none = { REEL_PASSPHRASE: "" };
  const [right, piped, wrongExtract, noneExtract, wrongList, noneList, wrongVerify, rightVerify] = await Promise.all([
    reelAsync(["archive", "extract", "-f", sealed, "-C", join(dir, "right")], { env }),
    shellAsync("set -o pipefail; $REEL archive create --encrypt -f - -C src . | $REEL archive extract -f - -C piped", { cwd: dir, env }),
    reelAsync(["archive", "extract", "-f", sealed, "-C", join(dir, "wrong")], { env: wrong }),
    reelAsync(["archive", "extract", "-f", sealed, "-C", join(dir, "none")], { env: none }),
    reelAsync(["archive", "list", "-f", sealed], { env: wrong }),
    reelAsync(["archive", "list", "-f", sealed], { env: none }),
    reelAsync(["archive", "verify", "-f", sealed], { env: wrong }),
    reelAsync(["archive", "verify", "-f", sealed], { env }),
  ]);
  assert.equal(right.status, 0, right.stderr);
  assertSameTree(join(dir, "src"), join(dir, "right"));
  assert.equal(piped.status, 0, piped.stderr);
  assertSameTree(join(dir, "src"), join(dir, "piped"));
  for (const [name, run] of [["wrong", wrongExtract], ["none", noneExtract]] as const) {
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, name === "wrong" ? /wrong passphrase/ : /set REEL_PASSPHRASE/);
    assert.deepEqual(listing(join(dir, name)), [], "something was extracted without the right passphrase");
  }
  for (const run of [wrongList, noneList]) {
    assert.equal(run.status, 2, run.stderr);
    assert.equal(run.stdout, "", "names were listed without the right passphrase");
  }
  assert.equal(wrongVerify.status, 2);
  assert.match(wrongVerify.stderr, /wrong passphrase/);
  assert.equal(rightVerify.status, 0, rightVerify.stderr);
});

test("--encrypt hides the names given on the command line too", (t) => {
  const dir = tempDir(t);
  sh("mkdir -p src/secret-project && echo x > src/secret-project/f", dir);
  const sealed = join(dir, "sealed.reel");
  create(sealed, join(dir, "src"), ["secret-project"], ["--encrypt"], { REEL_PASSPHRASE: "pw" });
  assert.equal(readFileSync(sealed).includes(Buffer.from("secret-project")), false, "a file name is readable in the encrypted archive");
});

test("extract replaces what is in the way and leaves everything else in the target alone", (t) => {
  const dir = tempDir(t);
  sh("mkdir -p src/d && echo new > src/f && echo new > src/d/g && echo new > src/was-dir && ln src/f src/d/f-link", dir);
  const archive = join(dir, "a.reel");
  create(archive, join(dir, "src"), ["f", "d", "was-dir"]);
  const out = join(dir, "out");
  sh("mkdir -p out/d out/was-dir && echo old > out/f && echo old-but-longer > out/d/g && echo mine > out/d/mine && echo mine > out/other", dir);
  const run = extract(archive, out);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(readFileSync(join(out, "f"), "utf8"), "new\n");
  assert.equal(readFileSync(join(out, "d/g"), "utf8"), "new\n");
  assert.equal(readFileSync(join(out, "was-dir"), "utf8"), "new\n", "an empty directory in the way of a file is replaced");
  assert.equal(readFileSync(join(out, "d/mine"), "utf8"), "mine\n");
  assert.equal(readFileSync(join(out, "other"), "utf8"), "mine\n");
  // Again, over the first extraction: every file is in the way now, hard links included.
  for (const threads of ["0", "2"]) {
    const again = extract(archive, out, [], { REEL_THREADS: threads });
    assert.equal(again.status, 0, again.stderr);
    assert.equal(lstatSync(join(out, "d/f-link")).ino, lstatSync(join(out, "f")).ino);
    assert.equal(readFileSync(join(out, "d/f-link"), "utf8"), "new\n");
  }
});

test("as a user, what cannot be restored is said once per kind, not once per file", { skip: isRoot && hasCommand("setpriv") && hasCommand("setfattr") ? false : "needs root (to make devices and trusted xattrs) and setpriv (to extract as nobody)" }, (t) => {
  const dir = tempDir(t);
  sh("mkdir src && mknod src/d1 c 1 3 && mknod src/d2 c 1 5 && mknod src/d3 b 7 1 && for f in a b c; do echo $f > src/$f; setfattr -n trusted.t -v 1 src/$f; done && chown 1234 src/a src/b", dir);
  const archive = join(dir, "a.reel");
  create(archive, join(dir, "src"), ["."]);
  sh(`chmod 755 ${dir} && chmod 644 ${archive} && mkdir out && chown 65534:65534 out`, dir);
  const run = shell(`setpriv --reuid=65534 --regid=65534 --clear-groups $REEL archive extract -f ${archive} -C out`, { cwd: dir });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(linesMatching(run.stderr, /Device nodes/).length, 1, run.stderr);
  assert.match(run.stderr, /Device nodes are restored only by root; skipped \(first: "d1"\)/);
  assert.equal(linesMatching(run.stderr, /Owners and groups/).length, 1, run.stderr);
  assert.equal(linesMatching(run.stderr, /trusted\.t/).length, 1, run.stderr);
  assert.equal(run.stderr.split("\n").filter((l) => l !== "").length, 3, run.stderr);
  assert.equal(readFileSync(join(dir, "out/c"), "utf8"), "c\n");
  assert.deepEqual(listing(join(dir, "out")).map((l) => l.split(" ")[0]), ["a", "b", "c"]);
});

test("a big random file round trip through zstd (incompressible chunks stored as they are)", (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, "src"));
  writeFileSync(join(dir, "src/r"), randomBytes(5 * 1024 * 1024 + 17));
  const archive = join(dir, "a.reel");
  create(archive, join(dir, "src"), ["."]);
  assert.ok(lstatSync(archive).size < 5 * 1024 * 1024 + 256 * 1024, `${lstatSync(archive).size} bytes: compression cost space`);
  assert.equal(extract(archive, join(dir, "out")).status, 0);
  assertSameTree(join(dir, "src"), join(dir, "out"));
});

test("create to a file: written around the page cache (O_DIRECT) where the file system takes it, through it with REEL_NO_DIRECT_IO=1; the same tree comes back", (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, "src/d"), { recursive: true });
  // Sizes around block and batch boundaries; more than one 4 MiB write; the sealing thread and the calling thread pack.
  for (const size of [0, 1, 4095, 65536, 65537, 3 * 1024 * 1024 + 7, 9 * 1024 * 1024]) writeFileSync(join(dir, "src/d", `f${size}`), randomBytes(size));
  const runs: Array<[string, string, Record<string, string>]> = [
    ["direct", join(dir, "a.reel"), {}],
    ["direct, one thread", join(dir, "b.reel"), { REEL_THREADS: "0" }],
    ["through the cache", join(dir, "c.reel"), { REEL_NO_DIRECT_IO: "1" }],
  ];
  // tmpfs: O_DIRECT taken on recent kernels, refused (EINVAL) on older ones; either way the archive is whole.
  if (existsSync("/dev/shm")) {
    const shm = mkdtempSync("/dev/shm/reel-e2e-");
    t.after(() => rmSync(shm, { recursive: true, force: true }));
    runs.push(["tmpfs", join(shm, "d.reel"), {}]);
  }
  for (const [what, archive, env] of runs) {
    create(archive, join(dir, "src"), ["."], ["--compress", "none", "--block-size", "65536"], env);
    assert.equal(statSync(archive).size % 65536, 0, what);
    assert.equal(reel(["archive", "verify", "-f", archive]).status, 0, what);
    const out = join(dir, `out-${what}`);
    mkdirSync(out);
    assert.equal(extract(archive, out).status, 0, what);
    assertSameTree(join(dir, "src"), out);
  }
});
