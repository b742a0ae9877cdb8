import { Worker } from "node:worker_threads";
import { type Codecs, type RecordSink, type SealOptions, StreamLedger } from "../format/index.js";
import { InFlight } from "./in-flight.js";

/**
 * A record sink whose one thread seals and packs every record into blocks: the calling thread
 * only hands over frames and passes the finished blocks on, in order (one thread keeps them in
 * order by itself). At most four records are in flight.
 */
export class PackingSealingSink implements RecordSink {
  readonly ledger: StreamLedger;
  readonly #worker: Worker;
  readonly #flight = new InFlight(4);
  #returned: ArrayBuffer[] = [];

  constructor(
    level: number,
    codecs: Codecs,
    options: SealOptions & { mediumId: Uint8Array; streamId: Uint8Array; blockSize: number; aligned: boolean },
    onBlock: (block: Uint8Array) => void,
    recycle: (frame: ArrayBuffer) => void,
  ) {
    this.ledger = new StreamLedger(codecs.sha256(options.key?.chunkKey));
    this.#worker = new Worker(new URL("./packing-seal-worker.js", import.meta.url), {
      workerData: { level, compress: options.compress, key: options.key, mediumId: options.mediumId, streamId: options.streamId, blockSize: options.blockSize, aligned: options.aligned },
    });
    // Blocks arrive as views: each at its place in its own (moved, not copied) memory.
    this.#worker.on("message", (m: { type: number; length: number; checksum: Uint8Array; blocks: Uint8Array[]; frame: ArrayBuffer }) => {
      try {
        this.ledger.appendSealed(m.type, m.length, m.checksum);
        for (const b of m.blocks) onBlock(b);
        recycle(m.frame);
        this.#flight.done++;
      } catch (error) {
        this.#flight.fail(error);
      }
      this.#flight.wake();
    });
    this.#worker.on("error", (error) => this.#flight.fail(error));
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
    return this.#flight.isBusy;
  }

  put(type: number, sequence: number, frame: Uint8Array): void {
    this.#flight.check();
    this.#flight.put++;
    // Frames are whole buffers of their own (the encoder's allocations), so they can move.
    const buffer = frame.byteOffset === 0 ? (frame.buffer as ArrayBuffer) : frame.slice().buffer;
    this.#worker.postMessage({ type, sequence, frame: buffer, length: frame.length }, [buffer]);
  }

  ready(): Promise<void> {
    return this.#flight.ready();
  }

  drain(): Promise<void> {
    return this.#flight.drain();
  }

  async close(): Promise<void> {
    await this.#worker.terminate();
  }
}
