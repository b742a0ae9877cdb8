import assert from "node:assert/strict";
import { constants, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { canWriteDirect, isAligned } from "./aligned-memory.js";
import { FileBlockOutput, openArchiveFile, type OpenCalls } from "./block-output.js";
import { BufferRecycler } from "./buffer-recycler.js";

const BLOCK = 64 * 1024;

/** A fresh directory under os.tmpdir() (ext4 here: it takes O_DIRECT), removed when the test ends. */
function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), "reel-output-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** True when the kernel says `fd` was opened with O_DIRECT (the octal `flags:` line of fdinfo). */
function opensDirect(fd: number): boolean {
  const flags = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, "utf8"))![1]!;
  return (parseInt(flags, 8) & constants.O_DIRECT) !== 0;
}

/** `count` blocks, each filled with its own byte; the first a plain allocation (like the label block), the rest from `recycler`. */
function blocks(recycler: BufferRecycler, count: number): Uint8Array[] {
  const out: Uint8Array[] = [new Uint8Array(BLOCK).fill(1)];
  for (let i = 1; i < count; i++) out.push(recycler.take().fill(i + 1));
  return out;
}

/** Writes `list` through a FileBlockOutput and returns the file's bytes. */
async function writeThrough(path: string, fd: number, isDirect: boolean, recycler: BufferRecycler, list: Uint8Array[]): Promise<Buffer> {
  const output = new FileBlockOutput(fd, "test archive", (memory) => recycler.give(memory), { direct: isDirect });
  for (const block of list) {
    output.write(block);
    if (output.isBusy) await output.ready();
  }
  await output.close();
  assert.equal(output.bytesWritten, list.length * BLOCK);
  return readFileSync(path);
}

test("an archive file on a file system that takes O_DIRECT is written around the page cache, unaligned blocks copied, bytes as given", { skip: canWriteDirect ? false : "no O_DIRECT or no aligned memory here" }, async (t) => {
  const path = join(tempDir(t), "a.reel");
  writeFileSync(path, Buffer.alloc(200 * BLOCK, 9)); // a longer file left from before: truncated
  const file = openArchiveFile(path, { direct: true });
  assert.equal(file.isDirect, true);
  assert.equal(opensDirect(file.fd), true);
  const recycler = new BufferRecycler(BLOCK, { aligned: true });
  const list = blocks(recycler, 150); // more than one 4 MiB batch; two writes in flight
  assert.equal(isAligned(list[0]!), false, "the plain block is not aligned, so it must be copied");
  assert.ok(list.slice(1).every(isAligned));
  assert.deepEqual(await writeThrough(path, file.fd, true, recycler, list), Buffer.concat(list));
  // Written memory came back for reuse, still aligned.
  assert.ok(isAligned(recycler.take()));
});

test("REEL_NO_DIRECT_IO (direct: false) and paths that are not regular files are written through the cache", async (t) => {
  const path = join(tempDir(t), "a.reel");
  const file = openArchiveFile(path, { direct: false });
  assert.deepEqual([file.isDirect, opensDirect(file.fd)], [false, false]);
  const recycler = new BufferRecycler(BLOCK);
  const list = blocks(recycler, 3);
  assert.deepEqual(await writeThrough(path, file.fd, false, recycler, list), Buffer.concat(list));
  const device = openArchiveFile("/dev/null", { direct: true });
  assert.deepEqual([device.isDirect, opensDirect(device.fd)], [false, false]);
  await new FileBlockOutput(device.fd, "test archive").close();
});

/** Calls that behave like a file system refusing O_DIRECT: EINVAL at open, or at the first write. */
function refusing(at: "open" | "write"): OpenCalls {
  const einval = (): never => {
    throw Object.assign(new Error("EINVAL: invalid argument"), { code: "EINVAL" });
  };
  return {
    open: (path, flags, mode) => (at === "open" && typeof flags === "number" && (flags & constants.O_DIRECT) !== 0 ? einval() : openSync(path, flags, mode)),
    write: (fd, buffer, offset, length, position) => (at === "write" && opensDirect(fd) ? einval() : writeSync(fd, buffer, offset, length, position)),
  };
}

for (const at of ["open", "write"] as const) {
  test(`where O_DIRECT is refused at ${at} (EINVAL), the archive file is written through the cache, whole`, async (t) => {
    const path = join(tempDir(t), "a.reel");
    const file = openArchiveFile(path, { direct: true }, refusing(at));
    assert.deepEqual([file.isDirect, opensDirect(file.fd)], [false, false]);
    const recycler = new BufferRecycler(BLOCK);
    const list = blocks(recycler, 5);
    assert.deepEqual(await writeThrough(path, file.fd, false, recycler, list), Buffer.concat(list));
  });
}
