/**
 * The reader thread of a whole-medium read: reads the medium file front to back, checks block
 * and record checksums, cuts the first stream into records (format.md §3.4, §4.1) and sends
 * them in batches. Batch buffers circulate: the decoding side sends each one back when done,
 * so at most a few are in flight.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import { bytesEqual, MediumScanner, RecordAssembler } from "../format/index.js";
import { nodeCodecs } from "./node-codecs.js";
import { BatchKind, BatchWriter } from "./record-batch.js";

const { path, blockSize, blockCount, batchBytes, batches, trustBlocks } = workerData as { path: string; blockSize: number; blockCount: number; batchBytes: number; batches: number; trustBlocks: boolean };
const codecs = nodeCodecs();
const free: ArrayBuffer[] = Array.from({ length: batches }, () => new ArrayBuffer(batchBytes));
let writer: BatchWriter | null = null;
/** Large records assembled in their own buffers, sent beside the current batch. */
let outside: ArrayBuffer[] = [];
const spareRecords: ArrayBuffer[] = [];
const RECORD_BUFFER = 1024 * 1024 + 64 * 1024;

function takeBuffer(): Buffer {
  for (;;) {
    const spare = free.pop();
    if (spare !== undefined) return Buffer.from(spare);
    // Wait (blocking this thread only) for the decoding side to hand a batch back.
    const m = receiveMessageOnPort(parentPort!);
    if (m !== undefined) takeBack(m.message as { give: ArrayBuffer; records: ArrayBuffer[] });
    else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
  }
}

function takeBack(message: { give: ArrayBuffer; records: ArrayBuffer[] }): void {
  free.push(message.give);
  for (const r of message.records) if (r.byteLength === RECORD_BUFFER) spareRecords.push(r);
}

function allocateRecord(size: number): Uint8Array {
  if (size > RECORD_BUFFER) return Buffer.allocUnsafeSlow(size);
  for (let m = receiveMessageOnPort(parentPort!); m !== undefined; m = receiveMessageOnPort(parentPort!)) takeBack(m.message as { give: ArrayBuffer; records: ArrayBuffer[] });
  const spare = spareRecords.pop();
  return spare !== undefined ? new Uint8Array(spare) : Buffer.allocUnsafeSlow(RECORD_BUFFER);
}

function send(): void {
  if (writer === null || writer.count === 0) return;
  const buffer = writer.buffer.buffer as ArrayBuffer;
  parentPort!.postMessage({ batch: buffer, length: writer.used, records: outside }, [buffer, ...outside]);
  writer = null;
  outside = [];
}

function emit(record: Uint8Array, offset: number): void {
  // A record in its own buffer (spanning blocks) travels as is; small ones are copied in.
  if (record.byteOffset === 0 && record.buffer.byteLength >= RECORD_BUFFER) {
    const w = room(17);
    w.outside(outside.length, record.length, offset);
    outside.push(record.buffer as ArrayBuffer);
    if (outside.length >= 8) send();
    return;
  }
  room(13 + record.length).record(record, offset);
}

function room(bytes: number): BatchWriter {
  if (writer !== null && writer.room() < bytes) send();
  if (writer === null) {
    const buffer = takeBuffer();
    writer = new BatchWriter(buffer.length >= bytes ? buffer : Buffer.alloc(bytes));
  }
  return writer;
}

let streamId: Uint8Array | null = null;
let assembler: RecordAssembler | null = null;
const scanner = new MediumScanner({
  label: () => {},
  damaged: (position) => {
    room(16).marker(BatchKind.damagedBlock, position);
    assembler?.markGap(`block ${position} is damaged`);
  },
  block: (header, payload) => {
    if (streamId === null) {
      streamId = header.streamId;
      assembler = new RecordAssembler(
        {
          record: (record, _h, offset) => emit(record, offset),
          loss: (l) => room(600).loss(l.fromOffset, l.toOffset, l.reason),
        },
        codecs,
        { streamOffset: header.streamOffset, atRecordStart: header.streamOffset === 0, allocate: allocateRecord, trustBlocks: trustBlocks },
      );
    } else if (!bytesEqual(header.streamId, streamId)) {
      room(16).marker(BatchKind.otherStream, 0);
      return;
    }
    assembler!.push({ streamOffset: header.streamOffset, payload, firstRecordOffset: header.firstRecordOffset });
  },
}, codecs.checksum);

const fd = openSync(path, "r");
const perRead = Math.max(1, Math.floor((4 * 1024 * 1024) / blockSize));
const buffer = Buffer.allocUnsafe(perRead * blockSize);
for (let at = 0; at < blockCount; at += perRead) {
  const count = Math.min(perRead, blockCount - at);
  const n = readSync(fd, buffer, 0, count * blockSize, at * blockSize);
  for (let i = 0; i < count; i++) {
    const block = buffer.subarray(i * blockSize, (i + 1) * blockSize);
    if ((i + 1) * blockSize > n) block.fill(0, Math.max(0, n - i * blockSize));
    scanner.push(block, at + i);
  }
}
(assembler as RecordAssembler | null)?.end();
closeSync(fd);
send();
parentPort!.postMessage({ end: true, blocks: blockCount });
