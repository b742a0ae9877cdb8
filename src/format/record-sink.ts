import type { Codecs } from "./codecs.js";
import { RecordType, sealRecord, type SealOptions } from "./record.js";
import { StreamLedger } from "./stream-ledger.js";

/**
 * Where a StreamEncoder puts its records. The sink seals each frame (24 bytes of room for the
 * header, then the plain body) and passes the records on in sequence order.
 */
export interface RecordSink {
  put(type: number, sequence: number, frame: Uint8Array): void;
  /** Resolves once every record put so far is sealed and passed on. */
  drain(): Promise<void>;
  /** True while the sink wants the producer to wait for drain(). */
  readonly isBusy: boolean;
  readonly ledger: StreamLedger;
}

/** A sink that seals on the calling thread. HEAD and TRAILER are never compressed or encrypted. */
export class SealingSink implements RecordSink {
  readonly ledger: StreamLedger;
  readonly #codecs: Codecs;
  readonly #options: SealOptions;
  readonly #onRecord: (record: Uint8Array) => void;

  constructor(codecs: Codecs, options: SealOptions, onRecord: (record: Uint8Array) => void) {
    this.#codecs = codecs;
    this.#options = options;
    this.#onRecord = onRecord;
    this.ledger = new StreamLedger(codecs.sha256(options.key?.chunkKey));
  }

  get isBusy(): boolean {
    return false;
  }

  put(type: number, sequence: number, frame: Uint8Array): void {
    const options = type === RecordType.chunk ? this.#options : { compress: false, key: null };
    const record = sealRecord(type, sequence, frame, options, this.#codecs);
    this.ledger.append(record);
    this.#onRecord(record);
  }

  drain(): Promise<void> {
    return Promise.resolve();
  }
}
