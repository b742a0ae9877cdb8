import { BLOCK_FLAG_END_OF_STREAM, BlockKind, bytesEqual, type Codecs, openBlock, RecordAssembler, type RecordHeader, RecordType } from "../format/index.js";
import { type BlockRun, blockRuns } from "./block-runs.js";
import type { Drive } from "./drive.js";
import type { StreamExtent } from "./placement.js";
import { RecordBuffers } from "./record-buffers.js";

export interface StreamReadLoss {
  /** Stream offset from which records were lost. */
  fromOffset: number;
  /** Stream offset where reading is good again (or the end seen). */
  toOffset: number;
  reason: string;
  /** The volume where the loss was found, and the damaged block that caused it if one did. */
  label: string;
  block: number | null;
}

export interface ReadStreamOptions {
  drive: Drive;
  streamId: Uint8Array;
  /** Where the stream lies, in stream order (runs of its blocks; coarser runs work too: other streams' blocks are skipped). */
  extents: StreamExtent[];
  /** Start at the record that begins at this stream offset (e.g. a chunk found in the file index); 0: the whole stream. */
  fromOffset?: number;
  codecs: Codecs;
  /** Each record in order; awaited (backpressure). The record is only valid during the call unless copied. */
  onRecord: (record: Uint8Array, header: RecordHeader, streamOffset: number) => void | Promise<void>;
  /** A range of the stream that could not be read; awaited (a reader may fill it in from another copy before the records after it). */
  onLoss: (loss: StreamReadLoss) => void | Promise<void>;
  /** Stop after the record that ends at or beyond this stream offset (single-file restores). */
  stopAtOffset?: number;
}

export interface ReadStreamResult {
  blocksRead: number;
  damagedBlocks: { label: string; block: number }[];
  /** True when the TRAILER was read (the stream is complete as far as it was read). */
  isComplete: boolean;
  /** Stream offset after the last byte taken. */
  endOffset: number;
}

type AssemblerEvent = { record: Uint8Array; header: RecordHeader; streamOffset: number } | { loss: { fromOffset: number; toOffset: number; reason: string } };

interface Damage {
  label: string;
  block: number;
  reason: string;
}

/**
 * Reads one stream back as checked records, in order, from the blocks its extents name
 * (format.md §3.4): large reads, blocks of other streams skipped by their header, damaged
 * blocks reported and read past (the reader resynchronises at the next record start).
 * Throws FORMAT_UNSUPPORTED_VERSION for a block of a newer format.
 */
export async function readStreamRecords(o: ReadStreamOptions): Promise<ReadStreamResult> {
  return new StreamRecordReader(o).read();
}

/**
 * One read of a stream. Invariants: 1. the assembler is fed only bytes at or after `#from`,
 * starting exactly at `#from` (a record start), so no record before it is decoded or reported;
 * 2. its events are gathered during a synchronous push and handed out afterwards, awaiting
 * onRecord; records assembled across blocks live in `#buffers` until handed out.
 */
class StreamRecordReader {
  readonly #o: ReadStreamOptions;
  readonly #from: number;
  readonly #buffers = new RecordBuffers();
  readonly #assembler: RecordAssembler;
  #events: AssemblerEvent[] = [];
  #damage: Damage | null = null;
  #blocksRead = 0;
  readonly #damagedBlocks: { label: string; block: number }[] = [];
  #isStopped = false;
  #isComplete = false;
  /** The volume of the last run taken. */
  #label = "";

  constructor(o: ReadStreamOptions) {
    this.#o = o;
    this.#from = o.fromOffset ?? 0;
    this.#assembler = new RecordAssembler(
      {
        record: (record, header, streamOffset) => this.#events.push({ record, header, streamOffset }),
        loss: (loss) => this.#events.push({ loss }),
      },
      o.codecs,
      { streamOffset: this.#from, atRecordStart: true, trustBlocks: true, allocate: (size) => this.#buffers.take(size) },
    );
  }

  async read(): Promise<ReadStreamResult> {
    const runs = blockRuns({
      drive: this.#o.drive, extents: this.#o.extents, from: this.#from,
      ...(this.#o.stopAtOffset === undefined ? {} : { until: this.#o.stopAtOffset }),
      onRead: (blocks) => (this.#blocksRead += blocks),
    });
    for await (const run of runs) {
      this.#label = run.label;
      if (run.kind === "missing") this.#damage ??= { label: run.label, block: -1, reason: run.reason };
      else if (run.kind === "unreadable") for (let i = 0; i < run.count; i++) this.#damaged(run.label, run.first + i, run.reason);
      else await this.#takeRun(run);
      if (this.#isStopped) break;
    }
    if (!this.#isStopped) await this.#end();
    return { blocksRead: this.#blocksRead, damagedBlocks: this.#damagedBlocks, isComplete: this.#isComplete, endOffset: this.#assembler.streamOffset };
  }

  async #takeRun(run: Extract<BlockRun, { kind: "blocks" }>): Promise<void> {
    for (let i = 0; i < run.blocks.length && !this.#isStopped; i++) await this.#take(run.blocks[i]!, run.label, run.first + i);
    if (run.blocks.length < run.count) {
      // The volume ends before the extent does: the rest of the extent is lost.
      this.#damage ??= { label: run.label, block: run.first + run.blocks.length, reason: `volume "${run.label}" ends at block ${run.volumeBlocks}` };
    }
  }

  #damaged(label: string, block: number, reason: string): void {
    this.#damagedBlocks.push({ label, block });
    this.#damage ??= { label, block, reason };
  }

  async #take(block: Uint8Array, label: string, number: number): Promise<void> {
    const check = openBlock(block, this.#o.codecs.checksum);
    if (!check.ok) {
      this.#damaged(label, number, `block ${number} of volume "${label}" is damaged (${check.message})`);
      return;
    }
    const { header, payload } = check;
    if (header.kind !== BlockKind.stream || !bytesEqual(header.streamId, this.#o.streamId)) return;
    const start = header.streamOffset;
    if (start + payload.length <= this.#from) return;
    if (start < this.#from) this.#assembler.push({ streamOffset: this.#from, payload: payload.subarray(this.#from - start), firstRecordOffset: 0 });
    else this.#assembler.push({ streamOffset: start, payload, firstRecordOffset: header.firstRecordOffset });
    await this.#dispatch(label);
    if ((header.flags & BLOCK_FLAG_END_OF_STREAM) !== 0) this.#isStopped = true;
  }

  /**
   * Hands out what the assembler found, in order. A loss names the damage seen since the last
   * record (the loss is reported only where the stream resynchronises, maybe blocks later).
   */
  async #dispatch(label: string): Promise<void> {
    const events = this.#events;
    this.#events = [];
    for (const event of events) {
      const damage = this.#damage;
      this.#damage = null;
      if ("loss" in event) {
        const reason = damage === null ? event.loss.reason : `${damage.reason}: ${event.loss.reason}`;
        await this.#o.onLoss({ ...event.loss, reason, label: damage?.label ?? label, block: damage === null || damage.block < 0 ? null : damage.block });
        continue;
      }
      const { record, header, streamOffset } = event;
      if (!this.#isStopped) {
        await this.#o.onRecord(record, header, streamOffset);
        if (header.type === RecordType.trailer) this.#isComplete = this.#isStopped = true;
        if (this.#o.stopAtOffset !== undefined && streamOffset + record.length >= this.#o.stopAtOffset) this.#isStopped = true;
      }
      this.#buffers.give(record);
    }
  }

  /** The extents are read: damage after the last intact block, or a record cut off, is a loss. */
  async #end(): Promise<void> {
    if (this.#damage !== null) this.#assembler.markGap("no intact block of the stream follows");
    this.#assembler.end();
    await this.#dispatch(this.#label);
  }
}
