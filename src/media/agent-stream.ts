import { BLOCK_FLAG_END_OF_STREAM, type BlockHeader, BlockPacker, type BlockPlace, bytesEqual, type Codecs, idToString, RecordType } from "../format/index.js";
import { mediaError } from "./errors.js";
import { PlacementBuilder, type StreamPlacement } from "./placement.js";
import { badChecksum, checkRecord } from "./record-check.js";
import type { PlannedVolume } from "./volume-output.js";

/** One stream's writer on a media agent. */
export interface StreamWriter {
  /**
   * One sealed record (the sender's bytes, left unchanged until the promise settles). Await the
   * returned promise: it is pending while the agent is over its high-water mark (backpressure).
   * Throws MEDIA_BAD_RECORD for a record that is not whole, fails its checksum or is out of
   * sequence (the stream stays open), MEDIA_STREAM_CLOSED after end() or abort().
   */
  write(record: Uint8Array): Promise<void>;
  /**
   * A whole block of this stream read from another medium, its checksum verified (a copy job):
   * its payload goes on as it is under this medium's header — no records are rebuilt. Blocks
   * come in stream order from offset 0, and a stream written this way takes no records. Throws
   * MEDIA_BAD_BLOCK when the block is not the stream's next or does not fit this drive's blocks.
   */
  writeBlock(block: Uint8Array, header: BlockHeader): Promise<void>;
  /** Payload bytes of this drive's blocks: writeBlock takes blocks with no more. */
  readonly blockCapacity: number;
  /** The stream ended with its trailer: flush its last block, return where it lies (MEDIA_NO_TRAILER without one). */
  end(): Promise<StreamPlacement>;
  /** The sender failed: flush what was received (no trailer), return where it lies. */
  abort(): Promise<StreamPlacement>;
}

/** What a stream needs of its media agent. */
export interface StreamHost {
  readonly codecs: Codecs;
  readonly blockSize: number;
  /** Throws if the agent is closed or failed. */
  checkOpen(): void;
  /** True when `blocks` more blocks have a place on planned volumes. */
  hasRoom(blocks: number): boolean;
  /** Plans one more volume (asks for it); resolves when it is planned. */
  planVolume(): Promise<void>;
  /** The place of the next block (a volume planned with room). */
  place(): { volume: PlannedVolume; blockNumber: number };
  allocate(): Uint8Array;
  /** Takes a sealed block. */
  emit(volume: PlannedVolume, block: Uint8Array): void;
  /** Resolves when writers may go on (backpressure). */
  whenRoom(): Promise<void>;
  /** Writes out and syncs every block emitted so far. */
  drain(): Promise<void>;
  /** The stream ended or was aborted: the agent need not keep it. */
  forget(stream: AgentStream): void;
}

/**
 * The writer of one stream: checks each record, packs it into blocks placed on the agent's
 * volumes, and records where they went.
 *
 * Invariants: 1. operations run one at a time in call order (`#tail`), so the packer's state
 * when a record is checked is the state it is packed in; 2. room for the blocks that packing a
 * record seals is found (planning volumes if needed) and used in one synchronous step, so that
 * no other stream takes it in between.
 */
export class AgentStream implements StreamWriter {
  readonly streamId: Uint8Array;
  readonly #host: StreamHost;
  readonly #packer: BlockPacker;
  readonly #placement = new PlacementBuilder();
  #placed: { volume: PlannedVolume; blockNumber: number } | null = null;
  #sequence = 0;
  #hasTrailer = false;
  #state: "open" | "ended" | "aborted" | "flushed" = "open";
  #tail: Promise<void> | null = null;

  readonly #checksumChecked: boolean;

  constructor(streamId: Uint8Array, host: StreamHost, checksumChecked = false) {
    this.#checksumChecked = checksumChecked;
    this.streamId = streamId;
    this.#host = host;
    this.#packer = new BlockPacker({
      streamId,
      blockSize: host.blockSize,
      checksum: host.codecs.checksum,
      place: () => this.#place(),
      emit: (block) => this.#emit(block),
      allocate: () => host.allocate(),
    });
  }

  get isOpen(): boolean {
    return this.#state === "open";
  }

  #place(): BlockPlace {
    this.#placed = this.#host.place();
    return { mediumId: this.#placed.volume.mediumId, blockNumber: this.#placed.blockNumber };
  }

  #emit(block: Uint8Array): void {
    const { volume, blockNumber } = this.#placed!;
    // format.md §3.1: payload length at offset 12.
    const payloadLength = block[12]! | (block[13]! << 8) | (block[14]! << 16) | (block[15]! << 24);
    this.#placement.add(volume.label, blockNumber, payloadLength >>> 0);
    this.#host.emit(volume, block);
  }

  write(record: Uint8Array): Promise<void> {
    if (this.#tail !== null) return this.#enqueue(() => this.#write(record));
    try {
      // The usual case: checked and packed at once, with no promise in between.
      if (this.#tryWrite(record)) return this.#host.whenRoom();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return this.#enqueue(() => this.#write(record));
  }

  get blockCapacity(): number {
    return this.#packer.capacity;
  }

  writeBlock(block: Uint8Array, header: BlockHeader): Promise<void> {
    if (this.#tail !== null) return this.#enqueue(() => this.#writeBlock(block, header));
    try {
      if (this.#tryWriteBlock(block, header)) return this.#host.whenRoom();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return this.#enqueue(() => this.#writeBlock(block, header));
  }

  async #writeBlock(block: Uint8Array, header: BlockHeader): Promise<void> {
    while (!this.#tryWriteBlock(block, header)) await this.#host.planVolume();
    await this.#host.whenRoom();
  }

  /** Places and writes `block` if a volume has room for it; false when a volume must be planned first. */
  #tryWriteBlock(block: Uint8Array, header: BlockHeader): boolean {
    this.#checkWritable();
    const id = idToString(this.streamId);
    const refuse = (why: string): Error => mediaError("MEDIA_BAD_BLOCK", `Cannot copy block ${header.blockNumber} into stream ${id}: ${why}`, { streamId: id, blockNumber: header.blockNumber });
    if (!bytesEqual(header.streamId, this.streamId)) throw refuse(`it belongs to stream ${idToString(header.streamId)}`);
    if (this.#sequence > 0) throw refuse("the stream was written record by record");
    if (header.payloadLength > this.#packer.capacity) throw refuse(`its ${header.payloadLength} payload bytes do not fit blocks of ${this.#host.blockSize} bytes`);
    if (header.streamOffset !== this.#packer.streamOffset) throw refuse(`it starts at stream offset ${header.streamOffset}, the stream is at ${this.#packer.streamOffset}`);
    if (!this.#host.hasRoom(1)) return false;
    if (!this.#packer.passBlock(block, header.streamOffset, header.payloadLength)) throw refuse("the stream has bytes pending");
    // Records are no longer counted: a record written now would be refused as out of sequence.
    this.#sequence = -1;
    if ((header.flags & BLOCK_FLAG_END_OF_STREAM) !== 0) this.#hasTrailer = true;
    return true;
  }

  async #write(record: Uint8Array): Promise<void> {
    while (!this.#tryWrite(record)) await this.#host.planVolume();
    await this.#host.whenRoom();
  }

  /** Checks and packs `record` if its blocks have room; false when a volume must be planned first. */
  #tryWrite(record: Uint8Array): boolean {
    this.#checkWritable();
    // The checksum is checked as the record is packed: one pass over its bytes for both.
    const header = checkRecord(record, { streamId: this.streamId, sequence: this.#sequence, codecs: this.#host.codecs, checksumChecked: true });
    if (!this.#host.hasRoom(this.#packer.blocksSealedBy(record))) return false;
    if (this.#checksumChecked) this.#packer.append(record);
    else if (!this.#packer.appendChecked(record)) throw badChecksum(this.streamId, header.sequence);
    this.#sequence++;
    if (header.type === RecordType.trailer) this.#hasTrailer = true;
    return true;
  }

  #checkWritable(): void {
    if (this.#state === "ended" || this.#state === "aborted" || this.#hasTrailer) {
      throw mediaError("MEDIA_STREAM_CLOSED", `Cannot write to stream ${idToString(this.streamId)}: ${this.#hasTrailer ? "its trailer is written" : "it has ended"}`, {
        streamId: idToString(this.streamId),
      });
    }
    this.#host.checkOpen();
  }

  #enqueue<T>(operation: () => Promise<T>): Promise<T> {
    const run = (this.#tail ?? Promise.resolve()).then(operation);
    const tail: Promise<void> = run.then(
      () => undefined,
      () => undefined,
    );
    this.#tail = tail;
    void tail.then(() => {
      if (this.#tail === tail) this.#tail = null;
    });
    return run;
  }

  end(): Promise<StreamPlacement> {
    return this.#enqueue(async () => {
      if (this.#state === "open" || this.#state === "flushed") {
        if (!this.#hasTrailer) {
          throw mediaError("MEDIA_NO_TRAILER", `Cannot end stream ${idToString(this.streamId)}: no trailer was written (abort it instead)`, { streamId: idToString(this.streamId) });
        }
        await this.#finish("ended");
      }
      return this.#placement.placement(this.#hasTrailer);
    });
  }

  abort(): Promise<StreamPlacement> {
    return this.#enqueue(async () => {
      if (this.#state === "open" || this.#state === "flushed") await this.#finish("aborted");
      return this.#placement.placement(this.#hasTrailer);
    });
  }

  async #finish(state: "ended" | "aborted"): Promise<void> {
    if (this.#state === "open") await this.flushForClose();
    this.#state = state;
    this.#host.forget(this);
    await this.#host.drain();
  }

  /** Packs the open block out (the agent closes, or the stream ends); no more writes are taken. */
  async flushForClose(): Promise<void> {
    while (!this.#host.hasRoom(this.#packer.blocksSealedByFlush)) await this.#host.planVolume();
    this.#packer.finish();
    this.#state = "flushed";
  }

  /** Resolves when the operations called so far have settled. */
  async settled(): Promise<void> {
    while (this.#tail !== null) await this.#tail;
  }
}
