/**
 * A file-writer thread: takes batches of small files and writes each with one native call.
 * Reports failures on its result port, then counts the batch done in shared memory so the
 * restorer can wait for it without yielding to the event loop.
 */
import { type MessagePort, parentPort, workerData } from "node:worker_threads";
import { type JobFailure, unpackJobs } from "./file-writer-batch.js";
import { posix } from "./posix.js";

const { done, results } = workerData as { done: Int32Array; results: MessagePort };

parentPort!.on("message", (message: { batch: ArrayBuffer; length: number }) => {
  const failures: JobFailure[] = [];
  for (const job of unpackJobs(Buffer.from(message.batch), message.length)) {
    try {
      posix.writeFileAt(job.fsPath, job.data, job.mode, job.uid, job.gid, job.setOwner, job.atimeSec, job.atimeNsec, job.mtimeSec, job.mtimeNsec);
    } catch (error) {
      const e = error as { code?: string; message?: string };
      failures.push({ fsPath: Buffer.from(job.fsPath), code: e.code ?? "EIO", message: e.message ?? String(error), job: { ...job, fsPath: Buffer.from(job.fsPath), data: Buffer.from(job.data) } });
    }
  }
  // The batch buffer goes back to be reused: memory stays bounded by the batches in flight.
  results.postMessage({ failures, batch: message.batch }, [message.batch]);
  Atomics.add(done, 0, 1);
  Atomics.notify(done, 0);
});
