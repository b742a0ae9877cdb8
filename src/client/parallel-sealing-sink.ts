import { Worker } from "node:worker_threads";
import { type Codecs, type RecordSink, RecordType, sealRecord, type SealOptions, StreamLedger } from "../format/index.js";

/**
 * A record sink that seals chunks on several threads and passes the records on in sequence
 * order (format.md §4.1: sequence numbers without gaps). HEAD and TRAILER are sealed here.
 *
 * Invariants: 1. onRecord sees records in sequence order; 2. at most `2 × threads` chunks are
 * in flight, so memory stays bounded; 3. drain() resolves only when every record put was passed on.
 */
export class ParallelSealingSink implements RecordSink {
  readonly ledger: StreamLedger;
  readonly #workers: Worker[];
  readonly #codecs: Codecs;
  readonly #onRecord: (record: Uint8Array) => void;
  readonly #ready = new Map<number, Uint8Array>();
  #next = 0;
  #put = 0;
  #turn = 0;
  #waiters: Array<() => void> = [];
  #error: Error | null = null;

  /** `recycle` gets back chunk frames the threads are done with. */
  constructor(threads: number, level: number, codecs: Codecs, options: SealOptions, onRecord: (record: Uint8Array) => void, recycle: (frame: ArrayBuffer) => void = () => {}) {
    this.#codecs = codecs;
    this.#onRecord = onRecord;
    this.ledger = new StreamLedger(codecs.sha256(options.key?.chunkKey));
    this.#workers = Array.from({ length: threads }, () => {
      const worker = new Worker(new URL("./seal-worker.js", import.meta.url), { workerData: { level, compress: options.compress, key: options.key } });
      worker.on("message", (m: { sequence: number; record: ArrayBuffer; length: number; frame: ArrayBuffer | null }) => {
        if (m.frame !== null) recycle(m.frame);
        this.#arrive(m.sequence, new Uint8Array(m.record, 0, m.length));
      });
      worker.on("error", (error) => this.#fail(error));
      return worker;
    });
  }

  get isBusy(): boolean {
    return this.#put - this.#next >= 2 * this.#workers.length;
  }

  put(type: number, sequence: number, frame: Uint8Array): void {
    if (this.#error !== null) throw this.#error;
    this.#put++;
    if (type !== RecordType.chunk || frame.byteOffset !== 0) {
      this.#arrive(sequence, sealRecord(type, sequence, frame, { compress: false, key: null }, this.#codecs));
      return;
    }
    const worker = this.#workers[this.#turn++ % this.#workers.length]!;
    const buffer = frame.buffer as ArrayBuffer;
    worker.postMessage({ sequence, frame: buffer, length: frame.length }, [buffer]);
  }

  #arrive(sequence: number, record: Uint8Array): void {
    this.#ready.set(sequence, record);
    try {
      for (let r = this.#ready.get(this.#next); r !== undefined; r = this.#ready.get(this.#next)) {
        this.#ready.delete(this.#next++);
        this.ledger.append(r);
        this.#onRecord(r);
      }
    } catch (error) {
      this.#fail(error instanceof Error ? error : new Error(String(error)));
    }
    for (const wake of this.#waiters.splice(0)) wake();
  }

  #fail(error: Error): void {
    this.#error ??= error;
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Resolves when the producer may go on (fewer chunks in flight). */
  async ready(): Promise<void> {
    while (this.isBusy && this.#error === null) await new Promise<void>((wake) => this.#waiters.push(wake));
    if (this.#error !== null) throw this.#error;
  }

  async drain(): Promise<void> {
    while (this.#next < this.#put && this.#error === null) await new Promise<void>((wake) => this.#waiters.push(wake));
    if (this.#error !== null) throw this.#error;
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
