import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { decodeScan, posix, type ScannedEntry } from "./posix.js";

const isRoot = process.getuid?.() === 0;
const MiB = 1024 * 1024;

/** A fresh directory under os.tmpdir(), removed when the test ends. */
function tempDir(t: TestContext): string {
  const dir = fs.mkdtempSync(join(tmpdir(), "reel-posix-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** dir/name as raw bytes; name may be bytes that are not UTF-8. */
function bpath(dir: string, name: string | Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(dir + "/"), typeof name === "string" ? Buffer.from(name) : name]);
}

const NON_UTF8 = Buffer.from([0x61, 0xff, 0x62]);

interface SysError extends Error {
  code: string;
  errno: number;
  syscall: string;
  path?: string;
}

function sysError(code: string, syscall: string, path?: string): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof Error, "expected an Error");
    const err = e as SysError;
    assert.equal(err.code, code);
    assert.equal(err.syscall, syscall);
    assert.equal(typeof err.errno, "number");
    assert.ok(err.errno < 0, "errno is negative like Node's");
    if (path !== undefined) {
      assert.equal(err.path, path);
      assert.ok(err.message.startsWith(`${code}: `), err.message);
      assert.ok(err.message.endsWith(`, ${syscall} '${path}'`), err.message);
    }
    return true;
  };
}

function writeFile(path: string | Buffer, data: string | Buffer = "x"): void {
  fs.writeFileSync(path, data);
}

test("lutimens sets exact nanoseconds, including before 1970", (t) => {
  const dir = tempDir(t);
  const p = join(dir, "f");
  writeFile(p);
  posix.lutimens(Buffer.from(p), 1600000000, 987654321, 1700000000, 123456789);
  let st = fs.lstatSync(p, { bigint: true });
  assert.equal(st.mtimeNs, 1700000000123456789n);
  assert.equal(st.atimeNs, 1600000000987654321n);

  posix.lutimens(Buffer.from(p), -1, 999999999, -1234567890, 500);
  st = fs.lstatSync(p, { bigint: true });
  assert.equal(st.mtimeNs, -1234567890n * 1000000000n + 500n);
  assert.equal(st.atimeNs, -1n);
  assert.ok(fs.lstatSync(p).mtime.getTime() < 0);
});

test("lutimens changes a symlink itself, not its target", (t) => {
  const dir = tempDir(t);
  const target = join(dir, "target");
  const link = join(dir, "link");
  writeFile(target);
  fs.symlinkSync("target", link);
  const before = fs.statSync(target, { bigint: true }).mtimeNs;
  posix.lutimens(Buffer.from(link), 1000, 1, 2000, 2);
  assert.equal(fs.lstatSync(link, { bigint: true }).mtimeNs, 2000000000002n);
  assert.equal(fs.statSync(target, { bigint: true }).mtimeNs, before);

  // A dangling symlink is fine too: nothing is followed.
  const dangling = join(dir, "dangling");
  fs.symlinkSync("nowhere", dangling);
  posix.lutimens(Buffer.from(dangling), 5, 6, 7, 8);
  assert.equal(fs.lstatSync(dangling, { bigint: true }).mtimeNs, 7000000008n);
});

test("lutimens on a non-UTF-8 name", (t) => {
  const dir = tempDir(t);
  const p = bpath(dir, NON_UTF8);
  writeFile(p);
  posix.lutimens(p, 1, 2, 1700000000, 123456789);
  assert.equal(fs.lstatSync(p, { bigint: true }).mtimeNs, 1700000000123456789n);
});

test("errors look like Node's", (t) => {
  const dir = tempDir(t);
  const missing = join(dir, "missing");
  assert.throws(() => posix.lutimens(Buffer.from(missing), 0, 0, 0, 0), sysError("ENOENT", "lutimens", missing));
  try {
    posix.lutimens(Buffer.from(missing), 0, 0, 0, 0);
  } catch (e) {
    const err = e as SysError;
    assert.equal(err.message, `ENOENT: no such file or directory, lutimens '${missing}'`);
    assert.equal(err.errno, -2);
  }
  // Node's own error for comparison: same code, errno and message wording.
  let nodeErr: SysError | undefined;
  try {
    fs.lstatSync(missing);
  } catch (e) {
    nodeErr = e as SysError;
  }
  assert.ok(nodeErr);
  assert.equal(nodeErr.message, `ENOENT: no such file or directory, lstat '${missing}'`);
  assert.equal(nodeErr.errno, -2);

  // A path that is not UTF-8 is decoded lossily for the message only.
  const bad = bpath(dir, Buffer.from([0x78, 0xfe]));
  assert.throws(
    () => posix.lutimens(bad, 0, 0, 0, 0),
    sysError("ENOENT", "lutimens", `${dir}/x\ufffd`),
  );
});

test("bad arguments throw TypeError / RangeError, never crash", (t) => {
  const dir = tempDir(t);
  const p = Buffer.from(join(dir, "f"));
  writeFile(p);
  const anyPosix = posix as unknown as Record<string, (...args: unknown[]) => unknown>;
  const call = (name: string, ...args: unknown[]) => () => anyPosix[name]!(...args);
  assert.throws(call("lutimens", "string path", 0, 0, 0, 0), TypeError);
  assert.throws(call("lutimens", p), TypeError);
  assert.throws(call("lutimens"), TypeError);
  assert.throws(call("lutimens", p, "0", 0, 0, 0), TypeError);
  assert.throws(call("lutimens", p, 0, 1e9, 0, 0), RangeError);
  assert.throws(call("lutimens", p, 0, -1, 0, 0), RangeError);
  assert.throws(call("lutimens", p, 0.5, 0, 0, 0), RangeError);
  assert.throws(call("lutimens", p, Number.NaN, 0, 0, 0), RangeError);
  assert.throws(call("lutimens", Buffer.from("a\0b"), 0, 0, 0, 0), TypeError);
  assert.throws(call("lutimens", new Uint16Array(4), 0, 0, 0, 0), TypeError);
  assert.throws(call("futimens", -1, 0, 0, 0, 0), RangeError);
  assert.throws(call("mknod", p, -1, 0, 0), RangeError);
  assert.throws(call("lgetxattr", p, "user.reel"), TypeError);
  assert.throws(call("lsetxattr", p, Buffer.from("user.reel"), "v"), TypeError);
  assert.throws(call("seekData", 0, -1), RangeError);
  assert.throws(call("userName", "root"), TypeError);
  assert.throws(call("userId", 0), TypeError);
  assert.throws(call("scanDir", null), TypeError);
  assert.throws(call("readFileInto", p, Buffer.alloc(4), 2, 3), RangeError);
  assert.throws(call("readFileInto", p, Buffer.alloc(4), 5, 0), RangeError);
  assert.throws(call("readFileInto", p, [0, 0], 0, 1), TypeError);
  assert.throws(call("writeFileAt", Buffer.from(join(dir, "g")), Buffer.alloc(1), 0o644, 0, 0, 1, 0, 0, 0, 0), TypeError);
  assert.equal(fs.existsSync(join(dir, "g")), false, "validation happens before the create");
  // A plain Uint8Array works where a Buffer is expected.
  call("lutimens", new Uint8Array(p), 0, 0, 0, 0)();
});

test("futimens sets exact times through a descriptor", (t) => {
  const dir = tempDir(t);
  const p = join(dir, "f");
  writeFile(p);
  const fd = fs.openSync(p, "r+");
  try {
    posix.futimens(fd, 1600000000, 1, 1700000000, 123456789);
    posix.futimens(fd, 1600000000, 1, 1700000000, 123456789);
  } finally {
    fs.closeSync(fd);
  }
  const st = fs.lstatSync(p, { bigint: true });
  assert.equal(st.mtimeNs, 1700000000123456789n);
  assert.equal(st.atimeNs, 1600000000000000001n);
  assert.throws(() => posix.futimens(fd, 0, 0, 0, 0), sysError("EBADF", "futimens"));
});

test("mknod makes a FIFO", (t) => {
  const dir = tempDir(t);
  const p = join(dir, "fifo");
  posix.mknod(Buffer.from(p), fs.constants.S_IFIFO | 0o600, 0, 0);
  const st = fs.lstatSync(p);
  assert.ok(st.isFIFO());
  assert.equal(st.mode & 0o7777, 0o600);
  assert.throws(() => posix.mknod(Buffer.from(p), fs.constants.S_IFIFO | 0o600, 0, 0), sysError("EEXIST", "mknod", p));
});

test("mknod makes a character device 1:3", (t) => {
  if (!isRoot) {
    t.skip("needs root");
    return;
  }
  const dir = tempDir(t);
  const p = join(dir, "null");
  posix.mknod(Buffer.from(p), fs.constants.S_IFCHR | 0o644, 1, 3);
  const st = fs.lstatSync(p);
  assert.ok(st.isCharacterDevice());
  assert.equal(st.rdev, fs.lstatSync("/dev/null").rdev);
  assert.equal(st.rdev, (1 << 8) | 3);
  const [entry] = decodeScan(posix.scanDir(Buffer.from(dir)));
  assert.ok(entry);
  assert.equal(entry.rdev, st.rdev);
});

/** Whether the filesystem of dir takes user.* xattrs. */
function xattrsSupported(dir: string): boolean {
  const probe = join(dir, ".probe");
  writeFile(probe);
  try {
    posix.lsetxattr(Buffer.from(probe), Buffer.from("user.probe"), Buffer.from("1"));
    return true;
  } catch (e) {
    if ((e as SysError).code === "ENOTSUP") return false;
    throw e;
  } finally {
    fs.rmSync(probe);
  }
}

test("xattr round trip", (t) => {
  const dir = tempDir(t);
  if (!xattrsSupported(dir)) {
    t.skip(`the filesystem of ${tmpdir()} has no user xattrs (ENOTSUP)`);
    return;
  }
  const p = bpath(dir, NON_UTF8);
  writeFile(p);
  const before = posix.llistxattr(p).map((b) => b.toString("latin1"));
  assert.ok(!before.includes("user.reel"));

  const value = Buffer.from([0, 1, 2, 0xff, 0, 0x80]);
  posix.lsetxattr(p, Buffer.from("user.reel"), value);
  posix.lsetxattr(p, Buffer.from("user.empty"), Buffer.alloc(0));
  const names = posix.llistxattr(p);
  assert.ok(names.every((n) => Buffer.isBuffer(n) && !n.includes(0)));
  const strings = names.map((b) => b.toString("latin1"));
  assert.ok(strings.includes("user.reel"), strings.join(","));
  assert.ok(strings.includes("user.empty"), strings.join(","));
  assert.deepEqual(posix.lgetxattr(p, Buffer.from("user.reel")), value);
  assert.deepEqual(posix.lgetxattr(p, Buffer.from("user.empty")), Buffer.alloc(0));

  // Replace with a larger value.
  const big = Buffer.alloc(3000, 7);
  posix.lsetxattr(p, Buffer.from("user.reel"), big);
  assert.deepEqual(posix.lgetxattr(p, Buffer.from("user.reel")), big);

  assert.throws(() => posix.lgetxattr(p, Buffer.from("user.absent")), sysError("ENODATA", "lgetxattr"));
  const missing = join(dir, "missing");
  assert.throws(() => posix.llistxattr(Buffer.from(missing)), sysError("ENOENT", "llistxattr", missing));
  assert.throws(
    () => posix.lsetxattr(Buffer.from(missing), Buffer.from("user.reel"), value),
    sysError("ENOENT", "lsetxattr", missing),
  );

  // l*: a symlink's own attributes, not its target's (user.* on symlinks is refused by Linux).
  const link = join(dir, "link");
  fs.symlinkSync(p, link);
  assert.ok(!posix.llistxattr(Buffer.from(link)).some((n) => n.toString() === "user.reel"));
  assert.throws(() => posix.lgetxattr(Buffer.from(link), Buffer.from("user.reel")), sysError("ENODATA", "lgetxattr"));
});

test("seekData / seekHole on a sparse file", (t) => {
  const dir = tempDir(t);
  const p = join(dir, "sparse");
  const fd = fs.openSync(p, "w+");
  t.after(() => fs.closeSync(fd));
  fs.ftruncateSync(fd, 2 * MiB);
  fs.writeSync(fd, Buffer.alloc(4096, 0xab), 0, 4096, MiB);
  fs.fsyncSync(fd);

  const st = fs.fstatSync(fd);
  assert.equal(st.size, 2 * MiB);
  assert.ok(st.blocks * 512 < st.size, `st_blocks ${st.blocks} shows the holes`);
  assert.ok(st.blocks >= 8);

  let probe: number;
  try {
    probe = posix.seekData(fd, 0);
  } catch (e) {
    if ((e as SysError).code === "EINVAL") {
      t.skip("the filesystem has no SEEK_DATA");
      return;
    }
    throw e;
  }
  assert.equal(probe, MiB);
  assert.equal(posix.seekHole(fd, 0), 0);
  assert.equal(posix.seekData(fd, MiB + 100), MiB + 100);
  assert.equal(posix.seekHole(fd, MiB), MiB + 4096);
  assert.equal(posix.seekData(fd, MiB + 4096), -1, "no data after the last extent");
  assert.equal(posix.seekHole(fd, MiB + 4096), MiB + 4096);
  assert.equal(posix.seekHole(fd, 2 * MiB - 1), 2 * MiB - 1);
  assert.equal(posix.seekHole(fd, 2 * MiB), -1, "at EOF");
  assert.equal(posix.seekData(fd, 3 * MiB), -1, "past EOF");

  assert.throws(() => posix.seekData(1 << 30, 0), sysError("EBADF", "lseek"));
  const [r, w] = pipe();
  try {
    assert.throws(() => posix.seekHole(r, 0), sysError("ESPIPE", "lseek"));
  } finally {
    fs.closeSync(r);
    fs.closeSync(w);
  }
});

/** Two descriptors of a FIFO, opened without blocking. */
function pipe(): [number, number] {
  const dir = fs.mkdtempSync(join(tmpdir(), "reel-pipe-"));
  try {
    const p = join(dir, "p");
    posix.mknod(Buffer.from(p), fs.constants.S_IFIFO | 0o600, 0, 0);
    const r = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const w = fs.openSync(p, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    return [r, w];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("user and group lookups", () => {
  assert.equal(posix.userName(0), "root");
  assert.equal(posix.groupName(0), "root");
  assert.equal(posix.userId("root"), 0);
  assert.equal(posix.groupId("root"), 0);
  assert.equal(posix.userId("nobody"), 65534);
  assert.equal(posix.userName(65534), "nobody");

  const me = userInfo();
  assert.equal(posix.userName(me.uid), me.username);
  assert.equal(posix.userId(me.username), me.uid);

  assert.equal(posix.userName(4000000000), null);
  assert.equal(posix.groupName(4000000000), null);
  assert.equal(posix.userId("reel-no-such-user-x9"), null);
  assert.equal(posix.groupId("reel-no-such-group-x9"), null);
  assert.equal(posix.userId(""), null);
  assert.equal(posix.userId("ro\0ot"), null);
});

test("scanDir agrees with fs.lstatSync", (t) => {
  const dir = tempDir(t);
  writeFile(join(dir, "file"), "hello, world");
  fs.mkdirSync(join(dir, "sub"));
  fs.symlinkSync("file", join(dir, "link"));
  fs.symlinkSync("nowhere", join(dir, "dangling"));
  writeFile(bpath(dir, NON_UTF8), "odd");
  posix.lutimens(Buffer.from(join(dir, "file")), -5, 1, 1700000000, 123456789);

  const entries = decodeScan(posix.scanDir(Buffer.from(dir)));
  const expected = fs.readdirSync(dir, { encoding: "buffer" });
  assert.equal(entries.length, expected.length);
  assert.deepEqual(
    entries.map((e) => e.name.toString("hex")).sort(),
    expected.map((n) => n.toString("hex")).sort(),
  );

  for (const e of entries) {
    const st = fs.lstatSync(bpath(dir, e.name), { bigint: true });
    const label = e.name.toString();
    assert.equal(e.errno, 0, label);
    assert.equal(BigInt(e.dev), st.dev, label);
    assert.equal(BigInt(e.ino), st.ino, label);
    assert.equal(BigInt(e.mode), st.mode, label);
    assert.equal(BigInt(e.nlink), st.nlink, label);
    assert.equal(BigInt(e.uid), st.uid, label);
    assert.equal(BigInt(e.gid), st.gid, label);
    assert.equal(BigInt(e.rdev), st.rdev, label);
    assert.equal(BigInt(e.size), st.size, label);
    assert.equal(BigInt(e.blocks), st.blocks, label);
    assert.equal(BigInt(e.atimeSec) * 1000000000n + BigInt(e.atimeNsec), st.atimeNs, label);
    assert.equal(BigInt(e.mtimeSec) * 1000000000n + BigInt(e.mtimeNsec), st.mtimeNs, label);
    assert.equal(BigInt(e.ctimeSec) * 1000000000n + BigInt(e.ctimeNsec), st.ctimeNs, label);
  }

  const byName = (n: string): ScannedEntry => {
    const e = entries.find((x) => x.name.equals(Buffer.from(n)));
    assert.ok(e, n);
    return e;
  };
  const S_IFMT = fs.constants.S_IFMT;
  assert.equal(byName("file").mode & S_IFMT, fs.constants.S_IFREG);
  assert.equal(byName("file").size, 12);
  assert.equal(byName("file").mtimeSec, 1700000000);
  assert.equal(byName("file").mtimeNsec, 123456789);
  assert.equal(byName("file").atimeSec, -5);
  assert.equal(byName("sub").mode & S_IFMT, fs.constants.S_IFDIR);
  assert.equal(byName("link").mode & S_IFMT, fs.constants.S_IFLNK);
  assert.equal(byName("link").size, 4);
  assert.equal(byName("dangling").mode & S_IFMT, fs.constants.S_IFLNK);
  assert.equal(byName("dangling").size, 7);
  assert.ok(entries.some((e) => e.name.equals(NON_UTF8)));
});

test("scanDir edge cases", (t) => {
  const dir = tempDir(t);
  assert.deepEqual(decodeScan(posix.scanDir(Buffer.from(dir))), []);
  assert.equal(posix.scanDir(Buffer.from(dir)).length, 0);

  const missing = join(dir, "missing");
  assert.throws(() => posix.scanDir(Buffer.from(missing)), sysError("ENOENT", "opendir", missing));
  writeFile(join(dir, "f"));
  assert.throws(() => posix.scanDir(Buffer.from(join(dir, "f"))), sysError("ENOTDIR", "opendir", join(dir, "f")));

  // Many entries, so the native buffer has to grow several times.
  const many = join(dir, "many");
  fs.mkdirSync(many);
  for (let i = 0; i < 1000; i++) writeFile(join(many, `entry-${i}-${"n".repeat(i % 200)}`), String(i));
  const entries = decodeScan(posix.scanDir(Buffer.from(many)));
  assert.equal(entries.length, 1000);
  for (const e of entries) {
    const i = Number(/^entry-(\d+)-/.exec(e.name.toString())?.[1]);
    assert.equal(e.size, String(i).length);
    assert.equal(e.errno, 0);
  }
});

test("decodeScan reads every field, 64-bit and negative values included", () => {
  const name = Buffer.from("x\xffy", "latin1");
  const rec = Buffer.alloc(4 + name.length + 100);
  let o = rec.writeUInt32LE(name.length, 0);
  o += name.copy(rec, o);
  const nameEnd = o;
  o = rec.writeInt32LE(0, o);
  rec.writeBigUInt64LE(2n ** 40n + 3n, o); // dev
  rec.writeBigUInt64LE(2n ** 52n + 9n, o + 8); // ino
  rec.writeUInt32LE(0o100644, o + 16);
  rec.writeUInt32LE(3, o + 20);
  rec.writeUInt32LE(4294967294, o + 24);
  rec.writeUInt32LE(5678, o + 28);
  rec.writeBigUInt64LE(259n, o + 32);
  rec.writeBigUInt64LE(2n ** 33n + 1n, o + 40);
  rec.writeBigUInt64LE(17n, o + 48);
  rec.writeBigInt64LE(-1234567890123n, o + 56);
  rec.writeUInt32LE(999999999, o + 64);
  rec.writeBigInt64LE(1700000000n, o + 68);
  rec.writeUInt32LE(123456789, o + 76);
  rec.writeBigInt64LE(-1n, o + 80);
  rec.writeUInt32LE(1, o + 88);
  rec.writeUInt32LE(24, o + 92); // xattr name bytes
  assert.equal(o + 96, rec.length);

  const failed = Buffer.alloc(4 + 2 + 100);
  failed.writeUInt32LE(2, 0);
  failed.write("zz", 4);
  failed.writeInt32LE(13, 6);

  // Decode from an offset inside a larger ArrayBuffer, as pooled Buffers are.
  const pool = Buffer.alloc(rec.length + failed.length + 7);
  rec.copy(pool, 7);
  failed.copy(pool, 7 + rec.length);
  const [a, b, ...rest] = decodeScan(pool.subarray(7));
  assert.equal(rest.length, 0);
  assert.ok(a && b);
  assert.deepEqual(a.name, name);
  assert.equal(a.name.buffer, pool.buffer, "name is a view, not a copy");
  assert.equal(nameEnd, 4 + name.length);
  assert.deepEqual(
    { ...a, name: undefined },
    {
      name: undefined,
      errno: 0,
      dev: 2 ** 40 + 3,
      ino: 2 ** 52 + 9,
      mode: 0o100644,
      nlink: 3,
      uid: 4294967294,
      gid: 5678,
      rdev: 259,
      size: 2 ** 33 + 1,
      blocks: 17,
      atimeSec: -1234567890123,
      atimeNsec: 999999999,
      mtimeSec: 1700000000,
      mtimeNsec: 123456789,
      ctimeSec: -1,
      ctimeNsec: 1,
      xattrBytes: 24,
    },
  );
  assert.deepEqual(b.name, Buffer.from("zz"));
  assert.equal(b.errno, 13);
  assert.equal(b.mode, 0);
  assert.equal(b.size, 0);

  assert.throws(() => decodeScan(rec.subarray(0, rec.length - 1)), /truncated/);
  assert.throws(() => decodeScan(rec.subarray(0, 2)), /truncated/);
  assert.deepEqual(decodeScan(Buffer.alloc(0)), []);
});

test("readFileInto reads into a target at an offset", (t) => {
  const dir = tempDir(t);
  const p = bpath(dir, NON_UTF8);
  writeFile(p, "0123456789");
  const target = Buffer.alloc(16, 0x2e);
  assert.equal(posix.readFileInto(p, target, 3, 4), 4);
  assert.equal(target.toString("latin1"), "...0123.........");
  assert.equal(posix.readFileInto(p, target, 0, 16), 10, "short file: bytes actually read");
  assert.equal(target.toString("latin1"), "0123456789......");
  assert.equal(posix.readFileInto(p, target, 16, 0), 0);

  const empty = join(dir, "empty");
  writeFile(empty, "");
  assert.equal(posix.readFileInto(Buffer.from(empty), new Uint8Array(8), 0, 8), 0);

  // A large file needs several reads.
  const big = Buffer.alloc(3 * MiB + 17);
  for (let i = 0; i < big.length; i += 4093) big[i] = i & 0xff;
  writeFile(join(dir, "big"), big);
  const into = new Uint8Array(big.length + 1);
  assert.equal(posix.readFileInto(Buffer.from(join(dir, "big")), into, 1, big.length), big.length);
  assert.ok(big.equals(into.subarray(1)));

  const link = join(dir, "link");
  fs.symlinkSync(join(dir, "empty"), link);
  assert.throws(() => posix.readFileInto(Buffer.from(link), target, 0, 1), sysError("ELOOP", "open", link));
  const missing = join(dir, "missing");
  assert.throws(() => posix.readFileInto(Buffer.from(missing), target, 0, 1), sysError("ENOENT", "open", missing));
  assert.throws(() => posix.readFileInto(Buffer.from(dir), target, 0, 1), sysError("EISDIR", "read", dir));

  // A FIFO swapped in for a file must not hang the process.
  const fifo = join(dir, "fifo");
  posix.mknod(Buffer.from(fifo), fs.constants.S_IFIFO | 0o600, 0, 0);
  assert.equal(posix.readFileInto(Buffer.from(fifo), target, 0, 4), 0);
});

test("writeFileAt creates a file with data, mode, owner and exact times", (t) => {
  const dir = tempDir(t);
  const p = bpath(dir, NON_UTF8);
  const data = Buffer.from("#!/bin/sh\necho restored\n");
  const uid = isRoot ? 1234 : (process.getuid?.() ?? 0);
  const gid = isRoot ? 5678 : (process.getgid?.() ?? 0);
  posix.writeFileAt(p, data, 0o104755, uid, gid, isRoot, 1600000000, 5, 1700000000, 123456789);

  const st = fs.lstatSync(p, { bigint: true });
  assert.ok(st.isFile());
  assert.equal(st.mode & 0o7777n, isRoot ? 0o4755n : st.mode & 0o7777n);
  if (isRoot) {
    assert.equal(st.uid, 1234n);
    assert.equal(st.gid, 5678n);
  }
  assert.equal(st.mtimeNs, 1700000000123456789n);
  assert.equal(st.atimeNs, 1600000000000000005n);
  assert.deepEqual(fs.readFileSync(p), data);

  // Empty file, negative times, no chown.
  const e = Buffer.from(join(dir, "empty"));
  posix.writeFileAt(e, new Uint8Array(0), 0o640, 0, 0, false, -10, 0, -20, 999999999);
  const est = fs.lstatSync(e, { bigint: true });
  assert.equal(est.size, 0n);
  assert.equal(est.mode & 0o7777n, 0o640n);
  assert.equal(est.mtimeNs, -20n * 1000000000n + 999999999n);

  // Never replaces or follows anything that is already there.
  assert.throws(
    () => posix.writeFileAt(e, data, 0o644, 0, 0, false, 0, 0, 0, 0),
    sysError("EEXIST", "open", join(dir, "empty")),
  );
  assert.equal(fs.lstatSync(e).size, 0, "the existing file is left alone");
  const link = join(dir, "link");
  fs.symlinkSync("elsewhere", link);
  assert.throws(() => posix.writeFileAt(Buffer.from(link), data, 0o644, 0, 0, false, 0, 0, 0, 0), sysError("EEXIST", "open", link));
  assert.equal(fs.existsSync(join(dir, "elsewhere")), false);
});

test("writeFileAt removes the file when a step after the create fails", (t) => {
  const dir = tempDir(t);
  const target = join(dir, "f");
  if (!isRoot) {
    // An ordinary user cannot give a file away: fchown fails with EPERM.
    assert.throws(
      () => posix.writeFileAt(Buffer.from(target), Buffer.from("x"), 0o644, 1234, 5678, true, 0, 0, 0, 0),
      sysError("EPERM", "fchown", target),
    );
    assert.equal(fs.existsSync(target), false);
    return;
  }
  // As root, run the same call as nobody in a child process.
  fs.chmodSync(dir, 0o777);
  const module = new URL("./posix.js", import.meta.url).href;
  const script = `
    import { posix } from ${JSON.stringify(module)};
    try {
      posix.writeFileAt(Buffer.from(${JSON.stringify(target)}), Buffer.from("x"), 0o644, 1234, 5678, true, 0, 0, 0, 0);
      console.log("no error");
    } catch (e) {
      console.log(JSON.stringify({ code: e.code, syscall: e.syscall, path: e.path }));
    }`;
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    uid: 65534,
    gid: 65534,
    encoding: "utf8",
  });
  assert.equal(child.status, 0, child.stderr);
  assert.deepEqual(JSON.parse(child.stdout), { code: "EPERM", syscall: "fchown", path: target });
  assert.equal(fs.existsSync(target), false, "the half-restored file was removed");
});

test("crc32c agrees with the reference at every alignment and across the three-stream block sizes", (t) => {
  if (posix.crc32c === undefined) {
    t.skip("no SSE4.2 on this CPU: the portable CRC is used");
    return;
  }
  const native = posix.crc32c;
  assert.equal(native(Buffer.from("123456789"), 0), 0xe3069283);
  assert.equal(native(new Uint8Array(0), 0x12345678), 0x12345678);
  // lengths around the 256- and 8192-byte block joins, from every offset mod 8, with a running CRC
  const data = new Uint8Array(3 * 8192 * 2 + 3 * 256 + 64);
  let seed = 1;
  for (let i = 0; i < data.length; i++) data[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
  const lengths = [0, 1, 7, 8, 9, 255, 767, 768, 769, 3 * 8192 - 1, 3 * 8192, 3 * 8192 + 8, 6 * 8192 + 768 + 5];
  for (const length of lengths) {
    for (let offset = 0; offset < 8; offset++) {
      const slice = data.subarray(offset, offset + length);
      const previous = (length * 2654435761) >>> 0;
      assert.equal(native(slice, previous), referenceCrc32c(slice, previous), `length ${length}, offset ${offset}`);
    }
  }
  // one call over A‖B equals a call over B continuing from A's CRC
  assert.equal(native(data, 0), native(data.subarray(30000), native(data.subarray(0, 30000), 0)));
  assert.throws(() => native("abc" as unknown as Uint8Array, 0), TypeError);
});

/** Bit by bit, straight from the polynomial (format.md §1). */
function referenceCrc32c(data: Uint8Array, previous: number): number {
  let crc = ~previous >>> 0;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}
