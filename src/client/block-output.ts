import { closeSync, fsyncSync, writevSync } from "node:fs";
import type { Writable } from "node:stream";
import { clientError, errnoCode, reasonOf } from "./errors.js";

const BATCH_BYTES = 4 * 1024 * 1024;

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

/** Writes blocks to a file descriptor with writev, a few MiB at a time. */
export class FileBlockOutput implements BlockOutput {
  readonly #fd: number;
  readonly #what: string;
  #batch: Uint8Array[] = [];
  #batchBytes = 0;
  #written = 0;

  constructor(fd: number, what: string) {
    this.#fd = fd;
    this.#what = what;
  }

  get isBusy(): boolean {
    return false;
  }

  get bytesWritten(): number {
    return this.#written + this.#batchBytes;
  }

  write(block: Uint8Array): void {
    this.#batch.push(block);
    this.#batchBytes += block.length;
    if (this.#batchBytes >= BATCH_BYTES) this.#flush();
  }

  #flush(): void {
    let blocks = this.#batch;
    this.#batch = [];
    this.#written += this.#batchBytes;
    this.#batchBytes = 0;
    try {
      while (blocks.length > 0) {
        let n = writevSync(this.#fd, blocks.slice(0, 1024));
        // A short write: drop what went out and write the rest.
        while (n > 0 && blocks.length > 0) {
          const first = blocks[0]!;
          if (n >= first.length) {
            n -= first.length;
            blocks = blocks.slice(1);
          } else {
            blocks = [first.subarray(n), ...blocks.slice(1)];
            n = 0;
          }
        }
      }
    } catch (error) {
      throw writeError(this.#what, error);
    }
  }

  ready(): Promise<void> {
    return Promise.resolve();
  }

  async close(): Promise<void> {
    this.#flush();
    try {
      fsyncSync(this.#fd);
    } catch (error) {
      if (errnoCode(error) !== "EINVAL" && errnoCode(error) !== "EROFS") throw writeError(this.#what, error);
    }
    closeSync(this.#fd);
    await Promise.resolve();
  }
}

/** Writes blocks to a stream (standard output), honouring its backpressure. */
export class StreamBlockOutput implements BlockOutput {
  readonly #stream: Writable;
  readonly #what: string;
  #batch: Uint8Array[] = [];
  #batchBytes = 0;
  #written = 0;
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
    return this.#written + this.#batchBytes;
  }

  write(block: Uint8Array): void {
    if (this.#error !== null) throw this.#error;
    this.#batch.push(block);
    this.#batchBytes += block.length;
    if (this.#batchBytes >= BATCH_BYTES) this.#flush();
  }

  #flush(): void {
    if (this.#batchBytes === 0) return;
    const data = Buffer.concat(this.#batch, this.#batchBytes);
    this.#written += this.#batchBytes;
    this.#batch = [];
    this.#batchBytes = 0;
    if (!this.#stream.write(data)) this.#isBusy = true;
  }

  async ready(): Promise<void> {
    if (this.#error !== null) throw this.#error;
    if (!this.#isBusy) return;
    await new Promise<void>((resolveReady) => this.#stream.once("drain", resolveReady));
    this.#isBusy = false;
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
