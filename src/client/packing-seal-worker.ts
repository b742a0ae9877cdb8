/**
 * A sealing-and-packing thread: seals every record of a stream (format.md §4.1) and packs it into
 * blocks (§3.2) at once, so the thread that reads files only reads them. Blocks go back as
 * views of transferred buffers (at aligned addresses for a file written with O_DIRECT); written
 * ones come back to be reused.
 */
import { parentPort, workerData } from "node:worker_threads";
import { BlockPacker, RecordType, sealRecord, type StreamKey } from "../format/index.js";
import { BlockMemory } from "./aligned-memory.js";
import { nodeCodecs } from "./node-codecs.js";

const { level, compress, key, mediumId, streamId, blockSize, aligned } = workerData as {
  level: number; compress: boolean; key: StreamKey | null; mediumId: Uint8Array; streamId: Uint8Array; blockSize: number; aligned: boolean;
};
const codecs = nodeCodecs(level);
const memory = new BlockMemory(blockSize, aligned);
const free: ArrayBuffer[] = [];
let out: Uint8Array[] = [];
let nextBlock = 1;
const packer = new BlockPacker({
  mediumId, streamId, blockSize, checksum: codecs.checksum,
  nextBlockNumber: () => nextBlock++,
  emit: (block) => void out.push(block),
  allocate: (size) => {
    if (size !== blockSize) return Buffer.allocUnsafeSlow(size);
    const spare = free.pop();
    return spare !== undefined ? memory.view(spare) : memory.allocate();
  },
});

parentPort!.on("message", (job: { type: number; sequence: number; frame: ArrayBuffer; length: number } | { give: ArrayBuffer[] }) => {
  if ("give" in job) {
    for (const b of job.give) if (memory.fits(b) && free.length < 256) free.push(b);
    return;
  }
  const frame = new Uint8Array(job.frame, 0, job.length);
  // The record's checksum is written as it is packed: one pass over its bytes for it and its blocks.
  const options = job.type === RecordType.chunk ? { compress, key, deferChecksum: true } : { compress: false, key: null, deferChecksum: true };
  const record = sealRecord(job.type, job.sequence, frame, options, codecs);
  packer.appendSealing(record);
  const blocks = out;
  out = [];
  parentPort!.postMessage(
    { sequence: job.sequence, type: job.type, length: record.length, checksum: record.slice(20, 24), blocks, frame: job.frame },
    [...blocks.map((block) => block.buffer as ArrayBuffer), job.frame],
  );
});
