import { Worker } from "node:worker_threads";
import { type Codecs, headroomOf, type RecordSink, RecordType, reserveHeadroom, sealRecord, type SealOptions, StreamLedger } from "../format/index.js";
import { InFlight } from "./in-flight.js";

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
  #turn = 0;
  readonly #flight: InFlight;

  /**
   * `recycle` gets back chunk frames the threads are done with; `headroom`: free bytes the
   * threads keep in front of new records (headroom.ts), as the frames have.
   */
  constructor(threads: number, level: number, codecs: Codecs, options: SealOptions, onRecord: (record: Uint8Array) => void, recycle: (frame: ArrayBuffer) => void = () => {}, headroom = 0) {
    this.#codecs = codecs;
    this.#onRecord = onRecord;
    this.ledger = new StreamLedger(codecs.sha256(options.key?.chunkKey));
    this.#flight = new InFlight(2 * threads);
    this.#workers = Array.from({ length: threads }, () => {
      const worker = new Worker(new URL("./seal-worker.js", import.meta.url), { workerData: { level, compress: options.compress, key: options.key, headroom } });
      worker.on("message", (m: { sequence: number; record: ArrayBuffer; offset: number; length: number; frame: ArrayBuffer | null }) => {
        if (m.frame !== null) recycle(m.frame);
        const record = new Uint8Array(m.record, m.offset, m.length);
        // The thread keeps the bytes in front free (headroom.ts); the moved memory is registered anew.
        if (m.offset > 0) reserveHeadroom(record);
        this.#arrive(m.sequence, record);
      });
      worker.on("error", (error) => this.#flight.fail(error));
      return worker;
    });
  }

  get isBusy(): boolean {
    return this.#flight.isBusy;
  }

  put(type: number, sequence: number, frame: Uint8Array): void {
    this.#flight.check();
    this.#flight.put++;
    // A chunk frame moves to a thread with its memory, which must then be its own: at the start, or behind its headroom.
    if (type !== RecordType.chunk || (frame.byteOffset !== 0 && headroomOf(frame) === 0)) {
      this.#arrive(sequence, sealRecord(type, sequence, frame, { compress: false, key: null }, this.#codecs));
      return;
    }
    const worker = this.#workers[this.#turn++ % this.#workers.length]!;
    const buffer = frame.buffer as ArrayBuffer;
    worker.postMessage({ sequence, frame: buffer, offset: frame.byteOffset, length: frame.length }, [buffer]);
  }

  #arrive(sequence: number, record: Uint8Array): void {
    this.#ready.set(sequence, record);
    try {
      for (let r = this.#ready.get(this.#flight.done); r !== undefined; r = this.#ready.get(this.#flight.done)) {
        this.#ready.delete(this.#flight.done++);
        this.ledger.append(r);
        this.#onRecord(r);
      }
    } catch (error) {
      this.#flight.fail(error);
    }
    this.#flight.wake();
  }

  /** Resolves when the producer may go on (fewer chunks in flight). */
  ready(): Promise<void> {
    return this.#flight.ready();
  }

  drain(): Promise<void> {
    return this.#flight.drain();
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
