import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { FileWriterPool } from "./file-writer-pool.js";

const META = { mode: 0o640, uid: 0, gid: 0, setOwner: false, atimeSec: 1_600_000_000, atimeNsec: 5, mtimeSec: 1_700_000_000, mtimeNsec: 123_456_789 };

/** Ranges at aligned and unaligned offsets, large and small, with holes between them: what restores of big and sparse files send. */
const RANGES: Array<[offset: number, length: number]> = [
  [0, 1024 * 1024],
  [1024 * 1024, 1024 * 1024],
  [3 * 1024 * 1024 + 100, 700_001],
  [5 * 1024 * 1024 - 17, 300_000],
  [6 * 1024 * 1024, 4096 * 70],
  [8 * 1024 * 1024 + 4095, 3],
  [9 * 1024 * 1024, 513 * 1024 + 1],
];

/** Runs `body` with a pool of `threads` writer threads and a fresh directory under `base`; both are gone afterwards. */
async function withPool(threads: number, direct: boolean, base: string, body: (dir: string, pool: FileWriterPool) => void | Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(base, "reel-writer-"));
  const pool = new FileWriterPool(threads, { direct });
  try {
    await body(dir, pool);
  } finally {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// tmpfs too, which refused O_DIRECT before Linux 6.6 (ranges then go through the cache).
const places = [{ direct: true, base: tmpdir() }, { direct: false, base: tmpdir() }, ...(existsSync("/dev/shm") ? [{ direct: true, base: "/dev/shm" }] : [])];
for (const { direct, base } of places) {
  test(`file-writer threads write ranges at any offset byte for byte, sparse between them (direct ${direct}, in ${base})`, async () => {
    await withPool(2, direct, base, (dir, pool) => {
      const path = join(dir, "big.bin");
      const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      const expected = Buffer.alloc(10 * 1024 * 1024);
      const fsPath = Buffer.from(path);
      for (const [offset, length] of RANGES) {
        const data = randomBytes(length);
        data.copy(expected, offset);
        // The pool copies the data into its batch: a caller may reuse its memory at once.
        pool.write({ kind: "range", fd, offset, data, fsPath }, 7);
        data.fill(0xee);
      }
      pool.write({ kind: "finish", fd, truncate: expected.length, fsPath, ...META }, 7);
      assert.deepEqual(pool.drain(), []);
      const got = readFileSync(path);
      assert.equal(got.length, expected.length);
      assert.ok(got.equals(expected), "the file's bytes differ from the ranges written");
      const st = statSync(path, { bigint: true });
      assert.equal(Number(st.mode & 0o7777n), 0o640);
      assert.equal(st.mtimeNs, 1_700_000_000_123_456_789n);
      // The holes between ranges stay holes (7 MiB of data in a 10 MiB file).
      assert.ok(Number(st.blocks) * 512 < expected.length, `sparse file takes ${Number(st.blocks) * 512} bytes`);
    });
  });
}

test("a range write to a descriptor that is not open comes back as a failure naming the file", async () => {
  await withPool(1, true, tmpdir(), (dir, pool) => {
    const path = join(dir, "gone.bin");
    // Far above any descriptor this process opens (a closed one could be reused by the test runner meanwhile).
    const fd = 1_000_000;
    pool.write({ kind: "range", fd, offset: 0, data: randomBytes(512 * 1024), fsPath: Buffer.from(path) }, 0);
    const failures = pool.drain();
    assert.equal(failures.length, 1);
    assert.equal(failures[0]!.fsPath.toString(), path);
    assert.equal(failures[0]!.code, "EBADF");
  });
});

test("several large files written range by range in one thread, batches overlapping: each file whole, its finish after its ranges", async () => {
  await withPool(1, true, tmpdir(), (dir, pool) => {
    // Ranges of a restored large file: one per 1 MiB chunk, each a little over 1 MiB, so their
    // edges are unaligned; the files' ranges interleave as multiplexed streams would give them.
    const RANGE = 1024 * 1024 + 4040;
    const files = [0, 1, 2].map((i) => {
      const path = join(dir, `f${i}.bin`);
      const size = (6 + i) * RANGE + 777 * i;
      return { path, fsPath: Buffer.from(path), fd: openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600), expected: randomBytes(size) };
    });
    for (let offset = 0; files.some((f) => offset < f.expected.length); offset += RANGE) {
      for (const f of files) {
        if (offset >= f.expected.length) continue;
        pool.write({ kind: "range", fd: f.fd, offset, data: f.expected.subarray(offset, offset + RANGE), fsPath: f.fsPath }, 3);
        if (offset + RANGE >= f.expected.length) pool.write({ kind: "finish", fd: f.fd, truncate: f.expected.length, fsPath: f.fsPath, ...META }, 3);
      }
    }
    assert.deepEqual(pool.drain(), []);
    for (const f of files) {
      assert.ok(readFileSync(f.path).equals(f.expected), `${f.path} differs from its ranges`);
      assert.equal(statSync(f.path, { bigint: true }).mtimeNs, 1_700_000_000_123_456_789n, `${f.path}: its times were set after its last range`);
    }
  });
});

test("a file released and closed by the restorer: its descriptor number, reused for the next file, gets that file's ranges", async () => {
  await withPool(1, true, tmpdir(), (dir, pool) => {
    let reused = 0;
    // Other threads open and close descriptors too: try until the number came back a few times.
    for (let attempt = 0; attempt < 20 && reused < 3; attempt++) {
      // The first file takes a large range (written around the cache through a second
      // descriptor), then is taken back as damaged: released, closed here, renamed aside.
      const first = join(dir, `damaged-${attempt}.bin`);
      const fdA = openSync(first, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      const firstData = randomBytes(2 * 1024 * 1024);
      pool.write({ kind: "range", fd: fdA, offset: 0, data: firstData, fsPath: Buffer.from(first) }, 3);
      pool.write({ kind: "release", fd: fdA, fsPath: Buffer.from(first) }, 3);
      assert.deepEqual(pool.drain(), []);
      closeSync(fdA);
      renameSync(first, `${first}.reel-damaged`);
      const next = join(dir, `next-${attempt}.bin`);
      const fdB = openSync(next, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      if (fdB === fdA) reused++;
      const nextData = randomBytes(1024 * 1024 + 12345);
      pool.write({ kind: "range", fd: fdB, offset: 0, data: nextData.subarray(0, 57344), fsPath: Buffer.from(next) }, 3);
      pool.write({ kind: "range", fd: fdB, offset: 57344, data: nextData.subarray(57344), fsPath: Buffer.from(next) }, 3);
      pool.write({ kind: "finish", fd: fdB, truncate: -1, fsPath: Buffer.from(next), ...META }, 3);
      assert.deepEqual(pool.drain(), []);
      assert.ok(readFileSync(next).equals(nextData), `attempt ${attempt}: the next file's bytes went elsewhere`);
      assert.ok(readFileSync(`${first}.reel-damaged`).equals(firstData), `attempt ${attempt}: the released file changed after its release`);
    }
    assert.ok(reused > 0, "no descriptor number came back: the case was not exercised");
  });
});
