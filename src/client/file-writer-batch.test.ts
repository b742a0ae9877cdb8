import assert from "node:assert/strict";
import { test } from "node:test";
import { jobSize, packJob, PLACED_RANGE_BYTES, unpackJobs, type WriterJob } from "./file-writer-batch.js";

const META = { mode: 0o644, uid: 1, gid: 2, setOwner: true, atimeSec: 1, atimeNsec: 2, mtimeSec: 3, mtimeNsec: 4 };

test("a batch gives its jobs back as packed, and large ranges lie at their file offset's place in a page", () => {
  const path = Buffer.from("/r/some/file");
  const big = (offset: number, length: number): WriterJob => ({ kind: "range", fd: 9, offset, data: Buffer.alloc(length, offset % 251), fsPath: path });
  const jobs: WriterJob[] = [
    { kind: "whole", fsPath: Buffer.from("/r/small"), data: Buffer.from("tiny"), ...META },
    big(0, PLACED_RANGE_BYTES),
    { kind: "range", fd: 9, offset: 12_345, data: Buffer.from("unplaced"), fsPath: path },
    big(5 * 2 ** 32 + 4095, PLACED_RANGE_BYTES + 3),
    big(1_048_576 + 100, PLACED_RANGE_BYTES * 2),
    { kind: "finish", fd: 9, truncate: 77, fsPath: path, ...META },
    { kind: "release", fd: 10, fsPath: path },
  ];
  const batch = Buffer.alloc(jobs.reduce((sum, job) => sum + jobSize(job), 0));
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  let used = 0;
  for (const job of jobs) used = packJob(batch, view, used, job);
  assert.ok(used <= batch.length);
  const back = [...unpackJobs(batch, used)];
  assert.equal(back.length, jobs.length);
  for (const [i, job] of jobs.entries()) {
    const got = back[i]!;
    assert.equal(got.kind, job.kind);
    assert.ok(got.fsPath.equals(job.fsPath));
    if (job.kind === "range" && got.kind === "range") {
      assert.equal(got.offset, job.offset);
      assert.ok(Buffer.from(got.data).equals(job.data), `range ${i} has other bytes`);
      if (job.data.length >= PLACED_RANGE_BYTES) assert.equal((got.data.byteOffset - batch.byteOffset) % 4096, job.offset % 4096, `range ${i} is not placed`);
    }
    if (job.kind === "whole" && got.kind === "whole") assert.ok(Buffer.from(got.data).equals(job.data));
    if (job.kind === "finish" && got.kind === "finish") assert.deepEqual({ ...got, fsPath: null }, { ...job, fsPath: null });
  }
});
