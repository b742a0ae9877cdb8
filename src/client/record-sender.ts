import { BugError } from "../errors/index.js";

/**
 * Hands sealed records to an asynchronous `send`, one at a time, in the order they came, and
 * gives each record's memory back (`recycle`) once its send resolved. The producer puts records
 * synchronously (from a sealing sink) and waits on ready() while more than `limitBytes` are
 * queued: that is the network's backpressure.
 *
 * Invariants: 1. at most one send is pending; 2. records are sent in put order; 3. after the
 * first failed send (or abort) nothing more is sent, and put(), ready() and drain() throw that failure.
 */
export class RecordSender {
  readonly #send: (record: Uint8Array) => void | Promise<void>;
  readonly #recycle: (memory: ArrayBufferLike) => void;
  readonly #limitBytes: number;
  readonly #queue: Uint8Array[] = [];
  #head = 0;
  #queuedBytes = 0;
  #isPumping = false;
  #error: Error | null = null;
  #waiters: Array<() => void> = [];
  #sent = 0;

  constructor(send: (record: Uint8Array) => void | Promise<void>, recycle: (memory: ArrayBufferLike) => void, limitBytes = 8 * 1024 * 1024) {
    this.#send = send;
    this.#recycle = recycle;
    this.#limitBytes = limitBytes;
  }

  /** Records handed to send and resolved. */
  get sent(): number {
    return this.#sent;
  }

  get isBusy(): boolean {
    return this.#queuedBytes > this.#limitBytes;
  }

  put(record: Uint8Array): void {
    if (this.#error !== null) throw this.#error;
    this.#queue.push(record);
    this.#queuedBytes += record.length;
    if (!this.#isPumping) void this.#pump();
  }

  /** Stops: records not yet sent are dropped, and put(), ready() and drain() throw `reason` from now on. */
  abort(reason: Error): void {
    this.#error ??= reason;
    this.#queue.length = 0;
    this.#head = 0;
    this.#queuedBytes = 0;
    this.#wake();
  }

  async #pump(): Promise<void> {
    this.#isPumping = true;
    try {
      while (this.#head < this.#queue.length && this.#error === null) {
        const record = this.#queue[this.#head]!;
        await this.#send(record);
        if (this.#error !== null) break; // aborted meanwhile: the queue is gone
        this.#queue[this.#head++] = EMPTY;
        this.#queuedBytes -= record.length;
        this.#sent++;
        this.#recycle(record.buffer);
        if (this.#head > 1024) this.#compact();
        this.#wake();
      }
      this.#compact();
    } catch (error) {
      this.#error = error instanceof Error ? error : new BugError(`send failed with a non-error: ${String(error)}`);
    } finally {
      this.#isPumping = false;
      this.#wake();
    }
  }

  #compact(): void {
    this.#queue.splice(0, this.#head);
    this.#head = 0;
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  async #until(isDone: () => boolean): Promise<void> {
    while (!isDone() && this.#error === null) await new Promise<void>((wake) => this.#waiters.push(wake));
    if (this.#error !== null) throw this.#error;
  }

  /** Resolves when no more than the limit is queued. */
  ready(): Promise<void> {
    return this.#until(() => !this.isBusy);
  }

  /** Resolves when every record put so far was sent. */
  drain(): Promise<void> {
    return this.#until(() => this.#head >= this.#queue.length && !this.#isPumping);
  }
}

const EMPTY = new Uint8Array(0);
