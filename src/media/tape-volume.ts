import { BugError } from "../errors/index.js";
import type { VolumeReader, VolumeWriter } from "./drive.js";
import { errnoCode, mediaError, reasonOf } from "./errors.js";
import type { TapeCommands } from "./tape-commands.js";
import type { TapeHandle } from "./tape-io.js";
import { countPositioning, positioning, type TapeStats } from "./tape-position.js";

/**
 * A volume being written to a tape, one record per block, in call order. Invariants: 1.
 * `#queued` counts the blocks of every write() accepted (the capacity check), `#written` those
 * on tape; 2. writes run one after another on `#tail`, as a tape takes them; 3. after a failure
 * every later call throws the same error. The tape's end (ENOSPC from the driver, its early
 * warning) before the capacity is MEDIA_END_OF_MEDIUM.
 */
export class TapeVolumeWriter implements VolumeWriter {
  readonly label: string;
  readonly capacityBlocks: number;
  readonly #handle: TapeHandle;
  readonly #blockSize: number;
  readonly #what: string;
  /** Told the blocks on tape at each sync() and at close (the index records them). */
  readonly #onBlocks: (blocks: number, isClosed: boolean) => Promise<void>;
  #queued = 0;
  #written = 0;
  #tail: Promise<void> = Promise.resolve();
  #error: Error | null = null;
  #closing: Promise<void> | null = null;

  constructor(o: { handle: TapeHandle; label: string; blockSize: number; capacityBlocks: number; what: string; onBlocks: (blocks: number, isClosed: boolean) => Promise<void> }) {
    this.#handle = o.handle;
    this.label = o.label;
    this.#blockSize = o.blockSize;
    this.capacityBlocks = o.capacityBlocks;
    this.#what = o.what;
    this.#onBlocks = o.onBlocks;
  }

  get blocksWritten(): number {
    return this.#written;
  }

  write(blocks: Uint8Array[]): Promise<void> {
    if (this.#closing !== null) throw new BugError(`write to volume "${this.label}" after close`);
    if (this.#error !== null) return Promise.reject(this.#error);
    for (const block of blocks) {
      if (block.length !== this.#blockSize) throw new BugError(`a block of ${block.length} bytes for volume "${this.label}" of ${this.#blockSize}-byte blocks`);
    }
    if (this.#queued + blocks.length > this.capacityBlocks) {
      return Promise.reject(mediaError("MEDIA_END_OF_MEDIUM", `Cannot write ${blocks.length} blocks to volume "${this.label}": it holds ${this.capacityBlocks} blocks and ${this.#queued} are written`, {
        label: this.label, capacityBlocks: this.capacityBlocks, blocksWritten: this.#queued,
      }));
    }
    this.#queued += blocks.length;
    const done = this.#tail.then(() => this.#writeRecords(blocks));
    this.#tail = done.catch(() => undefined);
    return done;
  }

  async #writeRecords(blocks: Uint8Array[]): Promise<void> {
    if (this.#error !== null) throw this.#error;
    try {
      for (const block of blocks) {
        await this.#handle.write(block);
        this.#written++;
      }
    } catch (error) {
      this.#error ??= errnoCode(error) === "ENOSPC"
        ? mediaError("MEDIA_END_OF_MEDIUM", `Cannot write volume "${this.label}" (${this.#what}): the tape ended after ${this.#written} blocks`, { label: this.label, blocksWritten: this.#written }, error)
        : mediaError("MEDIA_WRITE_FAILED", `Cannot write volume "${this.label}" (${this.#what}): ${reasonOf(error)}`, { label: this.label }, error);
      throw this.#error;
    }
  }

  async sync(): Promise<void> {
    if (this.#closing !== null) return this.#closing;
    await this.#tail;
    if (this.#error !== null) throw this.#error;
    await this.#onBlocks(this.#written, false);
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    await this.#tail;
    try {
      // The driver writes a filemark after the last record when the device is closed.
      await this.#handle.close();
    } catch (error) {
      this.#error ??= mediaError("MEDIA_WRITE_FAILED", `Cannot close volume "${this.label}" (${this.#what}): ${reasonOf(error)}`, { label: this.label }, error);
    }
    await this.#onBlocks(this.#written, true);
    if (this.#error !== null) throw this.#error;
  }
}

/**
 * A volume being read from a tape. The head is where the last read left it; a read elsewhere
 * closes the device, rewinds or spaces forward with `mt` (counted in `stats`) and opens it
 * again, since the driver lets one process at a time have the device open. Reads run one
 * after another.
 */
export class TapeVolumeReader implements VolumeReader {
  readonly label: string;
  readonly blockSize: number;
  readonly blockCount: number;
  #handle: TapeHandle | null;
  readonly #commands: TapeCommands;
  readonly #reopen: () => Promise<TapeHandle>;
  readonly #stats: TapeStats;
  readonly #onClosed: () => void;
  /** The block at the head; null when a failed read left it unknown. */
  #head: number | null;
  #tail: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | null = null;

  constructor(o: { handle: TapeHandle; label: string; blockSize: number; blockCount: number; head: number; commands: TapeCommands; reopen: () => Promise<TapeHandle>; stats: TapeStats; onClosed: () => void }) {
    this.#handle = o.handle;
    this.label = o.label;
    this.blockSize = o.blockSize;
    this.blockCount = o.blockCount;
    this.#head = o.head;
    this.#commands = o.commands;
    this.#reopen = o.reopen;
    this.#stats = o.stats;
    this.#onClosed = o.onClosed;
  }

  readBlocks(first: number, count: number): Promise<Uint8Array[]> {
    const n = Math.max(0, Math.min(count, this.blockCount - first));
    if (n === 0 || first < 0) return Promise.resolve([]);
    const done = this.#tail.then(() => this.#read(first, n));
    this.#tail = done.catch(() => undefined);
    return done;
  }

  async #read(first: number, n: number): Promise<Uint8Array[]> {
    if (this.#closing !== null) throw new BugError(`read of volume "${this.label}" after close`);
    const bytes = new Uint8Array(n * this.blockSize);
    const blocks: Uint8Array[] = [];
    try {
      const handle = await this.#position(first);
      for (let i = 0; i < n; i++) {
        const into = bytes.subarray(i * this.blockSize, (i + 1) * this.blockSize);
        const got = await handle.read(into);
        if (got === 0) break;
        // A short record is a damaged block: its missing bytes read as zeros.
        blocks.push(into);
        this.#head = first + blocks.length;
      }
    } catch (error) {
      this.#head = null;
      throw mediaError("MEDIA_READ_FAILED", `Cannot read blocks ${first}–${first + n - 1} of volume "${this.label}": ${reasonOf(error)}`, { label: this.label, block: first }, error);
    }
    this.#stats.blocksRead += blocks.length;
    return blocks;
  }

  /** Moves the head to `first` (if it is not there) and returns the open device. */
  async #position(first: number): Promise<TapeHandle> {
    const move = this.#head === null ? { isRewind: true, forwardBlocks: first } : positioning(this.#head, first);
    if (this.#handle !== null && !move.isRewind && move.forwardBlocks === 0) return this.#handle;
    countPositioning(this.#stats, move);
    const handle = this.#handle;
    this.#handle = null;
    await handle?.close();
    if (move.isRewind) await this.#commands.rewind();
    if (move.forwardBlocks > 0) await this.#commands.forwardSpaceRecords(move.forwardBlocks);
    this.#handle = await this.#reopen();
    this.#head = first;
    return this.#handle;
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    await this.#tail;
    try {
      await this.#handle?.close();
    } finally {
      this.#handle = null;
      this.#onClosed();
    }
  }
}
