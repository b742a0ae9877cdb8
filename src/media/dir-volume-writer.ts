import { BugError } from "../errors/index.js";
import type { VolumeWriter } from "./drive.js";
import { errnoCode, mediaError, reasonOf } from "./errors.js";
import { alignedBlocks, isAligned } from "./direct-io.js";
import { closeFile, openFile, syncFile, writeAllAt } from "./file-io.js";

/** The error of a failed write: out of space, or another system error. */
export function writeFailure(what: string, error: unknown): Error {
  const code = errnoCode(error);
  if (code === "ENOSPC" || code === "EDQUOT") return mediaError("MEDIA_NO_SPACE", `Cannot write ${what}: no space left on device`, {}, error);
  return mediaError("MEDIA_WRITE_FAILED", `Cannot write ${what}: ${reasonOf(error)}`, {}, error);
}

/**
 * A volume file open for appending. Each write() takes its file position when called, so
 * overlapping writes go out in parallel on libuv's thread pool and still land in call order.
 *
 * Invariants: 1. `#queued` counts the blocks of every write() accepted, so the next write starts
 * at `#queued × blockSize`; 2. after a failure every later call throws the same error (STYLE
 * §2.8); 3. close() waits for the writes and syncs in flight
 * before it syncs and closes the descriptor.
 */
export class DirVolumeWriter implements VolumeWriter {
  readonly label: string;
  readonly capacityBlocks: number;
  readonly #fd: number;
  readonly #path: string;
  readonly #directory: string;
  readonly #blockSize: number;
  #queued = 0;
  #written = 0;
  #inFlight = 0;
  #idle: Array<() => void> = [];
  #error: Error | null = null;
  #closing: Promise<void> | null = null;
  readonly #onClosed: (() => void) | undefined;

  /** `onClosed` is called once the descriptor is closed, whether or not the close failed. */
  /** Opened with O_DIRECT: every block must lie at an aligned address (others are copied first). */
  readonly #isDirect: boolean;

  constructor(o: { fd: number; path: string; directory: string; label: string; blockSize: number; capacityBlocks: number; onClosed?: () => void; isDirect?: boolean }) {
    this.#onClosed = o.onClosed;
    this.#isDirect = o.isDirect === true;
    this.#fd = o.fd;
    this.#path = o.path;
    this.#directory = o.directory;
    this.label = o.label;
    this.#blockSize = o.blockSize;
    this.capacityBlocks = o.capacityBlocks;
  }

  get blocksWritten(): number {
    return this.#written;
  }

  async write(blocks: Uint8Array[]): Promise<void> {
    if (this.#closing !== null) throw new BugError(`write to volume "${this.label}" after close`);
    if (this.#error !== null) throw this.#error;
    for (const block of blocks) {
      if (block.length !== this.#blockSize) throw new BugError(`a block of ${block.length} bytes for volume "${this.label}" of ${this.#blockSize}-byte blocks`);
    }
    if (this.#queued + blocks.length > this.capacityBlocks) {
      throw mediaError("MEDIA_END_OF_MEDIUM", `Cannot write ${blocks.length} blocks to volume "${this.label}": it holds ${this.capacityBlocks} blocks and ${this.#queued} are written`, {
        label: this.label, capacityBlocks: this.capacityBlocks, blocksWritten: this.#queued,
      });
    }
    const position = this.#queued * this.#blockSize;
    this.#queued += blocks.length;
    this.#inFlight++;
    try {
      await writeAllAt(this.#fd, this.#isDirect ? alignedCopies(blocks, this.#blockSize) : blocks, position);
      this.#written += blocks.length;
    } catch (error) {
      this.#error ??= writeFailure(`volume "${this.label}" (${this.#path})`, error);
      throw this.#error;
    } finally {
      this.#done();
    }
  }

  async sync(): Promise<void> {
    if (this.#closing !== null) return this.#closing;
    if (this.#error !== null) throw this.#error;
    this.#inFlight++;
    try {
      await syncFile(this.#fd);
    } catch (error) {
      this.#error ??= writeFailure(`volume "${this.label}" (${this.#path})`, error);
      throw this.#error;
    } finally {
      this.#done();
    }
  }

  #done(): void {
    this.#inFlight--;
    if (this.#inFlight === 0) for (const wake of this.#idle.splice(0)) wake();
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    while (this.#inFlight > 0) await new Promise<void>((wake) => this.#idle.push(wake));
    try {
      if (this.#error === null) {
        await syncFile(this.#fd);
        await syncDirectory(this.#directory);
      }
    } catch (error) {
      this.#error ??= writeFailure(`volume "${this.label}" (${this.#path})`, error);
    } finally {
      await closeFile(this.#fd).catch(() => undefined);
      this.#onClosed?.();
    }
    if (this.#error !== null) throw this.#error;
  }
}

/** The blocks at aligned addresses for an O_DIRECT write: those that are not (a label block) are copied. */
function alignedCopies(blocks: Uint8Array[], blockSize: number): Uint8Array[] {
  if (blocks.every(isAligned)) return blocks;
  return blocks.map((block) => {
    if (isAligned(block)) return block;
    const copy = alignedBlocks(1, blockSize)[0]!;
    copy.set(block);
    return copy;
  });
}

/** Makes a new file's directory entry durable (fsync of the directory). */
async function syncDirectory(path: string): Promise<void> {
  const fd = await openFile(path, "r");
  try {
    await syncFile(fd, true);
  } finally {
    await closeFile(fd);
  }
}
