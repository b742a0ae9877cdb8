/**
 * A sealing thread: compresses, encrypts and checksums chunk frames (format.md §4.3) so that
 * several chunks are sealed at once; the frames come and go as transferred buffers.
 */
import { parentPort, workerData } from "node:worker_threads";
import { RecordType, sealRecord, type StreamKey } from "../format/index.js";
import { nodeCodecs } from "./node-codecs.js";

const { level, compress, key, headroom } = workerData as { level: number; compress: boolean; key: StreamKey | null; headroom: number };
const codecs = nodeCodecs(level);

parentPort!.on("message", (job: { sequence: number; frame: ArrayBuffer; offset: number; length: number }) => {
  const frame = new Uint8Array(job.frame, job.offset, job.length);
  const record = sealRecord(RecordType.chunk, job.sequence, frame, { compress, key }, codecs);
  // An unchanged frame goes back as is; a new record is copied into its own buffer to transfer,
  // behind `headroom` free bytes (headroom.ts).
  const isSame = record.buffer === job.frame;
  let out: ArrayBuffer;
  let offset = 0;
  if (isSame) {
    out = job.frame;
    offset = record.byteOffset;
  } else if (headroom === 0 && record.byteOffset === 0 && record.length === record.buffer.byteLength) {
    out = record.buffer as ArrayBuffer;
  } else {
    out = new ArrayBuffer(headroom + record.length);
    new Uint8Array(out, headroom).set(record);
    offset = headroom;
  }
  // A frame that became a new record goes back too, to carry the next chunk.
  parentPort!.postMessage({ sequence: job.sequence, record: out, offset, length: record.length, frame: isSame ? null : job.frame }, isSame ? [out] : [out, job.frame]);
});
