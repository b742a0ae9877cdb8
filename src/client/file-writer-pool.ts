import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";
import { BugError } from "../errors/index.js";
import { BlockMemory } from "./aligned-memory.js";
import { type JobFailure, jobSize, packJob, type WriterJob } from "./file-writer-batch.js";

const BATCH_BYTES = 2 * 1024 * 1024;
/**
 * Batches lie at aligned addresses, so that a thread writes the aligned middle of a large range
 * with O_DIRECT from the batch itself (file-writer-batch.ts places its bytes to match).
 */
const BATCH_MEMORY = new BlockMemory(BATCH_BYTES, true);
const BATCH_FILES = 256;
/**
 * Batches a thread may have queued before write() waits. A thread writes large ranges
 * asynchronously (file-writer-worker.ts), so a batch is done only once its writes are: with two,
 * a restore of large files waited on its writer thread for half its time (bench/RESULTS.md).
 */
const IN_FLIGHT_PER_THREAD = 4;

interface Lane {
  worker: Worker;
  results: MessagePort;
  done: Int32Array;
  sent: number;
  batch: Buffer | null;
  view: DataView | null;
  used: number;
  files: number;
  free: ArrayBuffer[];
  failures: JobFailure[];
}

/**
 * Writes small files on a few threads (file creation is kernel work that scales with cores).
 * The restorer stays synchronous: backpressure and drain wait on shared counters with
 * Atomics.wait, and failures come back through receiveMessageOnPort.
 *
 * Invariants: 1. files of one directory always go to the same thread (no lock contention, and
 * creation order within a directory is kept); 2. after drain() every job handed in is on disk or
 * returned as a failure; 3. the restorer drains before it replaces or links anything.
 */
export class FileWriterPool {
  readonly #lanes: Lane[];

  /**
   * `direct`: write the aligned middle of large ranges with O_DIRECT where the file system takes
   * it (file-writer-worker.ts); default on unless REEL_NO_DIRECT_IO=1.
   */
  constructor(threads: number, options: { direct?: boolean } = {}) {
    const direct = options.direct ?? process.env["REEL_NO_DIRECT_IO"] !== "1";
    this.#lanes = Array.from({ length: threads }, () => {
      const done = new Int32Array(new SharedArrayBuffer(4));
      const channel = new MessageChannel();
      const worker = new Worker(new URL("./file-writer-worker.js", import.meta.url), {
        workerData: { done, results: channel.port2, direct },
        // A writer allocates a few objects per job: a small young generation keeps each thread's
        // heap from growing to the default (peak RSS of an extract of 100k files: 209 → 196 MB).
        resourceLimits: { maxYoungGenerationSizeMb: 2 },
        transferList: [channel.port2],
      });
      worker.unref();
      return { worker, results: channel.port1, done, sent: 0, batch: null, view: null, used: 0, files: 0, free: [], failures: [] };
    });
  }

  /** Queues a file; `directoryKey` picks its thread. May block while threads catch up. */
  write(job: WriterJob, directoryKey: number): void {
    const lane = this.#lanes[directoryKey % this.#lanes.length]!;
    const size = jobSize(job);
    if (lane.batch !== null && (lane.used + size > lane.batch.length || lane.files >= BATCH_FILES)) this.#send(lane);
    if (lane.batch === null) {
      this.#collect(lane);
      const reused = size <= BATCH_BYTES ? lane.free.pop() : undefined;
      lane.batch = reused !== undefined ? BATCH_MEMORY.view(reused) : size <= BATCH_BYTES ? BATCH_MEMORY.allocate() : new BlockMemory(size, true).allocate();
      lane.view = new DataView(lane.batch.buffer, lane.batch.byteOffset, lane.batch.byteLength);
      lane.used = 0;
      lane.files = 0;
    }
    lane.used = packJob(lane.batch, lane.view!, lane.used, job);
    lane.files++;
  }

  #send(lane: Lane): void {
    if (lane.batch === null || lane.used === 0) return;
    while (lane.sent - Atomics.load(lane.done, 0) >= IN_FLIGHT_PER_THREAD) this.#wait(lane);
    const buffer = lane.batch.buffer as ArrayBuffer;
    lane.worker.postMessage({ batch: buffer, start: lane.batch.byteOffset, length: lane.used }, [buffer]);
    lane.sent++;
    lane.batch = null;
    lane.view = null;
  }

  #wait(lane: Lane): void {
    const seen = Atomics.load(lane.done, 0);
    if (seen >= lane.sent) return;
    if (Atomics.wait(lane.done, 0, seen, 60_000) === "timed-out" && Atomics.load(lane.done, 0) === seen) {
      throw new BugError("a file-writer thread made no progress for 60 s");
    }
  }

  /** Takes the finished batches' buffers and failures off the lane's result port. */
  #collect(lane: Lane): void {
    for (let m = receiveMessageOnPort(lane.results); m !== undefined; m = receiveMessageOnPort(lane.results)) {
      const result = m.message as { failures: JobFailure[]; batch: ArrayBuffer };
      if (BATCH_MEMORY.fits(result.batch)) lane.free.push(result.batch);
      for (const f of result.failures) lane.failures.push({ ...f, fsPath: Buffer.from(f.fsPath), job: f.job === null ? null : { ...f.job, fsPath: Buffer.from(f.job.fsPath), data: Buffer.from(f.job.data) } });
    }
  }

  /** Sends what is queued and waits until every file is written; returns the failures. */
  drain(): JobFailure[] {
    const failures: JobFailure[] = [];
    for (const lane of this.#lanes) this.#send(lane);
    for (const lane of this.#lanes) {
      while (Atomics.load(lane.done, 0) < lane.sent) this.#wait(lane);
      this.#collect(lane);
      failures.push(...lane.failures);
      lane.failures = [];
    }
    return failures;
  }

  async close(): Promise<void> {
    if (this.#lanes.some((lane) => lane.batch !== null && lane.used > 0)) throw new BugError("FileWriterPool closed with files queued");
    await Promise.all(this.#lanes.map((lane) => lane.worker.terminate()));
  }
}
