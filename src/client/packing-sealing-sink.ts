import { Worker } from "node:worker_threads";
import { type Codecs, type RecordSink, type SealOptions, StreamLedger } from "../format/index.js";

/**
 * A record sink whose one thread seals and packs every record into blocks: the calling thread
 * only hands over frames and passes the finished blocks on, in order (one thread keeps them in
 * order by itself). At most four records are in flight.
 */
export class PackingSealingSink implements RecordSink {
  readonly ledger: StreamLedger;
  readonly #worker: Worker;
  #put = 0;
  #done = 0;
  #waiters: Array<() => void> = [];
  #error: Error | null = null;
  #returned: ArrayBuffer[] = [];

  constructor(
    level: number,
    codecs: Codecs,
    options: SealOptions & { mediumId: Uint8Array; streamId: Uint8Array; blockSize: number },
    onBlock: (block: Uint8Array) => void,
    recycle: (frame: ArrayBuffer) => void,
  ) {
    this.ledger = new StreamLedger(codecs.sha256(options.key?.chunkKey));
    this.#worker = new Worker(new URL("./packing-seal-worker.js", import.meta.url), {
      workerData: { level, compress: options.compress, key: options.key, mediumId: options.mediumId, streamId: options.streamId, blockSize: options.blockSize },
    });
    this.#worker.on("message", (m: { type: number; length: number; checksum: Uint8Array; blocks: ArrayBuffer[]; frame: ArrayBuffer }) => {
      try {
        this.ledger.appendSealed(m.type, m.length, m.checksum);
        for (const b of m.blocks) onBlock(new Uint8Array(b));
        recycle(m.frame);
        this.#done++;
      } catch (error) {
        this.#fail(error instanceof Error ? error : new Error(String(error)));
      }
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.#worker.on("error", (error) => this.#fail(error));
  }

  /** Gives written blocks back to the thread for reuse. */
  giveBack(block: ArrayBufferLike): void {
    if (!(block instanceof ArrayBuffer)) return;
    this.#returned.push(block);
    if (this.#returned.length >= 64) {
      const give = this.#returned;
      this.#returned = [];
      this.#worker.postMessage({ give }, give);
    }
  }

  get isBusy(): boolean {
    return this.#put - this.#done >= 4;
  }

  put(type: number, sequence: number, frame: Uint8Array): void {
    if (this.#error !== null) throw this.#error;
    this.#put++;
    // Frames are whole buffers of their own (the encoder's allocations), so they can move.
    const buffer = frame.byteOffset === 0 ? (frame.buffer as ArrayBuffer) : frame.slice().buffer;
    this.#worker.postMessage({ type, sequence, frame: buffer, length: frame.length }, [buffer]);
  }

  #fail(error: Error): void {
    this.#error ??= error;
    for (const wake of this.#waiters.splice(0)) wake();
  }

  async ready(): Promise<void> {
    while (this.isBusy && this.#error === null) await new Promise<void>((wake) => this.#waiters.push(wake));
    if (this.#error !== null) throw this.#error;
  }

  async drain(): Promise<void> {
    while (this.#done < this.#put && this.#error === null) await new Promise<void>((wake) => this.#waiters.push(wake));
    if (this.#error !== null) throw this.#error;
  }

  async close(): Promise<void> {
    await this.#worker.terminate();
  }
}
