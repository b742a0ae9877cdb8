/**
 * A sealing thread: compresses, encrypts and checksums chunk frames (format.md §4.3) so that
 * several chunks are sealed at once; the frames come and go as transferred buffers.
 */
import { parentPort, workerData } from "node:worker_threads";
import { RecordType, sealRecord, type StreamKey } from "../format/index.js";
import { nodeCodecs } from "./node-codecs.js";

const { level, compress, key } = workerData as { level: number; compress: boolean; key: StreamKey | null };
const codecs = nodeCodecs(level);

parentPort!.on("message", (job: { sequence: number; frame: ArrayBuffer; length: number }) => {
  const frame = new Uint8Array(job.frame, 0, job.length);
  const record = sealRecord(RecordType.chunk, job.sequence, frame, { compress, key }, codecs);
  // An unchanged frame goes back as is; a new record is copied into its own buffer to transfer.
  const isSame = record.buffer === job.frame;
  const out = isSame ? job.frame : record.byteOffset === 0 && record.length === record.buffer.byteLength ? (record.buffer as ArrayBuffer) : record.slice().buffer;
  // A frame that became a new record goes back too, to carry the next chunk.
  parentPort!.postMessage({ sequence: job.sequence, record: out, length: record.length, frame: isSame ? null : job.frame }, isSame ? [out] : [out, job.frame]);
});
