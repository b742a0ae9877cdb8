import { DIRECT_ALIGNMENT } from "./aligned-memory.js";

/**
 * The batch format between the restorer and its file-writer threads: jobs packed one after
 * another in one transferable buffer. A job writes a whole small file, writes a range of an
 * open file, finishes an open file (size, owner, mode, times, close), or releases one that the
 * restorer closes itself (a damaged or abandoned file).
 */
export interface FileMetadata {
  mode: number;
  uid: number;
  gid: number;
  setOwner: boolean;
  atimeSec: number;
  atimeNsec: number;
  mtimeSec: number;
  mtimeNsec: number;
}

export interface SmallFileJob extends FileMetadata {
  kind: "whole";
  fsPath: Buffer;
  data: Uint8Array;
}

export interface RangeJob {
  kind: "range";
  fd: number;
  offset: number;
  data: Uint8Array;
  /** For messages. */
  fsPath: Buffer;
}

export interface FinishJob extends FileMetadata {
  kind: "finish";
  fd: number;
  /** ftruncate to this size first (sparse files, short data), or -1. */
  truncate: number;
  fsPath: Buffer;
}

/**
 * The restorer takes an open file back (to keep it aside as damaged, or to drop it): the thread
 * waits for the file's writes in flight and lets go of what it holds for it, without closing it.
 * The restorer closes the descriptor only after this job's batch is done: a descriptor number the
 * thread still knew could otherwise come back for another file, and that file's writes go astray.
 */
export interface ReleaseJob {
  kind: "release";
  fd: number;
  fsPath: Buffer;
}

export type WriterJob = SmallFileJob | RangeJob | FinishJob | ReleaseJob;

const KINDS = { whole: 0, range: 1, finish: 2, release: 3 } as const;
const HEADER = 4 + 4 + 4 + 8 + 4 + 4 + 4 + 4 + 8 + 4 + 8 + 4 + 4 + 4;

/**
 * Ranges of at least this many bytes are placed in the batch so that their bytes lie at the same
 * offset within a page of memory as within a page of the file: in a batch at an aligned address,
 * the thread then writes their aligned middle with O_DIRECT straight from the batch, with no copy.
 */
export const PLACED_RANGE_BYTES = 256 * 1024;

const NO_DATA = new Uint8Array(0);

/** The bytes a job carries (finish and release jobs carry none). */
function dataOf(job: WriterJob): Uint8Array {
  return job.kind === "whole" || job.kind === "range" ? job.data : NO_DATA;
}

/** The bytes a job takes in a batch, at most (a placed range may need up to a page less). */
export function jobSize(job: WriterJob): number {
  return HEADER + job.fsPath.length + dataOf(job).length + (isPlaced(job) ? DIRECT_ALIGNMENT - 1 : 0);
}

function isPlaced(job: WriterJob): job is RangeJob {
  return job.kind === "range" && job.data.length >= PLACED_RANGE_BYTES;
}

function metadataOf(job: WriterJob): FileMetadata {
  return job.kind === "range" || job.kind === "release" ? { mode: 0, uid: 0, gid: 0, setOwner: false, atimeSec: 0, atimeNsec: 0, mtimeSec: 0, mtimeNsec: 0 } : job;
}

/**
 * Appends a job at `offset`; returns the offset after it. A large range's bytes start at the
 * next batch offset that is congruent to its file offset modulo a page (PLACED_RANGE_BYTES).
 */
export function packJob(target: Uint8Array, view: DataView, offset: number, job: WriterJob): number {
  const m = metadataOf(job);
  const data = dataOf(job);
  const dataAt = offset + HEADER + job.fsPath.length;
  const pad = isPlaced(job) ? (((job.offset - dataAt) % DIRECT_ALIGNMENT) + DIRECT_ALIGNMENT) % DIRECT_ALIGNMENT : 0;
  view.setUint32(offset, KINDS[job.kind], true);
  view.setUint32(offset + 4, job.fsPath.length, true);
  view.setUint32(offset + 8, data.length, true);
  view.setFloat64(offset + 12, job.kind === "range" ? job.offset : job.kind === "finish" ? job.truncate : 0, true);
  view.setUint32(offset + 20, job.kind === "whole" ? 0 : job.fd, true);
  view.setUint32(offset + 24, m.mode, true);
  view.setUint32(offset + 28, m.uid, true);
  view.setUint32(offset + 32, m.gid, true);
  view.setFloat64(offset + 36, m.atimeSec, true);
  view.setUint32(offset + 44, m.atimeNsec, true);
  view.setFloat64(offset + 48, m.mtimeSec, true);
  view.setUint32(offset + 56, m.mtimeNsec, true);
  view.setUint32(offset + 60, m.setOwner ? 1 : 0, true);
  view.setUint32(offset + 64, pad, true);
  target.set(job.fsPath, offset + HEADER);
  target.set(data, dataAt + pad);
  return dataAt + pad + data.length;
}

/** Reads the jobs of a batch back, in order. */
export function* unpackJobs(batch: Buffer, length: number): Generator<WriterJob> {
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  let at = 0;
  while (at < length) {
    const kind = view.getUint32(at, true);
    const pathLength = view.getUint32(at + 4, true);
    const dataLength = view.getUint32(at + 8, true);
    const number = view.getFloat64(at + 12, true);
    const fd = view.getUint32(at + 20, true);
    const pad = view.getUint32(at + 64, true);
    const start = at + HEADER;
    const fsPath = batch.subarray(start, start + pathLength);
    const dataAt = start + pathLength + pad;
    const data = batch.subarray(dataAt, dataAt + dataLength);
    const m: FileMetadata = {
      mode: view.getUint32(at + 24, true),
      uid: view.getUint32(at + 28, true),
      gid: view.getUint32(at + 32, true),
      atimeSec: view.getFloat64(at + 36, true),
      atimeNsec: view.getUint32(at + 44, true),
      mtimeSec: view.getFloat64(at + 48, true),
      mtimeNsec: view.getUint32(at + 56, true),
      setOwner: view.getUint32(at + 60, true) === 1,
    };
    if (kind === KINDS.whole) yield { kind: "whole", fsPath, data, ...m };
    else if (kind === KINDS.range) yield { kind: "range", fd, offset: number, data, fsPath };
    else if (kind === KINDS.finish) yield { kind: "finish", fd, truncate: number, fsPath, ...m };
    else yield { kind: "release", fd, fsPath };
    at = dataAt + dataLength;
  }
}

/** A job the thread could not do: the restorer deals with it on its own thread. */
export interface JobFailure {
  fsPath: Buffer;
  code: string;
  message: string;
  /** The whole-file job, for a retry (EEXIST: replace what is there). */
  job: SmallFileJob | null;
}
