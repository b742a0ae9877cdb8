/**
 * The batch format between the restorer and its file-writer threads: small files packed one
 * after another in one transferable buffer (path, data, mode, owner, times).
 */
export interface SmallFileJob {
  fsPath: Buffer;
  data: Uint8Array;
  mode: number;
  uid: number;
  gid: number;
  setOwner: boolean;
  atimeSec: number;
  atimeNsec: number;
  mtimeSec: number;
  mtimeNsec: number;
}

const FIXED = 4 + 4 + 4 + 4 + 4 + 4 + 8 + 4 + 8 + 4;

export function jobSize(job: SmallFileJob): number {
  return FIXED + job.fsPath.length + job.data.length;
}

/** Appends a job at `offset`; returns the offset after it. */
export function packJob(target: Uint8Array, view: DataView, offset: number, job: SmallFileJob): number {
  view.setUint32(offset, job.fsPath.length, true);
  view.setUint32(offset + 4, job.data.length, true);
  view.setUint32(offset + 8, job.mode, true);
  view.setUint32(offset + 12, job.uid, true);
  view.setUint32(offset + 16, job.gid, true);
  view.setUint32(offset + 20, job.setOwner ? 1 : 0, true);
  view.setFloat64(offset + 24, job.atimeSec, true);
  view.setUint32(offset + 32, job.atimeNsec, true);
  view.setFloat64(offset + 36, job.mtimeSec, true);
  view.setUint32(offset + 44, job.mtimeNsec, true);
  target.set(job.fsPath, offset + FIXED);
  target.set(job.data, offset + FIXED + job.fsPath.length);
  return offset + FIXED + job.fsPath.length + job.data.length;
}

/** Reads the jobs of a batch back, in order. */
export function* unpackJobs(batch: Buffer, length: number): Generator<SmallFileJob> {
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  let at = 0;
  while (at < length) {
    const pathLength = view.getUint32(at, true);
    const dataLength = view.getUint32(at + 4, true);
    const start = at + FIXED;
    yield {
      fsPath: batch.subarray(start, start + pathLength),
      data: batch.subarray(start + pathLength, start + pathLength + dataLength),
      mode: view.getUint32(at + 8, true),
      uid: view.getUint32(at + 12, true),
      gid: view.getUint32(at + 16, true),
      setOwner: view.getUint32(at + 20, true) === 1,
      atimeSec: view.getFloat64(at + 24, true),
      atimeNsec: view.getUint32(at + 32, true),
      mtimeSec: view.getFloat64(at + 36, true),
      mtimeNsec: view.getUint32(at + 44, true),
    };
    at = start + pathLength + dataLength;
  }
}

/** A file the thread could not write: the restorer deals with it on its own thread. */
export interface JobFailure {
  fsPath: Buffer;
  code: string;
  message: string;
  /** The job, for a retry (EEXIST: replace what is there). */
  job: SmallFileJob;
}
