/**
 * The reading side of a copy job on a node (DESIGN §5, patent Fig. 4/5: a restore media agent
 * feeding copy stages). `multiplex` reads each source volume exactly once, front to back, in
 * large reads, skips the blocks of streams not asked for by their header alone, and rebuilds the
 * records of every selected stream as its blocks come, sending each whole record on to that
 * stream's copy stage; `demux` sends the streams one after another, each read from its extents,
 * so that every stream lands contiguously on the target. Records travel as they are stored
 * (sealed by the client): a copy never decrypts or decompresses.
 */
import { BLOCK_FLAG_END_OF_STREAM, BLOCK_HEADER_SIZE, type BlockHeader, BlockKind, type Codecs, idFromString, idToString, openBlock, RecordAssembler, type RecordHeader, RecordType } from "../format/index.js";
import { type Drive, type DriveSpec, readStreamRecords, RecordBuffers } from "../media/index.js";
import type { CopyRun, CopyRunReply, CopyStream, CopyStreamResult } from "./messages.js";
import { serviceError } from "./service-errors.js";
import { type StageOut, StageSender } from "./stage-sender.js";
import type { Identity } from "./tls.js";

/** Bytes per read of a multiplex pass: large sequential reads, as a volume scan does. */
const READ_BYTES = 8 * 1024 * 1024;
/** Where a block header holds its stream id (format.md §3.1). */
const STREAM_ID_AT = 40;
/** Large reads in flight while the blocks before them are sent on. */
const READS_AHEAD = 3;

export interface NodeCopyContext {
  name: string;
  driveOf(spec: DriveSpec): Drive;
  codecs: Codecs;
  /** The node's identity: copy stages are reached over mutual TLS as this node. */
  identity?: Identity;
  /** Opens a stream to a stage (this node's own media agents when the stage is here). */
  openStage?: (target: { name: string; address: string; stage: number }, stream: string) => Promise<StageOut>;
  log: (line: string) => void;
}

/** Runs a copy.run request; resolves with what became of each stream. */
export async function runCopy(ctx: NodeCopyContext, request: CopyRun): Promise<CopyRunReply> {
  const identity = ctx.identity;
  if (identity === undefined) throw serviceError("TRANSFER_BAD_MESSAGE", `Node "${ctx.name}" cannot run copy jobs: it was started without the identity its copy stages need`);
  const outs = request.streams.map((s) => new CopyOut(ctx, identity, s));
  const counts = request.mode === "demux" ? await demux(ctx, request, outs) : await multiplex(ctx, request, outs);
  for (const out of outs) await out.settle();
  return { streams: outs.map((o) => o.result()), ...counts };
}

interface ReadCounts {
  volumesRead: number;
  blocksRead: number;
  damagedBlocks: number;
}

/** One stream of the copy: its block ranges on the source, its assembler and its sender to stage 1. */
class CopyOut {
  readonly spec: CopyStream;
  readonly assembler: RecordAssembler;
  readonly #identity: Identity;
  /** Block ranges [first, end) by volume label, in order: blocks outside are another copy's. */
  readonly #ranges = new Map<string, { ranges: Array<[number, number]>; at: number }>();
  #events: Array<{ record: Uint8Array; header: RecordHeader } | { loss: string }> = [];
  #sender: StageOut | null = null;
  #closing: Promise<void> | null = null;
  opened = false;
  records = 0;
  /** Blocks passed on as they are (takeBlock). */
  blocks = 0;
  /** Whether the stream goes block by block; null until its first block. */
  #blockMode: boolean | null = null;
  bytes = 0;
  complete = false;
  error: string | null = null;
  /** Nothing more is taken: the trailer was sent, or the stream failed. */
  finished = false;
  seen = false;

  readonly #openStage: NodeCopyContext["openStage"];
  readonly #buffers = new RecordBuffers();

  constructor(ctx: NodeCopyContext, identity: Identity, spec: CopyStream) {
    this.#identity = identity;
    this.#openStage = ctx.openStage;
    this.spec = spec;
    for (const e of spec.extents) {
      const entry = this.#ranges.get(e.label) ?? { ranges: [], at: 0 };
      entry.ranges.push([e.firstBlock, e.firstBlock + e.blockCount]);
      this.#ranges.set(e.label, entry);
    }
    for (const entry of this.#ranges.values()) entry.ranges.sort((a, b) => a[0] - b[0]);
    // Every piece comes from a block whose checksum was verified; records that span blocks are
    // assembled in memory reused once the stage took them.
    this.assembler = new RecordAssembler(
      { record: (record, header) => this.#events.push({ record, header }), loss: (loss) => this.#events.push({ loss: `stream bytes ${loss.fromOffset}–${loss.toOffset} lost: ${loss.reason}` }) },
      ctx.codecs,
      { streamOffset: 0, atRecordStart: true, trustBlocks: true, allocate: (size) => this.#buffers.take(size) },
    );
  }

  /** True when block `block` of volume `label` belongs to this stream's source copy (blocks come in increasing order). */
  owns(label: string, block: number): boolean {
    const entry = this.#ranges.get(label);
    if (entry === undefined) return false;
    while (entry.at < entry.ranges.length && entry.ranges[entry.at]![1] <= block) entry.at++;
    const range = entry.ranges[entry.at];
    return range !== undefined && range[0] <= block;
  }

  /** Hands what the assembler found to the copy stage, in order; awaits each write (backpressure). */
  async dispatch(): Promise<void> {
    const events = this.#events;
    this.#events = [];
    for (const event of events) {
      if (this.finished) return;
      if ("loss" in event) this.fail(event.loss);
      else {
        await this.send(event.record, event.header.type === RecordType.trailer);
        this.#buffers.give(event.record);
      }
    }
  }

  /** The stream at stage 1, opened by the first record or block. */
  async #open(): Promise<StageOut> {
    if (this.#sender === null) {
      this.#sender = this.#openStage !== undefined
        ? await this.#openStage(this.spec.target, this.spec.stream)
        : await StageSender.open({ target: this.spec.target, stream: this.spec.stream, stage: this.spec.target.stage, identity: this.#identity });
      this.opened = true;
    }
    return this.#sender;
  }

  /** Sends one record; the first opens the stream at stage 1, the trailer closes it. */
  async send(record: Uint8Array, isTrailer: boolean): Promise<void> {
    try {
      await (await this.#open()).write(record);
      this.records++;
      this.bytes += record.length;
    } catch (error) {
      this.fail(`cannot send it to node "${this.spec.target.name}": ${reasonOf(error)}`);
      return;
    }
    if (isTrailer) this.#end();
  }

  /**
   * Takes a checked block of the stream as it is when every copy stage is on this node and the
   * stream's blocks fit the stages' blocks (the usual copy: one node, one block size): no record
   * is rebuilt, re-packed or checksummed again. False when the block must go record by record
   * (decided at the stream's first block, for the whole stream).
   */
  async takeBlock(block: Uint8Array, header: BlockHeader, sourceCapacity: number): Promise<boolean> {
    if (this.#blockMode === null) {
      let sender: StageOut;
      try {
        sender = await this.#open();
      } catch (error) {
        this.fail(`cannot send it to node "${this.spec.target.name}": ${reasonOf(error)}`);
        return true;
      }
      this.#blockMode = sender.blocks !== undefined && header.streamOffset === 0 && sourceCapacity <= sender.blocks.capacity;
    }
    if (!this.#blockMode) return false;
    if (header.streamOffset !== this.bytes) {
      this.fail(header.streamOffset > this.bytes ? `stream bytes ${this.bytes}–${header.streamOffset} lost: damaged or missing blocks on the source` : `block ${header.blockNumber} repeats stream bytes from ${header.streamOffset}`);
      return true;
    }
    try {
      await this.#sender!.blocks!.write(block, header);
      this.bytes += header.payloadLength;
      this.blocks++;
    } catch (error) {
      this.fail(`cannot write it on node "${this.spec.target.name}": ${reasonOf(error)}`);
      return true;
    }
    if ((header.flags & BLOCK_FLAG_END_OF_STREAM) !== 0) this.#end();
    return true;
  }

  /** A checked block of the stream from its source copy: passed on as it is, or its records rebuilt and sent. */
  async take(block: Uint8Array, header: BlockHeader, payload: Uint8Array, sourceCapacity: number): Promise<void> {
    this.seen = true;
    if (await this.takeBlock(block, header, sourceCapacity)) return;
    this.assembler.push({ streamOffset: header.streamOffset, payload, firstRecordOffset: header.firstRecordOffset });
    await this.dispatch();
    if ((header.flags & BLOCK_FLAG_END_OF_STREAM) !== 0 && !this.finished) this.fail("the stream ends on the source without its trailer");
  }

  /** The stream's last byte went out: the stage finishes writing (and its own next stages) while other streams are read. */
  #end(): void {
    this.finished = true;
    const sender = this.#sender!;
    this.#closing = sender.close().then(
      () => void (this.complete = true),
      (error: unknown) => void (this.error = `node "${this.spec.target.name}" did not take the end of the stream: ${reasonOf(error)}`),
    );
  }

  fail(reason: string): void {
    if (this.finished) return;
    this.finished = true;
    this.error = reason;
    this.#sender?.abort(serviceError("TRANSFER_JOB_FAILED", `Copy of stream ${this.spec.stream} broke off: ${reason}`));
  }

  /** After the read: a stream that did not end on the source volumes is aborted at its stage. */
  async settle(): Promise<void> {
    if (!this.finished) {
      this.assembler.end();
      this.#events = [];
      this.fail(this.seen ? "the stream does not end on the source volumes" : "no block of the stream is on the source volumes");
    }
    await this.#closing;
  }

  result(): CopyStreamResult {
    return { stream: this.spec.stream, opened: this.opened, records: this.records, blocks: this.blocks, bytes: this.bytes, complete: this.complete, error: this.error };
  }
}

/**
 * One pass over every source volume: each block is read once; a block of a selected stream goes
 * to that stream's assembler, every other block is skipped by its header.
 */
async function multiplex(ctx: NodeCopyContext, request: CopyRun, outs: CopyOut[]): Promise<ReadCounts> {
  // Keyed as block headers read (a UUID string), whatever form the request gave.
  const byStream = new Map(outs.map((o) => [idToString(idFromString(o.spec.stream)), o]));
  const counts: ReadCounts = { volumesRead: 0, blocksRead: 0, damagedBlocks: 0 };
  for (const source of request.volumes) {
    if (outs.every((o) => o.finished)) break;
    const volume = await ctx.driveOf(source.drive).openVolume(source.label);
    counts.volumesRead++;
    try {
      const perRead = Math.max(1, Math.floor(READ_BYTES / volume.blockSize));
      // Reads ahead of the blocks being sent: the drive reads while the stages take records.
      const ahead: Array<Promise<Uint8Array[]>> = [];
      let nextAt = 0;
      const readAhead = (): void => {
        while (ahead.length < READS_AHEAD && nextAt < volume.blockCount) {
          const read = volume.readBlocks(nextAt, perRead);
          read.catch(() => undefined);
          ahead.push(read);
          nextAt += perRead;
        }
      };
      readAhead();
      for (let at = 0; at < volume.blockCount; at += perRead) {
        const blocks = await ahead.shift()!;
        if (blocks.length === 0) break;
        readAhead();
        counts.blocksRead += blocks.length;
        for (let i = 0; i < blocks.length; i++) {
          // A block of a stream not asked for is skipped by its header's stream id, unchecked; a
          // damaged id that hides one of ours shows as a gap in that stream's offsets.
          if (!byStream.has(idToString(blocks[i]!.subarray(STREAM_ID_AT, STREAM_ID_AT + 16)))) continue;
          const check = openBlock(blocks[i]!, ctx.codecs.checksum);
          if (!check.ok) {
            // A damaged block: the stream it belonged to finds its gap by the stream offsets that follow.
            counts.damagedBlocks++;
            continue;
          }
          const { header, payload } = check;
          if (header.kind !== BlockKind.stream) continue;
          const out = byStream.get(idToString(header.streamId));
          if (out === undefined || out.finished || !out.owns(source.label, at + i)) continue;
          await out.take(blocks[i]!, header, payload, volume.blockSize - BLOCK_HEADER_SIZE);
        }
        volume.release?.(blocks);
      }
    } finally {
      await volume.close();
    }
  }
  return counts;
}

/** The streams one after another, each read from its own extents. */
async function demux(ctx: NodeCopyContext, request: CopyRun, outs: CopyOut[]): Promise<ReadCounts> {
  const drives = new Map(request.volumes.map((v) => [v.label, v.drive]));
  const counts: ReadCounts = { volumesRead: 0, blocksRead: 0, damagedBlocks: 0 };
  const volumes = new Set<string>();
  for (const out of outs) {
    const spec = drives.get(out.spec.extents[0]?.label ?? "");
    if (spec === undefined) continue; // settle() reports it
    for (const e of out.spec.extents) volumes.add(e.label);
    out.seen = true;
    const losses: string[] = [];
    try {
      const read = await readStreamRecords({
        drive: ctx.driveOf(spec), streamId: idFromString(out.spec.stream), extents: out.spec.extents, codecs: ctx.codecs,
        onRecord: async (record, header) => {
          if (losses.length > 0) throw new StopRead();
          await out.send(record, header.type === RecordType.trailer);
          if (out.finished && !out.complete && out.error !== null) throw new StopRead();
        },
        onLoss: (loss) => void losses.push(`stream bytes ${loss.fromOffset}–${loss.toOffset} lost on volume "${loss.label}": ${loss.reason}`),
      });
      counts.blocksRead += read.blocksRead;
      counts.damagedBlocks += read.damagedBlocks.length;
    } catch (error) {
      if (!(error instanceof StopRead)) out.fail(`cannot read it: ${reasonOf(error)}`);
    }
    if (losses.length > 0) out.fail(losses.join("; "));
    await out.settle();
  }
  counts.volumesRead = volumes.size;
  return counts;
}

/** Ends a demultiplexing read early (the stream failed). */
class StopRead extends Error {}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
