import { closeSync, constants, fstatSync, fsyncSync, openSync, writeSync, writev } from "node:fs";
import type { Writable } from "node:stream";
import { BlockMemory, canWriteDirect, DIRECT_ALIGNMENT, isAligned } from "./aligned-memory.js";
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

/** An archive file open for writing, and whether with O_DIRECT (its blocks must then be aligned). */
export interface ArchiveFile {
  fd: number;
  isDirect: boolean;
}

/** The system calls {@link openArchiveFile} makes (a test stands in a file system that refuses O_DIRECT). */
export interface OpenCalls {
  open(path: string, flags: string | number, mode?: number): number;
  write(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number;
}

const NODE_CALLS: OpenCalls = { open: openSync, write: writeSync };

/**
 * Creates (or truncates) an archive file; when `direct` is asked for and the path is a regular
 * file, writes to it will go around the page cache (O_DIRECT). Where O_DIRECT is refused —
 * EINVAL at open, or at the first write, which is tried here with one aligned page at offset 0
 * (the label block overwrites it) — the file is written through the cache as before. Errors
 * of the plain create are thrown as they are.
 */
export function openArchiveFile(path: string, options: { direct: boolean }, calls: OpenCalls = NODE_CALLS): ArchiveFile {
  const fd = calls.open(path, "w", 0o644);
  if (!options.direct || !canWriteDirect || !fstatSync(fd).isFile()) return { fd, isDirect: false };
  let direct: number;
  try {
    direct = calls.open(path, constants.O_WRONLY | constants.O_DIRECT);
  } catch {
    return { fd, isDirect: false };
  }
  try {
    const page = new BlockMemory(DIRECT_ALIGNMENT, true).allocate().fill(0);
    calls.write(direct, page, 0, page.length, 0);
  } catch {
    closeSync(direct);
    return { fd, isDirect: false };
  }
  closeSync(fd);
  return { fd: direct, isDirect: true };
}

/** The blocks at aligned addresses for an O_DIRECT write: those that are not (the label block) are copied. */
function alignedCopies(blocks: Uint8Array[]): Uint8Array[] {
  let copies: Uint8Array[] | null = null;
  for (let i = 0; i < blocks.length; i++) {
    const block = blocks[i]!;
    if (isAligned(block)) continue;
    copies ??= blocks.slice();
    const copy = new BlockMemory(block.length, true).allocate();
    copy.set(block);
    copies[i] = copy;
  }
  return copies ?? blocks;
}

/**
 * Writes blocks to a file descriptor with writev, a few MiB at a time, on libuv's thread pool
 * so that the caller goes on reading files meanwhile; at most two writes are in flight. On a
 * descriptor opened with O_DIRECT (`direct`) a block not at an aligned address is copied first.
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
  readonly #isDirect: boolean;

  /** `recycle` gets each block's memory back once it is written; `direct`: the descriptor was opened with O_DIRECT. */
  constructor(fd: number, what: string, recycle: ((memory: ArrayBufferLike) => void) | null = null, options: { direct?: boolean } = {}) {
    this.#fd = fd;
    this.#what = what;
    this.#recycle = recycle;
    this.#isDirect = options.direct === true;
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
    const written = this.#isDirect ? alignedCopies(blocks) : blocks;
    this.#writeAll(written, position, () => {
      this.#inFlight--;
      if (this.#recycle !== null) {
        for (const block of blocks) this.#recycle(block.buffer);
        if (written !== blocks) for (let i = 0; i < blocks.length; i++) if (written[i] !== blocks[i]) this.#recycle(written[i]!.buffer);
      }
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
