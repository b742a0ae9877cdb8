import { isReelError } from "../errors/index.js";
import { BLOCK_HEADER_SIZE, CHUNK_CAPACITY, RECORD_HEADER_SIZE } from "../format/index.js";
import type { Drive, VolumeReader } from "./drive.js";
import type { StreamExtent } from "./placement.js";

/** Bytes per read from a volume. */
const READ_BYTES = 4 * 1024 * 1024;
/**
 * Reads kept in flight ahead of the consumer. With one, the disk idled whenever the consumer was
 * slow to take a run (a restore's disk then alternated between reading the volume and writing
 * the restored files); with two its reads and writes overlap (bench/RESULTS.md).
 */
const READS_AHEAD = 2;

/** What one read of a stream's extents gave, in stream order. */
export type BlockRun =
  | { kind: "blocks"; label: string; first: number; count: number; blocks: Uint8Array[]; volumeBlocks: number }
  | { kind: "unreadable"; label: string; first: number; count: number; reason: string }
  | { kind: "missing"; label: string; reason: string };

export interface BlockRunsOptions {
  drive: Drive;
  extents: StreamExtent[];
  /** Stream offset to start at: runs begin at or before the block that holds it. */
  from: number;
  /** Counts every block read. */
  onRead: (blocks: number) => void;
  /**
   * Stream offset where the consumer will likely stop (a restore of a few files, a stream's
   * HEAD): reads are sized to reach it and none is started past it before the consumer asks for
   * one (a record that runs on past it still gets its blocks).
   */
  until?: number;
}

/**
 * Reads the blocks of a stream's extents from `from` on, in large reads, READS_AHEAD reads ahead
 * of the consumer so that the drive works while the blocks before are checked. Volumes that cannot be
 * opened and reads that fail are runs of their own, in their place. One volume is open at a
 * time: a volume is closed when the extents move on to another (and opened again should they
 * come back to it).
 */
export async function* blockRuns(o: BlockRunsOptions): AsyncGenerator<BlockRun> {
  const volumes = new Map<string, VolumeReader | string>();
  const gate = new DemandGate();
  const requests = plannedReads(o, volumes, gate);
  const fetch = (): Promise<BlockRun | null> => {
    const next = fetchNext(requests, o);
    // Awaited in turn; until then a failure must not count as unhandled.
    next.catch(() => undefined);
    return next;
  };
  // Reads in flight ahead of the consumer, in stream order.
  const ahead: Array<Promise<BlockRun | null>> = [];
  for (let i = 0; i < READS_AHEAD; i++) ahead.push(fetch());
  try {
    for (;;) {
      const run = await ahead.shift()!;
      if (run === null) return;
      ahead.push(fetch());
      yield run;
      // The consumer asked for the next run: it is done with this one's blocks.
      gate.asked();
      if (run.kind === "blocks") release(volumes.get(run.label), run.blocks);
    }
  } finally {
    gate.close();
    for (const read of ahead) await read.catch(() => null);
    for (const volume of volumes.values()) if (typeof volume !== "string") await volume.close().catch(() => undefined);
  }
}

function release(volume: VolumeReader | string | undefined, blocks: Uint8Array[]): void {
  if (volume !== undefined && typeof volume !== "string") volume.release?.(blocks);
}

/** A read, started when the request was made (so that the reads of a volume are known before it is closed). */
type Request = { volume: VolumeReader; label: string; first: number; count: number; blocks: Promise<Uint8Array[]> } | { kind: "missing"; label: string; reason: string };

async function fetchNext(requests: AsyncGenerator<Request>, o: BlockRunsOptions): Promise<BlockRun | null> {
  const next = await requests.next();
  if (next.done === true) return null;
  const request = next.value;
  if ("kind" in request) return request;
  const { volume, label, first, count } = request;
  try {
    const blocks = await request.blocks;
    o.onRead(blocks.length);
    return { kind: "blocks", label, first, count, blocks, volumeBlocks: volume.blockCount };
  } catch (error) {
    if (!isReelError(error, "MEDIA_READ_FAILED")) throw error;
    return { kind: "unreadable", label, first, count, reason: error.message };
  }
}

/**
 * Holds back the reads planned past `until` until the consumer asks for a run beyond those
 * already read: it counts the runs the consumer has come back for.
 */
class DemandGate {
  #asked = 0;
  #waiting: { runs: number; resolve: () => void } | null = null;
  #isClosed = false;

  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** The consumer is done with one more run and wants the next. */
  asked(): void {
    this.#asked++;
    if (this.#waiting !== null && this.#asked >= this.#waiting.runs) this.#wake();
  }

  /** Resolves once the consumer has asked for `runs` runs after the first (or the read ends). */
  until(runs: number): Promise<void> {
    if (this.#isClosed || this.#asked >= runs) return Promise.resolve();
    return new Promise((resolve) => (this.#waiting = { runs, resolve }));
  }

  close(): void {
    this.#isClosed = true;
    this.#wake();
  }

  #wake(): void {
    const waiting = this.#waiting;
    this.#waiting = null;
    waiting?.resolve();
  }
}

/** The reads to make, extent by extent, from the one that holds `from`. */
async function* plannedReads(o: BlockRunsOptions, volumes: Map<string, VolumeReader | string>, gate: DemandGate): AsyncGenerator<Request> {
  const start = startExtent(o.extents, o.from);
  /** Requests yielded so far; from `held` on, each waits until the consumer has taken the one before. */
  let yielded = 0;
  let held = Infinity;
  /** Reads made past `until` (the consumer wanted more): the first fits one of reel's records, each next doubles. */
  let pastUntil = 0;
  /** Reads started and not yet settled: a volume is closed only once its reads are done. */
  const reading = new Set<Promise<unknown>>();
  for (let i = start; i < o.extents.length; i++) {
    const extent = o.extents[i]!;
    // A tape library lends one drive per open volume: give the volume before back first, so
    // that a stream spanning more tapes than the library has drives reads through.
    if (volumes.size > 0 && !volumes.has(extent.label)) await Promise.allSettled([...reading]);
    await closeOthers(volumes, extent.label);
    const volume = await openOnce(o.drive, extent.label, volumes);
    if (typeof volume === "string") {
      yield { kind: "missing", label: extent.label, reason: volume };
      continue;
    }
    const end = extent.firstBlock + extent.blockCount;
    const perRead = Math.max(1, Math.floor(READ_BYTES / volume.blockSize));
    const payload = volume.blockSize - BLOCK_HEADER_SIZE;
    let at = i === start ? seek(volume, extent, o.from) : extent.firstBlock;
    while (at < end) {
      let count = Math.min(perRead, end - at);
      if (yielded >= held) {
        await gate.until(yielded);
        if (gate.isClosed) return;
        const oneRecord = Math.ceil((CHUNK_CAPACITY + RECORD_HEADER_SIZE) / payload) + 1;
        count = Math.min(count, oneRecord * 2 ** Math.min(pastUntil++, 16));
      } else if (o.until !== undefined) {
        // The stream offset block `at` would hold were the extent all this stream's: never less
        // than the real one, so the blocks counted to reach `until` are never too many.
        const offsetAt = extent.streamOffset + (at - extent.firstBlock) * payload;
        const toUntil = Math.max(1, Math.ceil((o.until - offsetAt) / payload) + 1);
        if (toUntil <= count) {
          count = toUntil;
          held = yielded + 1;
        }
      }
      yielded++;
      const blocks = volume.readBlocks(at, count);
      // Awaited by fetchNext in turn; `settled` handles a failure until then.
      const settled = blocks.then(() => undefined, () => undefined);
      reading.add(settled);
      void settled.then(() => reading.delete(settled));
      yield { volume, label: extent.label, first: at, count, blocks };
      at += count;
    }
  }
}

/** Closes every open volume but `label` (a stream's extents move on from volume to volume). */
async function closeOthers(volumes: Map<string, VolumeReader | string>, label: string): Promise<void> {
  for (const [other, volume] of volumes) {
    if (other === label || typeof volume === "string") continue;
    volumes.delete(other);
    await volume.close().catch(() => undefined);
  }
}

/** Opens a volume the first time it is needed; its error message if it cannot be (once). */
async function openOnce(drive: Drive, label: string, volumes: Map<string, VolumeReader | string>): Promise<VolumeReader | string> {
  const known = volumes.get(label);
  if (known !== undefined) return known;
  let volume: VolumeReader | string;
  try {
    volume = await drive.openVolume(label);
  } catch (error) {
    if (!isReelError(error) || !error.code.startsWith("MEDIA_")) throw error;
    volume = error.message;
  }
  volumes.set(label, volume);
  return volume;
}

/**
 * The block to start the first extent at: the one that would hold `from` if every block of the
 * extent before it were the stream's and full. Blocks hold at most blockSize − 80 bytes and other
 * streams' blocks only push the stream's further on, so the block holding `from` is never
 * before it: reading from there and skipping up to `from` is always right.
 */
function seek(volume: VolumeReader, extent: StreamExtent, from: number): number {
  if (from <= extent.streamOffset) return extent.firstBlock;
  const skipped = Math.floor((from - extent.streamOffset) / (volume.blockSize - BLOCK_HEADER_SIZE));
  return extent.firstBlock + Math.min(extent.blockCount - 1, skipped);
}

/** The extent holding stream offset `from` (the last that starts at or before it). */
function startExtent(extents: StreamExtent[], from: number): number {
  let found = 0;
  for (let i = 0; i < extents.length; i++) if (extents[i]!.streamOffset <= from) found = i;
  return found;
}
