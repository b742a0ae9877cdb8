import { BugError, isReelError } from "../errors/index.js";
import { type Codecs, idToString, isValidBlockSize } from "../format/index.js";
import { AgentStream, type StreamHost, type StreamWriter } from "./agent-stream.js";
import { BlockPool } from "./block-pool.js";
import type { Drive } from "./drive.js";
import { mediaError } from "./errors.js";
import { type PlannedVolume, type VolumeEvent, VolumeOutput } from "./volume-output.js";

/** A volume the catalog names for the agent to write next. */
export interface NewVolume {
  label: string;
  mediumId: Uint8Array;
  capacityBytes: number;
}

export interface MediaAgentOptions {
  drive: Drive;
  pool: string | null;
  blockSize: number;
  codecs: Codecs;
  now: () => Date;
  /** Asked when a volume is needed (first write, or the current one is full): the catalog names it. */
  nextVolume: () => Promise<NewVolume>;
  /** Told when a volume is full and closed, and when a volume is first written. */
  onVolume?: (event: VolumeEvent) => void;
  /** Bytes of sealed blocks waiting to be written before writers must wait (default 8 MiB). */
  highWaterBytes?: number;
}

const DEFAULT_HIGH_WATER_BYTES = 8 * 1024 * 1024;
/** Bytes per write to a volume, at most: large enough for few syscalls, small enough to overlap. */
const MAX_BATCH_BYTES = 4 * 1024 * 1024;

/**
 * The backup media agent (DESIGN §5): multiplexes the streams sent to one drive into one
 * sequence of blocks on its current volume (format.md §3), each block holding bytes of one
 * stream, and continues on the next volume when one is full (spanning).
 *
 * Invariants: 1. block numbers are given out in the order blocks are sealed, volume by volume,
 * and blocks reach the volume in that order; 2. `#freeBlocks` counts the places left on planned
 * volumes, and a stream packs a record only when its blocks all have a place; 3. one volume is
 * planned at a time (`#planning`).
 */
export class MediaAgent {
  readonly #o: MediaAgentOptions;
  readonly #pool: BlockPool;
  readonly #output: VolumeOutput;
  readonly #host: StreamHost;
  /** Streams not yet ended or aborted. */
  readonly #streams = new Map<string, AgentStream>();
  /** Volumes with places left, the one being filled first. */
  readonly #volumes: PlannedVolume[] = [];
  #freeBlocks = 0;
  #planning: Promise<void> | null = null;
  #closing: Promise<void> | null = null;

  constructor(options: MediaAgentOptions) {
    if (!isValidBlockSize(options.blockSize)) {
      throw mediaError("MEDIA_BAD_BLOCK_SIZE", `Cannot write to drive "${options.drive.name}": block size ${options.blockSize} is not a multiple of 4096 from 4096 to 16 MiB`, {
        blockSize: options.blockSize,
      });
    }
    this.#o = options;
    const highWaterBytes = Math.max(options.highWaterBytes ?? DEFAULT_HIGH_WATER_BYTES, options.blockSize);
    const batchBytes = Math.max(options.blockSize, Math.min(MAX_BATCH_BYTES, Math.floor(highWaterBytes / 2)));
    this.#pool = new BlockPool(options.blockSize, Math.ceil((highWaterBytes + 2 * batchBytes) / options.blockSize) + 16);
    this.#output = new VolumeOutput({
      drive: options.drive, pool: options.pool, blockSize: options.blockSize, now: options.now, batchBytes, highWaterBytes,
      recycle: (block) => this.#pool.give(block),
      ...(options.onVolume === undefined ? {} : { onVolume: options.onVolume }),
    });
    this.#host = this.#makeHost();
  }

  /** Bytes of sealed blocks waiting to be written. */
  get pendingBytes(): number {
    return this.#output.pendingBytes;
  }

  /**
   * Starts a stream; throws MEDIA_STREAM_EXISTS while a stream of that id is open on this agent.
   * `checksumChecked`: the records' checksums were checked by another writer in this process
   * (the first stage of a chain on this node), so this one does not check them again.
   * Once it ended, the id may come again: another copy of the saveset (compaction, refreshing),
   * told apart by the stream offsets restarting at 0 and recorded by the catalog as its own copy.
   */
  openStream(streamId: Uint8Array, o: { checksumChecked?: boolean } = {}): StreamWriter {
    this.#checkOpen();
    if (streamId.length !== 16) throw new BugError(`a stream id of ${streamId.length} bytes, not 16`);
    const key = idToString(streamId);
    if (this.#streams.has(key)) {
      throw mediaError("MEDIA_STREAM_EXISTS", `Cannot open stream ${key} on drive "${this.#o.drive.name}": it is being written already`, { streamId: key });
    }
    const stream = new AgentStream(Uint8Array.from(streamId), this.#host, o.checksumChecked === true);
    this.#streams.set(key, stream);
    return stream;
  }

  /**
   * Writes out what is pending and closes the current volume (not marking it full). Streams
   * still open are flushed as they are; they take no more records (MEDIA_AGENT_CLOSED), and
   * their abort() gives where they lie.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const streams = [...this.#streams.values()];
    for (const stream of streams) await stream.settled();
    for (const stream of streams) if (stream.isOpen) await stream.flushForClose();
    await this.#output.drain();
    await this.#output.close();
  }

  #checkOpen(): void {
    if (this.#output.error !== null) throw this.#output.error;
    if (this.#closing !== null) throw mediaError("MEDIA_AGENT_CLOSED", `Cannot write to drive "${this.#o.drive.name}": its media agent is closed`, { drive: this.#o.drive.name });
  }

  #makeHost(): StreamHost {
    return {
      codecs: this.#o.codecs,
      blockSize: this.#o.blockSize,
      checkOpen: () => this.#checkOpen(),
      hasRoom: (blocks) => this.#freeBlocks >= blocks,
      planVolume: () => this.#planVolume(),
      place: () => this.#place(),
      allocate: () => this.#pool.take(),
      emit: (volume, block) => this.#output.push(volume, block),
      whenRoom: () => this.#output.whenRoom(),
      forget: (stream) => this.#streams.delete(idToString(stream.streamId)),
      drain: async () => {
        await this.#output.drain();
        await this.#output.sync();
      },
    };
  }

  #place(): { volume: PlannedVolume; blockNumber: number } {
    let volume = this.#volumes[0];
    while (volume !== undefined && volume.nextBlock === volume.capacityBlocks) {
      this.#volumes.shift();
      volume = this.#volumes[0];
    }
    if (volume === undefined) throw new BugError("a block was sealed with no place planned for it");
    this.#freeBlocks--;
    return { volume, blockNumber: volume.nextBlock++ };
  }

  #planVolume(): Promise<void> {
    this.#planning ??= this.#plan().finally(() => (this.#planning = null));
    return this.#planning;
  }

  async #plan(): Promise<void> {
    let next: NewVolume;
    try {
      next = await this.#o.nextVolume();
    } catch (error) {
      if (isReelError(error)) throw error;
      throw mediaError("MEDIA_NO_VOLUME", `Cannot continue on drive "${this.#o.drive.name}": no volume to write to (${error instanceof Error ? error.message : String(error)})`, { drive: this.#o.drive.name }, error);
    }
    if (next.mediumId.length !== 16) throw new BugError(`volume "${next.label}" came with a medium id of ${next.mediumId.length} bytes, not 16`);
    // A tape holds what it holds: the pool's medium size may be larger.
    const capacityBytes = Math.min(next.capacityBytes, this.#o.drive.maxVolumeBytes ?? Number.POSITIVE_INFINITY);
    const capacityBlocks = Math.floor(capacityBytes / this.#o.blockSize);
    if (capacityBlocks < 2) {
      throw mediaError("MEDIA_VOLUME_TOO_SMALL", `Cannot write volume "${next.label}" on drive "${this.#o.drive.name}": ${capacityBytes} bytes do not hold a label and one block of ${this.#o.blockSize} bytes`, {
        label: next.label, capacityBytes,
      });
    }
    this.#volumes.push({ label: next.label, mediumId: Uint8Array.from(next.mediumId), capacityBytes, capacityBlocks, nextBlock: 1, writer: null, blocksWritten: 0 });
    this.#freeBlocks += capacityBlocks - 1;
  }
}
