import {
  BlockPacker,
  EntryType,
  idToString,
  makeLabelBlock,
  StreamEncoder,
  type StreamTrailer,
} from "../format/index.js";
import type { BlockOutput } from "./block-output.js";
import { BufferRecycler } from "./buffer-recycler.js";
import { PackingSealingSink } from "./packing-sealing-sink.js";
import type { Reporter } from "./reporter.js";
import { SourceReader } from "./source-reader.js";
import { walkSources } from "./source-tree.js";
import { sealingSink, streamSetup } from "./stream-setup.js";

export const DEFAULT_BLOCK_SIZE = 64 * 1024;

export interface CreateOptions {
  root: string;
  paths: readonly string[];
  excludes: readonly string[];
  compression: "none" | "zstd";
  level: number;
  passphrase: string | null;
  blockSize: number;
  output: BlockOutput;
  reporter: Reporter;
  /** The time written into the label and head (the caller's clock). */
  now: Date;
  /** 16 random bytes for medium and stream ids. */
  randomId: () => Uint8Array;
  descriptor?: Record<string, unknown>;
  /** Threads that compress and encrypt chunks (0 or 1: on the calling thread). */
  threads?: number;
  /** Walk the tree once first to know the totals for progress (an ETA on a terminal). */
  estimateTotals?: boolean;
  /** Where written blocks come back for reuse (the output's recycler), if anywhere; its memory layout (aligned or not) is that of every block. */
  blockRecycler?: BufferRecycler;
  /** The archive file's own inode, when it is a file that the walk might meet. */
  skip?: { dev: number; ino: number };
}

export interface CreateSummary {
  streamId: string;
  entries: number;
  dataBytes: number;
  archiveBytes: number;
  errors: number;
  trailer: StreamTrailer;
}

/** Creates an archive: a medium holding one stream of the given paths (format.md §8). */
export async function createArchive(options: CreateOptions): Promise<CreateSummary> {
  const mediumId = options.randomId();
  const streamId = options.randomId();
  const createdAt = options.now.toISOString();
  const threads = options.threads ?? 0;
  const setup = streamSetup({ streamId, compression: options.compression, level: options.level, passphrase: options.passphrase, threads });
  const codecs = setup.codecs;
  // The label is a block of its own memory: an output written with O_DIRECT copies it to aligned memory.
  options.output.write(makeLabelBlock({ mediumId, blockSize: options.blockSize, checksum: codecs.checksum, label: { label: "archive", pool: null, createdAt, writer: "reel 0.1.0" } }));
  let nextBlock = 1;
  const blocks = options.blockRecycler ?? new BufferRecycler(options.blockSize);
  const packer = new BlockPacker({
    mediumId, streamId, blockSize: options.blockSize, checksum: codecs.checksum,
    nextBlockNumber: () => nextBlock++,
    emit: (block) => options.output.write(block),
    allocate: (size) => (size === blocks.size ? blocks.take() : Buffer.allocUnsafeSlow(size)),
  });
  // A record is copied into blocks at once: its memory can be used for the next chunk.
  const pack = (record: Uint8Array): void => {
    packer.append(record);
    setup.frames.give(record.buffer);
  };
  // One sealing thread also packs the blocks: this thread then only reads files.
  const packing = setup.sealThreads === 1 && threads > 1
    ? new PackingSealingSink(options.level, codecs, { ...setup.seal, mediumId, streamId, blockSize: options.blockSize, aligned: blocks.memory.aligned }, (block) => options.output.write(block), (frame) => setup.frames.give(frame))
    : null;
  if (packing !== null) blocks.sendTo((memory) => packing.giveBack(memory));
  const sealing = packing === null ? sealingSink(setup, options.level, pack) : { sink: packing, parallel: packing };
  const parallel = sealing.parallel;
  const descriptor = { ...(setup.encryption === null ? { paths: [...options.paths] } : {}), ...options.descriptor };
  const encoder = new StreamEncoder({ head: setup.head(createdAt, descriptor), sink: sealing.sink, allocate: setup.allocate });
  const totals = options.estimateTotals === true ? estimateTotals(options) : null;
  // Memory stays bounded: reading waits while the writer or the sealing threads are behind.
  const backpressure = async (): Promise<void> => {
    if (options.output.isBusy) await options.output.ready();
    if (parallel?.isBusy === true) await parallel.ready();
  };
  const state = new SourceReader(encoder, options.reporter, totals, backpressure);
  const walk = { root: options.root, paths: options.paths, excludes: options.excludes, ...(options.skip === undefined ? {} : { skip: options.skip }) };
  for (const item of walkSources({ ...walk, warnings: { warn: (k, m) => options.reporter.warn(k, m), error: (_p, m) => state.fail(m) } })) {
    await state.add(item);
    await state.backpressure();
  }
  let trailer: StreamTrailer;
  try {
    trailer = await encoder.finish();
  } finally {
    await parallel?.close();
  }
  packer.finish();
  await options.output.close();
  return { streamId: idToString(streamId), entries: trailer.entryCount, dataBytes: trailer.dataBytes, archiveBytes: options.output.bytesWritten, errors: state.errors, trailer };
}

/** A first walk that only adds up sizes: totals for an ETA. */
function estimateTotals(options: CreateOptions): { totalBytes: number; totalFiles: number } {
  let totalBytes = 0;
  let totalFiles = 0;
  const quiet = { warn: () => {}, error: () => {} };
  for (const item of walkSources({ root: options.root, paths: options.paths, excludes: options.excludes, warnings: quiet })) {
    totalFiles++;
    if (item.type === EntryType.file) totalBytes += item.stat.size;
  }
  return { totalBytes, totalFiles };
}
