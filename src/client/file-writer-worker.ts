/**
 * A file-writer thread: takes batches of jobs (whole small files, ranges of open files, file
 * finishes) and does them in order; the aligned middles of large ranges are written with O_DIRECT
 * in the background (a file's finish waits for its writes). Reports failures and hands the batch
 * buffer back on its result port once the batch's writes are done, then counts the batch done in
 * shared memory so the restorer can wait for it without yielding to the event loop.
 */
import { closeSync, constants, fchmodSync, fchownSync, ftruncateSync, openSync, write, writeSync } from "node:fs";
import { promisify } from "node:util";
import { type MessagePort, parentPort, workerData } from "node:worker_threads";
import { BlockMemory, canWriteDirect, DIRECT_ALIGNMENT, isAligned } from "./aligned-memory.js";
import { type JobFailure, PLACED_RANGE_BYTES, unpackJobs, type WriterJob } from "./file-writer-batch.js";
import { posix } from "./posix.js";

const { done, results, direct } = workerData as { done: Int32Array; results: MessagePort; direct?: boolean };
/** Files whose range writes failed: their finish still closes them, then reports. */
const broken = new Set<number>();

/** Ranges with at least this many aligned bytes are written around the page cache (the batch places them for it). */
const DIRECT_MIN_BYTES = PLACED_RANGE_BYTES;
/**
 * Direct writes in flight at once (on libuv's threads), so that this thread copies the next range
 * while the disk writes the one before (one synchronous write at a time left the restorer waiting
 * on this thread for half of a large-file restore: bench/RESULTS.md).
 */
const DIRECT_IN_FLIGHT = 3;
/** False once this thread's file system refused O_DIRECT (or /proc is not there): every range goes through the cache. */
let isDirectPossible = direct === true && canWriteDirect;

function writeAllSync(fd: number, data: Uint8Array, position: number): void {
  let written = 0;
  while (written < data.length) written += writeSync(fd, data, written, data.length - written, position + written);
}

const writeAsync = promisify(write);

async function writeAll(fd: number, data: Uint8Array, position: number): Promise<void> {
  let written = 0;
  while (written < data.length) written += (await writeAsync(fd, data, written, data.length - written, position + written)).bytesWritten;
}

/** Aligned memory for direct writes in flight, reused; each grown to the largest range it took. */
const scratchFree: Uint8Array[] = [];

function takeScratch(size: number): Uint8Array {
  const found = scratchFree.pop();
  return found !== undefined && found.length >= size ? found : new BlockMemory(Math.max(size, found?.length ?? 0), true).allocate();
}

/** Per open file (by its descriptor): the O_DIRECT descriptor of it, and its direct writes in flight. */
interface OpenFile {
  directFd: number;
  pending: Set<Promise<void>>;
}
const open = new Map<number, OpenFile>();
let inFlight = 0;
const slotWaiters: Array<() => void> = [];

async function slot(): Promise<void> {
  while (inFlight >= DIRECT_IN_FLIGHT) await new Promise<void>((resolve) => slotWaiters.push(resolve));
  inFlight++;
}

function freeSlot(): void {
  inFlight--;
  slotWaiters.shift()?.();
}

/** The O_DIRECT descriptor of `fd` (opened by its /proc/self/fd link: no path looked up again), or null when refused. */
function directOf(fd: number): OpenFile | null {
  const known = open.get(fd);
  if (known !== undefined) return known;
  let directFd: number;
  try {
    directFd = openSync(`/proc/self/fd/${fd}`, constants.O_WRONLY | constants.O_DIRECT);
  } catch (error) {
    // EINVAL: no O_DIRECT on this file system, for good. ENOENT: a descriptor already closed (the
    // write through it reports that), or no /proc: this range goes through the cache.
    if ((error as { code?: string }).code !== "ENOENT") isDirectPossible = false;
    return null;
  }
  const file = { directFd, pending: new Set<Promise<void>>() };
  open.set(fd, file);
  return file;
}

/** Waits for the direct writes of `fd` and closes its direct descriptor; throws the first write's error. */
async function settle(fd: number): Promise<void> {
  const file = open.get(fd);
  if (file === undefined) return;
  open.delete(fd);
  try {
    await Promise.all(file.pending);
  } finally {
    closeSync(file.directFd);
  }
}

/**
 * Writes the 4096-aligned middle of a range with O_DIRECT, through a second descriptor of the same
 * file, and the unaligned edges through the cache: they lie on other pages, so the two never
 * overlap. On the machines measured the kernel's copy of restored data into its cache was the
 * restore's largest single CPU cost (bench/RESULTS.md). The middle is written asynchronously (up
 * to DIRECT_IN_FLIGHT at once) from where it lies in the batch when that address is aligned (the
 * batch placed it so), else from an aligned copy; the returned promise settles when it is written,
 * and the batch's memory is handed back only after that. Returns null when the range is not worth it or direct writing is refused, and the
 * caller writes it through the cache.
 */
async function writeRangeDirect(fd: number, data: Uint8Array, offset: number): Promise<InFlight | null> {
  const start = Math.ceil(offset / DIRECT_ALIGNMENT) * DIRECT_ALIGNMENT;
  const end = Math.floor((offset + data.length) / DIRECT_ALIGNMENT) * DIRECT_ALIGNMENT;
  if (end - start < DIRECT_MIN_BYTES) return null;
  const file = directOf(fd);
  if (file === null) return null;
  if (start > offset) writeAllSync(fd, data.subarray(0, start - offset), offset);
  if (offset + data.length > end) writeAllSync(fd, data.subarray(end - offset), end);
  const middle = data.subarray(start - offset, end - offset);
  const scratch = isAligned(middle) ? null : takeScratch(end - start);
  scratch?.set(middle);
  const source = scratch === null ? middle : scratch.subarray(0, end - start);
  await slot();
  const written = writeAll(file.directFd, source, start)
    .catch((error: unknown) => {
      // EINVAL: the file system takes the flag but not the write; this range goes through the cache.
      if ((error as { code?: string }).code !== "EINVAL") throw error;
      isDirectPossible = false;
      writeAllSync(fd, source, start);
    })
    .finally(() => {
      if (scratch !== null) scratchFree.push(scratch);
      freeSlot();
    });
  file.pending.add(written);
  // A failure is the batch's to report (it awaits `written`); the finish of the file sees it again.
  written.then(() => file.pending.delete(written), () => undefined);
  return { written };
}

/** A write still in flight (wrapped: an async function's result would otherwise wait for it). */
interface InFlight {
  written: Promise<void>;
}

/** Runs one job; a range may return its direct write still in flight. */
async function run(job: WriterJob): Promise<InFlight | null> {
  switch (job.kind) {
    case "whole":
      posix.writeFileAt(job.fsPath, job.data, job.mode, job.uid, job.gid, job.setOwner, job.atimeSec, job.atimeNsec, job.mtimeSec, job.mtimeNsec);
      return null;
    case "range": {
      if (broken.has(job.fd)) return null;
      const written = isDirectPossible ? await writeRangeDirect(job.fd, job.data, job.offset) : null;
      if (written === null) writeAllSync(job.fd, job.data, job.offset);
      return written;
    }
    case "release":
      // The restorer keeps the file aside (or drops it) and closes it itself; an error of a write
      // in flight changes nothing about that, and was reported with its batch.
      broken.delete(job.fd);
      await settle(job.fd).catch(() => undefined);
      return null;
    case "finish":
      try {
        await settle(job.fd);
        if (broken.has(job.fd)) throw new Error("an earlier write failed");
        if (job.truncate >= 0) ftruncateSync(job.fd, job.truncate);
        if (job.setOwner) fchownSync(job.fd, job.uid, job.gid);
        fchmodSync(job.fd, job.mode);
        posix.futimens(job.fd, job.atimeSec, job.atimeNsec, job.mtimeSec, job.mtimeNsec);
      } finally {
        broken.delete(job.fd);
        posix.closeFd(job.fd);
      }
      return null;
  }
}

function failureOf(job: WriterJob, error: unknown): JobFailure {
  if (job.kind === "range") broken.add(job.fd);
  const e = error as { code?: string; message?: string };
  return {
    fsPath: Buffer.from(job.fsPath), code: e.code ?? "EIO", message: e.message ?? String(error),
    job: job.kind === "whole" ? { ...job, fsPath: Buffer.from(job.fsPath), data: Buffer.from(job.data) } : null,
  };
}

/**
 * Runs a batch's jobs in order (a batch starts after the one before has started all of its own,
 * so a file's finish always comes after its ranges) and resolves when its direct writes are done.
 */
async function runBatch(batch: ArrayBuffer, start: number, length: number, failures: JobFailure[]): Promise<Array<Promise<void>>> {
  const writes: Array<Promise<void>> = [];
  for (const job of unpackJobs(Buffer.from(batch, start), length)) {
    try {
      const inFlight = await run(job);
      if (inFlight !== null) writes.push(inFlight.written.catch((error: unknown) => void failures.push(failureOf(job, error))));
    } catch (error) {
      failures.push(failureOf(job, error));
    }
  }
  return writes;
}

/** Batches are started in order and counted done in order. */
let started: Promise<unknown> = Promise.resolve();
let finished: Promise<unknown> = Promise.resolve();

parentPort!.on("message", (message: { batch: ArrayBuffer; start: number; length: number }) => {
  const failures: JobFailure[] = [];
  const issued = started.then(() => runBatch(message.batch, message.start, message.length, failures));
  started = issued;
  const report = (): void => {
    // The batch buffer goes back to be reused: memory stays bounded by the batches in flight.
    results.postMessage({ failures, batch: message.batch }, [message.batch]);
    Atomics.add(done, 0, 1);
    Atomics.notify(done, 0);
  };
  finished = Promise.all([finished, issued.then((writes) => Promise.all(writes))]).then(report, (error: unknown) => {
    // Not a failure of one job (those are caught above) but of this thread: the restorer reports it.
    failures.push({ fsPath: Buffer.alloc(0), code: "EIO", message: `file-writer thread: ${String(error)}`, job: null });
    report();
  });
});
