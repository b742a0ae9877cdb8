/**
 * A file-writer thread: takes batches of jobs (whole small files, ranges of open files, file
 * finishes) and does them in order. Reports failures and hands the batch buffer back on its
 * result port, then counts the batch done in shared memory so the restorer can wait for it
 * without yielding to the event loop.
 */
import { fchmodSync, fchownSync, ftruncateSync, writeSync } from "node:fs";
import { type MessagePort, parentPort, workerData } from "node:worker_threads";
import { type JobFailure, unpackJobs, type WriterJob } from "./file-writer-batch.js";
import { posix } from "./posix.js";

const { done, results } = workerData as { done: Int32Array; results: MessagePort };
/** Files whose range writes failed: their finish still closes them, then reports. */
const broken = new Set<number>();

function run(job: WriterJob): void {
  switch (job.kind) {
    case "whole":
      posix.writeFileAt(job.fsPath, job.data, job.mode, job.uid, job.gid, job.setOwner, job.atimeSec, job.atimeNsec, job.mtimeSec, job.mtimeNsec);
      return;
    case "range": {
      if (broken.has(job.fd)) return;
      let written = 0;
      while (written < job.data.length) written += writeSync(job.fd, job.data, written, job.data.length - written, job.offset + written);
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
