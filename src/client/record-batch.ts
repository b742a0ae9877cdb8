/**
 * Batches of checked records (and losses) between the reader thread and the decoding thread:
 * one transferable buffer holds many records one after another, each behind a small header.
 * kind 1 = record (u32 length, f64 stream offset, record bytes); kind 2 = loss (f64 from,
 * f64 to, u32 reason length, reason UTF-8); kind 3 = damaged block (f64 position); kind 4 =
 * a block of another stream; kind 5 = a record sent beside the batch (u32 index, u32 length,
 * f64 stream offset) — large records travel in their own buffers, uncopied.
 */
export const BatchKind = { record: 1, loss: 2, damagedBlock: 3, otherStream: 4, outsideRecord: 5 } as const;

export class BatchWriter {
  readonly buffer: Buffer;
  used = 0;
  count = 0;

  constructor(buffer: Buffer) {
    this.buffer = buffer;
  }

  room(): number {
    return this.buffer.length - this.used;
  }

  record(record: Uint8Array, streamOffset: number): void {
    const b = this.buffer;
    b.writeUInt8(BatchKind.record, this.used);
    b.writeUInt32LE(record.length, this.used + 1);
    b.writeDoubleLE(streamOffset, this.used + 5);
    b.set(record, this.used + 13);
    this.used += 13 + record.length;
    this.count++;
  }

  loss(from: number, to: number, reason: string): void {
    const text = Buffer.from(reason.slice(0, 500));
    const b = this.buffer;
    b.writeUInt8(BatchKind.loss, this.used);
    b.writeDoubleLE(from, this.used + 1);
    b.writeDoubleLE(to, this.used + 9);
    b.writeUInt32LE(text.length, this.used + 17);
    text.copy(b, this.used + 21);
    this.used += 21 + text.length;
    this.count++;
  }

  outside(index: number, length: number, streamOffset: number): void {
    const b = this.buffer;
    b.writeUInt8(BatchKind.outsideRecord, this.used);
    b.writeUInt32LE(index, this.used + 1);
    b.writeUInt32LE(length, this.used + 5);
    b.writeDoubleLE(streamOffset, this.used + 9);
    this.used += 17;
    this.count++;
  }

  marker(kind: number, value: number): void {
    this.buffer.writeUInt8(kind, this.used);
    this.buffer.writeDoubleLE(value, this.used + 1);
    this.used += 9;
    this.count++;
  }
}

export type BatchEvent =
  | { kind: 1; record: Buffer; streamOffset: number }
  | { kind: 2; from: number; to: number; reason: string }
  | { kind: 3 | 4; value: number }
  | { kind: 5; index: number; length: number; streamOffset: number };

export function* readBatch(buffer: Buffer, length: number): Generator<BatchEvent> {
  let at = 0;
  while (at < length) {
    const kind = buffer.readUInt8(at);
    if (kind === BatchKind.record) {
      const n = buffer.readUInt32LE(at + 1);
      yield { kind: 1, streamOffset: buffer.readDoubleLE(at + 5), record: buffer.subarray(at + 13, at + 13 + n) };
      at += 13 + n;
    } else if (kind === BatchKind.loss) {
      const n = buffer.readUInt32LE(at + 17);
      yield { kind: 2, from: buffer.readDoubleLE(at + 1), to: buffer.readDoubleLE(at + 9), reason: buffer.toString("utf8", at + 21, at + 21 + n) };
      at += 21 + n;
    } else if (kind === BatchKind.outsideRecord) {
      yield { kind: 5, index: buffer.readUInt32LE(at + 1), length: buffer.readUInt32LE(at + 5), streamOffset: buffer.readDoubleLE(at + 9) };
      at += 17;
    } else {
      yield { kind: kind as 3 | 4, value: buffer.readDoubleLE(at + 1) };
      at += 9;
    }
  }
}
