/**
 * A file-writer thread: takes batches of jobs (whole small files, ranges of open files, file
 * finishes) and does them in order. Reports failures and hands the batch buffer back on its
 * result port, then counts the batch done in shared memory so the restorer can wait for it
 * without yielding to the event loop.
 */
import { closeSync, constants, fchmodSync, fchownSync, ftruncateSync, openSync, writeSync } from "node:fs";
import { type MessagePort, parentPort, workerData } from "node:worker_threads";
import { BlockMemory, canWriteDirect, DIRECT_ALIGNMENT } from "./aligned-memory.js";
import { type JobFailure, unpackJobs, type WriterJob } from "./file-writer-batch.js";
import { posix } from "./posix.js";

const { done, results, direct } = workerData as { done: Int32Array; results: MessagePort; direct?: boolean };
/** Files whose range writes failed: their finish still closes them, then reports. */
const broken = new Set<number>();

/** Ranges with at least this many aligned bytes are written around the page cache. */
const DIRECT_MIN_BYTES = 256 * 1024;
/** Aligned memory for direct writes, grown to the largest range seen. */
let scratch: Uint8Array | null = null;
/** False once this thread's file system refused O_DIRECT (or /proc is not there): every range goes through the cache. */
let isDirectPossible = direct === true && canWriteDirect;

function writeAllSync(fd: number, data: Uint8Array, position: number): void {
  let written = 0;
  while (written < data.length) written += writeSync(fd, data, written, data.length - written, position + written);
}

function alignedScratch(size: number): Uint8Array {
  if (scratch === null || scratch.length < size) scratch = new BlockMemory(size, true).allocate();
  return scratch.subarray(0, size);
}

/**
 * Writes the 4096-aligned middle of a range with O_DIRECT, through a second descriptor of the same
 * file (reopened by its /proc/self/fd link, so no path is looked up again), and the unaligned
 * edges through the cache: they lie on other pages, so the two never overlap. On the machines
 * measured the kernel's copy of restored data into its cache was the restore's largest single
 * CPU cost (bench/RESULTS.md). Returns false when the range is not worth it or direct writing is
 * refused, and the caller writes it through the cache.
 */
function writeRangeDirect(fd: number, data: Uint8Array, offset: number): boolean {
  const start = Math.ceil(offset / DIRECT_ALIGNMENT) * DIRECT_ALIGNMENT;
  const end = Math.floor((offset + data.length) / DIRECT_ALIGNMENT) * DIRECT_ALIGNMENT;
  if (end - start < DIRECT_MIN_BYTES) return false;
  let directFd: number;
  try {
    directFd = openSync(`/proc/self/fd/${fd}`, constants.O_WRONLY | constants.O_DIRECT);
  } catch (error) {
    // EINVAL: no O_DIRECT on this file system, for good. ENOENT: a descriptor already closed (the
    // write through it reports that), or no /proc: this range goes through the cache.
    if ((error as { code?: string }).code !== "ENOENT") isDirectPossible = false;
    return false;
  }
  try {
    const aligned = alignedScratch(end - start);
    aligned.set(data.subarray(start - offset, end - offset));
    try {
      writeAllSync(directFd, aligned, start);
    } catch (error) {
      // EINVAL at the first write: the file system takes the flag but not the write; nothing was written.
      if ((error as { code?: string }).code !== "EINVAL") throw error;
      isDirectPossible = false;
      return false;
    }
  } finally {
    closeSync(directFd);
  }
  if (start > offset) writeAllSync(fd, data.subarray(0, start - offset), offset);
  if (offset + data.length > end) writeAllSync(fd, data.subarray(end - offset), end);
  return true;
}

function run(job: WriterJob): void {
  switch (job.kind) {
    case "whole":
      posix.writeFileAt(job.fsPath, job.data, job.mode, job.uid, job.gid, job.setOwner, job.atimeSec, job.atimeNsec, job.mtimeSec, job.mtimeNsec);
      return;
    case "range": {
      if (broken.has(job.fd)) return;
      if (isDirectPossible && writeRangeDirect(job.fd, job.data, job.offset)) return;
      writeAllSync(job.fd, job.data, job.offset);
      return;
    }
    case "finish":
      try {
        if (broken.has(job.fd)) throw new Error("an earlier write failed");
        if (job.truncate >= 0) ftruncateSync(job.fd, job.truncate);
        if (job.setOwner) fchownSync(job.fd, job.uid, job.gid);
        fchmodSync(job.fd, job.mode);
        posix.futimens(job.fd, job.atimeSec, job.atimeNsec, job.mtimeSec, job.mtimeNsec);
      } finally {
        broken.delete(job.fd);
        posix.closeFd(job.fd);
      }
  }
}

parentPort!.on("message", (message: { batch: ArrayBuffer; length: number }) => {
  const failures: JobFailure[] = [];
  for (const job of unpackJobs(Buffer.from(message.batch), message.length)) {
    try {
      run(job);
    } catch (error) {
      if (job.kind === "range") broken.add(job.fd);
      const e = error as { code?: string; message?: string };
      failures.push({
        fsPath: Buffer.from(job.fsPath), code: e.code ?? "EIO", message: e.message ?? String(error),
        job: job.kind === "whole" ? { ...job, fsPath: Buffer.from(job.fsPath), data: Buffer.from(job.data) } : null,
      });
    }
  }
  // The batch buffer goes back to be reused: memory stays bounded by the batches in flight.
  results.postMessage({ failures, batch: message.batch }, [message.batch]);
  Atomics.add(done, 0, 1);
  Atomics.notify(done, 0);
});
