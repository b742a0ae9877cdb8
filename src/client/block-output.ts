import { closeSync, fsyncSync, writev } from "node:fs";
import type { Writable } from "node:stream";
import { clientError, errnoCode, reasonOf } from "./errors.js";

const BATCH_BYTES = 4 * 1024 * 1024;
const MAX_IN_FLIGHT = 2;

/** Where finished blocks go: batched into large writes. */
export interface BlockOutput {
  write(block: Uint8Array): void;
  /** True when the caller should await ready() before producing more. */
  readonly isBusy: boolean;
  ready(): Promise<void>;
  close(): Promise<void>;
  readonly bytesWritten: number;
}

function writeError(what: string, error: unknown): Error {
  const code = errnoCode(error);
  if (code === "ENOSPC" || code === "EDQUOT") return clientError("CLIENT_NO_SPACE", `Cannot write ${what}: no space left on device`, {}, error);
  return clientError("CLIENT_WRITE_FAILED", `Cannot write ${what}: ${reasonOf(error)}`, {}, error);
}

/** Collects blocks until there are enough for one large write. */
class BlockBatch {
  blocks: Uint8Array[] = [];
  bytes = 0;
  /** Bytes handed out by take() so far. */
  taken = 0;

  /** Adds a block; true when the batch is full. */
  add(block: Uint8Array): boolean {
    this.blocks.push(block);
    this.bytes += block.length;
    return this.bytes >= BATCH_BYTES;
  }

  /** Empties the batch and returns what it held. */
  take(): { blocks: Uint8Array[]; bytes: number } {
    const taken = { blocks: this.blocks, bytes: this.bytes };
    this.taken += this.bytes;
    this.blocks = [];
    this.bytes = 0;
    return taken;
  }

  get total(): number {
    return this.taken + this.bytes;
  }
}

/**
 * Writes blocks to a file descriptor with writev, a few MiB at a time, on libuv's thread pool
 * so that the caller goes on reading files meanwhile; at most two writes are in flight.
 */
export class FileBlockOutput implements BlockOutput {
  readonly #fd: number;
  readonly #what: string;
  readonly #batch = new BlockBatch();
  #position = 0;
  #inFlight = 0;
  #error: Error | null = null;
  #waiters: Array<() => void> = [];

  readonly #recycle: ((memory: ArrayBufferLike) => void) | null;

  /** `recycle` gets each block's memory back once it is written. */
  constructor(fd: number, what: string, recycle: ((memory: ArrayBufferLike) => void) | null = null) {
    this.#fd = fd;
    this.#what = what;
    this.#recycle = recycle;
  }

  get isBusy(): boolean {
    return this.#inFlight >= MAX_IN_FLIGHT;
  }

  get bytesWritten(): number {
    return this.#batch.total;
  }

  write(block: Uint8Array): void {
    if (this.#error !== null) throw this.#error;
    if (this.#batch.add(block)) this.#flush();
  }

  #flush(): void {
    if (this.#batch.bytes === 0) return;
    const { blocks, bytes } = this.#batch.take();
    const position = this.#position;
    this.#position += bytes;
    this.#inFlight++;
    this.#writeAll(blocks, position, () => {
      this.#inFlight--;
      if (this.#recycle !== null) for (const block of blocks) this.#recycle(block.buffer);
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  #writeAll(blocks: Uint8Array[], position: number, done: () => void): void {
    writev(this.#fd, blocks.slice(0, 1024), position, (error, n) => {
      if (error !== null) {
        this.#error ??= writeError(this.#what, error);
        done();
        return;
      }
      // A short write: drop what went out and write the rest.
      let rest = blocks;
      let left = n;
      while (left > 0 && rest.length > 0) {
        const first = rest[0]!;
        if (left >= first.length) {
          left -= first.length;
          rest = rest.slice(1);
        } else {
          rest = [first.subarray(left), ...rest.slice(1)];
          left = 0;
        }
      }
      if (rest.length > 0) this.#writeAll(rest, position + n, done);
      else done();
    });
  }

  async ready(): Promise<void> {
    while (this.#inFlight >= MAX_IN_FLIGHT && this.#error === null) await new Promise<void>((wake) => this.#waiters.push(wake));
    if (this.#error !== null) throw this.#error;
  }

  async close(): Promise<void> {
    this.#flush();
    while (this.#inFlight > 0) await new Promise<void>((wake) => this.#waiters.push(wake));
    if (this.#error !== null) throw this.#error;
    try {
      fsyncSync(this.#fd);
    } catch (error) {
      if (errnoCode(error) !== "EINVAL" && errnoCode(error) !== "EROFS") throw writeError(this.#what, error);
    }
    closeSync(this.#fd);
  }
}

/** Writes blocks to a stream (standard output), honouring its backpressure. */
export class StreamBlockOutput implements BlockOutput {
  readonly #stream: Writable;
  readonly #what: string;
  readonly #batch = new BlockBatch();
  #isBusy = false;
  #error: Error | null = null;

  constructor(stream: Writable, what: string) {
    this.#stream = stream;
    this.#what = what;
    stream.on("error", (error) => (this.#error = writeError(this.#what, error)));
  }

  get isBusy(): boolean {
    return this.#isBusy;
  }

  get bytesWritten(): number {
    return this.#batch.total;
  }

  write(block: Uint8Array): void {
    if (this.#error !== null) throw this.#error;
    if (this.#batch.add(block)) this.#flush();
  }

  #flush(): void {
    if (this.#batch.bytes === 0) return;
    const { blocks } = this.#batch.take();
    // Corked writes go out as one writev on pipes and sockets: no copy into one big buffer.
    this.#stream.cork();
    let isFull = false;
    for (const block of blocks) isFull = !this.#stream.write(block) || isFull;
    this.#stream.uncork();
    if (isFull) this.#isBusy = true;
  }

  async ready(): Promise<void> {
    if (this.#error !== null) throw this.#error;
    if (!this.#isBusy) return;
    await new Promise<void>((resolveReady) => this.#stream.once("drain", resolveReady));
    this.#isBusy = false;
    this.#throwIfFailed();
  }

  #throwIfFailed(): void {
    if (this.#error !== null) throw this.#error;
  }

  async close(): Promise<void> {
    this.#flush();
    await new Promise<void>((resolveEnd, reject) => {
      this.#stream.once("error", reject);
      this.#stream.end(() => resolveEnd());
    });
    if (this.#error !== null) throw this.#error;
  }
}
