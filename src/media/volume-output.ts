import { BugError } from "../errors/index.js";
import type { Drive, VolumeWriter } from "./drive.js";
import { mediaError } from "./errors.js";

/** Batches written to a volume at the same time (one being written while the next fills). */
const MAX_IN_FLIGHT = 2;

/** A volume that a media agent writes to, or will write to once the one before it is full. */
export interface PlannedVolume {
  readonly label: string;
  readonly mediumId: Uint8Array;
  readonly capacityBytes: number;
  /** The most blocks it holds, the label included. */
  readonly capacityBlocks: number;
  /** The number the next block placed on it gets (1: the first after the label). */
  nextBlock: number;
  writer: VolumeWriter | null;
  /** Blocks written to it, the label included. */
  blocksWritten: number;
}

export interface VolumeEvent {
  label: string;
  state: "opened" | "full";
  blocks: number;
  bytes: number;
}

export interface VolumeOutputOptions {
  drive: Drive;
  pool: string | null;
  blockSize: number;
  now: () => Date;
  /** Blocks gathered before one write (whole blocks, at least one). */
  batchBytes: number;
  /** Pending bytes (queued or being written) above which writers must wait. */
  highWaterBytes: number;
  /** Takes back each block once it is written. */
  recycle: (block: Uint8Array) => void;
  onVolume?: (event: VolumeEvent) => void;
}

interface QueuedBlock {
  volume: PlannedVolume;
  block: Uint8Array;
}

interface Waiter {
  until: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Writes the sealed blocks of a media agent to its volumes, in the order they were numbered, in
 * large batches; labels each volume when its first block is due and closes it once full.
 *
 * Invariants: 1. blocks are queued in placement order, so a volume's blocks come before those of
 * the next; 2. only the volume at the front is open (a tape drive holds one medium), and the next
 * is created once it is closed; 3. block `i` (counting every block pushed) is written when
 * `#written > i`, counted in order although batches may complete out of order; 4. after a
 * failure nothing more is written and every waiter and later call gets the error.
 */
export class VolumeOutput {
  readonly #o: VolumeOutputOptions;
  #queue: QueuedBlock[] = [];
  #head = 0;
  #queuedBytes = 0;
  #inFlightBytes = 0;
  #batches: Array<{ end: number; isDone: boolean }> = [];
  #pushed = 0;
  #written = 0;
  #flushUntil = 0;
  #drains: Waiter[] = [];
  #roomWaiters: Waiter[] = [];
  #error: Error | null = null;
  #current: PlannedVolume | null = null;
  #transition: Promise<void> | null = null;

  constructor(options: VolumeOutputOptions) {
    this.#o = options;
  }

  /** Bytes of sealed blocks queued or being written. */
  get pendingBytes(): number {
    return this.#queuedBytes + this.#inFlightBytes;
  }

  /** Why writing stopped, or null. */
  get error(): Error | null {
    return this.#error;
  }

  /** Queues a sealed block for `volume` (ownership passes here). */
  push(volume: PlannedVolume, block: Uint8Array): void {
    if (this.#error !== null) throw this.#error;
    this.#queue.push({ volume, block });
    this.#pushed++;
    this.#queuedBytes += block.length;
    if (this.#queuedBytes >= this.#o.batchBytes) this.#pump();
  }

  /** Resolves once the pending bytes are at or under the high-water mark (backpressure). */
  whenRoom(): Promise<void> {
    if (this.#error !== null) return Promise.reject(this.#error);
    if (this.pendingBytes <= this.#o.highWaterBytes) return Promise.resolve();
    return new Promise((resolve, reject) => this.#roomWaiters.push({ until: 0, resolve, reject }));
  }

  /** Writes out every block pushed so far, however few; resolves once they are written. */
  drain(): Promise<void> {
    if (this.#error !== null) return Promise.reject(this.#error);
    const until = this.#pushed;
    if (this.#written >= until) return Promise.resolve();
    this.#flushUntil = Math.max(this.#flushUntil, until);
    const drained = new Promise<void>((resolve, reject) => this.#drains.push({ until, resolve, reject }));
    this.#pump();
    return drained;
  }

  /** Makes what was written to the open volume durable. */
  async sync(): Promise<void> {
    while (this.#transition !== null) await this.#transition;
    if (this.#error !== null) throw this.#error;
    await this.#current?.writer?.sync();
  }

  /** Closes the open volume (after drain()), not as full: the agent stops. */
  async close(): Promise<void> {
    while (this.#transition !== null) await this.#transition;
    if (this.#head < this.#queue.length || this.#batches.length > 0) throw new BugError("volume output closed with blocks still pending");
    const volume = this.#current;
    this.#current = null;
    if (volume !== null && volume.writer !== null) await volume.writer.close();
    if (this.#error !== null) throw this.#error;
  }

  #pump(): void {
    if (this.#error !== null || this.#transition !== null) return;
    const current = this.#current;
    if (current !== null && current.blocksWritten === current.capacityBlocks && this.#batches.length === 0) {
      this.#startTransition(() => this.#closeFull(current));
      return;
    }
    while (this.#head < this.#queue.length && this.#batches.length < MAX_IN_FLIGHT) {
      const volume = this.#queue[this.#head]!.volume;
      if (volume !== this.#current) {
        // The volume before is closed once its last batch is written (above).
        if (this.#current === null) this.#startTransition(() => this.#open(volume));
        return;
      }
      const frontIndex = this.#pushed - (this.#queue.length - this.#head);
      const isWanted = this.#queuedBytes >= this.#o.batchBytes || frontIndex < this.#flushUntil || this.#queue.at(-1)!.volume !== volume;
      if (!isWanted) return;
      this.#writeBatch(volume);
    }
  }

  /** Opens or closes a volume; nothing is written meanwhile. */
  #startTransition(work: () => Promise<void>): void {
    const transition: Promise<void> = Promise.resolve()
      .then(work)
      .catch((error: unknown) => this.#fail(error))
      .finally(() => {
        this.#transition = null;
        this.#pump();
      });
    this.#transition = transition;
  }

  #writeBatch(volume: PlannedVolume): void {
    const blocks: Uint8Array[] = [];
    let bytes = 0;
    while (this.#head < this.#queue.length && this.#queue[this.#head]!.volume === volume && (bytes === 0 || bytes + this.#o.blockSize <= this.#o.batchBytes)) {
      const block = this.#queue[this.#head++]!.block;
      blocks.push(block);
      bytes += block.length;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    this.#queuedBytes -= bytes;
    this.#inFlightBytes += bytes;
    const batch = { end: this.#pushed - (this.#queue.length - this.#head), isDone: false };
    this.#batches.push(batch);
    volume.writer!.write(blocks).then(
      () => this.#afterWrite(volume, blocks, bytes, batch),
      (error: unknown) => this.#fail(error),
    );
  }

  #afterWrite(volume: PlannedVolume, blocks: Uint8Array[], bytes: number, batch: { end: number; isDone: boolean }): void {
    this.#inFlightBytes -= bytes;
    volume.blocksWritten += blocks.length;
    for (const block of blocks) this.#o.recycle(block);
    batch.isDone = true;
    while (this.#batches[0]?.isDone === true) this.#written = this.#batches.shift()!.end;
    this.#drains = this.#settle(this.#drains, (waiter) => waiter.until <= this.#written);
    if (this.pendingBytes <= this.#o.highWaterBytes) this.#roomWaiters = this.#settle(this.#roomWaiters, () => true);
    this.#pump();
  }

  #settle(waiters: Waiter[], isDone: (waiter: Waiter) => boolean): Waiter[] {
    const left: Waiter[] = [];
    for (const waiter of waiters) {
      if (isDone(waiter)) waiter.resolve();
      else left.push(waiter);
    }
    return left;
  }

  async #open(volume: PlannedVolume): Promise<void> {
    const writer = await this.#o.drive.createVolume({
      label: volume.label, mediumId: volume.mediumId, pool: this.#o.pool, blockSize: this.#o.blockSize, capacityBytes: volume.capacityBytes, createdAt: this.#o.now(),
    });
    if (writer.capacityBlocks < volume.capacityBlocks || writer.blocksWritten !== 1) {
      await writer.close().catch(() => undefined);
      throw mediaError("MEDIA_VOLUME_TOO_SMALL", `Cannot write volume "${volume.label}" on drive "${this.#o.drive.name}": it holds ${writer.capacityBlocks} blocks, ${volume.capacityBlocks} were planned`, {
        label: volume.label,
      });
    }
    volume.writer = writer;
    volume.blocksWritten = writer.blocksWritten;
    this.#current = volume;
    this.#o.onVolume?.({ label: volume.label, state: "opened", blocks: volume.blocksWritten, bytes: volume.blocksWritten * this.#o.blockSize });
  }

  async #closeFull(volume: PlannedVolume): Promise<void> {
    await volume.writer!.close();
    this.#current = null;
    this.#o.onVolume?.({ label: volume.label, state: "full", blocks: volume.blocksWritten, bytes: volume.blocksWritten * this.#o.blockSize });
  }

  #fail(error: unknown): void {
    this.#error ??= error instanceof Error ? error : new Error(String(error));
    for (const waiter of [...this.#drains.splice(0), ...this.#roomWaiters.splice(0)]) waiter.reject(this.#error);
  }
}
