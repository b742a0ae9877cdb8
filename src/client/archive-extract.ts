import { type Codecs, type Entry, EntryType, RecordType, StreamDecoder } from "../format/index.js";
import { displayPath } from "./errors.js";
import { FileWriterPool } from "./file-writer-pool.js";
import type { MediumFile } from "./medium-file.js";
import { type ArchiveIndex, findTrailer, readIndex, readRecordsFrom, readSequentially, type StreamReadResult } from "./archive-read.js";
import type { Reporter } from "./reporter.js";
import { type RestoreCounts, Restorer } from "./restorer.js";
import { Selection } from "./selection.js";

export interface ExtractOptions {
  source: MediumFile | AsyncIterable<Uint8Array>;
  dest: Buffer;
  paths: readonly string[];
  numericOwner: boolean;
  isRoot: boolean;
  passphrase: () => string | null;
  reporter: Reporter;
  codecs: Codecs;
  /** Threads that write small files during a whole-archive extraction (0: none). */
  writerThreads?: number;
}

export interface ExtractSummary {
  counts: RestoreCounts;
  /** Problems with the archive as a whole (damage, truncation); empty when intact. */
  problems: string[];
  lostEntries: number;
  notFound: string[];
  usedIndex: boolean;
}

/** Extracts an archive, or the named paths of it, under `dest`. */
export async function extractArchive(options: ExtractOptions): Promise<ExtractSummary> {
  const selection = new Selection(options.paths);
  const threads = options.writerThreads ?? 0;
  const pool = selection.isEverything && threads > 0 ? new FileWriterPool(threads) : undefined;
  try {
    return await extractWith(options, selection, pool);
  } finally {
    await pool?.close();
  }
}

async function extractWith(options: ExtractOptions, selection: Selection, pool: FileWriterPool | undefined): Promise<ExtractSummary> {
  // Hard link targets a selective extraction from a file brings along (latin1 keys of their paths).
  const linkTargets = new Set<string>();
  const restorer = new Restorer({
    dest: options.dest, numericOwner: options.numericOwner, isRoot: options.isRoot, reporter: options.reporter,
    ...(selection.isEverything ? {} : { select: (p: Uint8Array) => selection.matches(p) || linkTargets.has(Buffer.from(p).toString("latin1")) }),
    ...(pool === undefined ? {} : { pool }),
  });
  let lostEntries = 0;
  const problems: string[] = [];
  const source = options.source;
  // Named paths from a seekable file: seek to them through the index instead of reading it all.
  if (!selection.isEverything && "forEachBlock" in source) {
    const index = readIndex(source, options.codecs, options.passphrase, (path) => selection.matches(path));
    if (index !== null) {
      extractByIndex(source, index, selection, restorer, options, problems, linkTargets);
      restorer.finish();
      return { counts: restorer.counts, problems, lostEntries, notFound: selection.unmatched(), usedIndex: true };
    }
  }
  let bytes = 0;
  let files = 0;
  let reported = 0;
  const totalBytes = "forEachBlock" in source ? findTrailer(source, options.codecs)?.dataBytes : undefined;
  const progress = (): void => {
    reported = bytes;
    options.reporter.progress({ files, bytes, ...(totalBytes === undefined ? {} : { totalBytes }) });
  };
  const result = await readSequentially(source, {
    codecs: options.codecs,
    passphrase: options.passphrase,
    threaded: (options.writerThreads ?? 0) > 0,
    trustBlocks: true,
    handlers: {
      entry: (entry) => {
        restorer.entry(entry);
        files++;
        if ((files & 255) === 0) progress();
      },
      data: (item) => {
        bytes += item.data.length;
        restorer.data(item);
        if (bytes - reported > 16 * 1024 * 1024) progress();
      },
      damage: (damage) => {
        if (damage.entryNumber !== null) restorer.markDamaged(damage.message);
      },
      lostEntry: (entry) => {
        if (!selection.isEverything && !selection.matches(entry.path)) return;
        lostEntries++;
        options.reporter.error(`"${displayPath(entry.path)}": lost, its entry lay in a damaged part of the archive`);
      },
    },
  });
  restorer.finish();
  problems.push(...archiveProblems(result));
  return { counts: restorer.counts, problems, lostEntries, notFound: selection.unmatched(), usedIndex: false };
}

/** What is wrong with the archive as a whole, from a front-to-back read. */
export function archiveProblems(result: StreamReadResult): string[] {
  const problems: string[] = [];
  if (result.blocks === 0) problems.push("the input is empty");
  if (result.damagedBlocks.length > 0) problems.push(`${result.damagedBlocks.length} damaged block(s): ${result.damagedBlocks.slice(0, 10).join(", ")}${result.damagedBlocks.length > 10 ? ", …" : ""}`);
  if (result.head === null && result.blocks > 0) problems.push("no stream head found");
  if (result.trailer === null && result.head !== null) {
    // A cut-off pipe leaves a short, damaged last block: both cases look the same from here.
    const isEndDamaged = result.damagedBlocks.includes(result.blocks - 1);
    problems.push(isEndDamaged ? "the archive is truncated or its last block is damaged: the stream has no trailer" : "the archive is truncated: the stream has no trailer");
  }
  if (result.trailer !== null && !result.trailer.isIntact) problems.push(...result.trailer.problems);
  if (result.otherStreams > 0) problems.push(`the medium holds ${result.otherStreams} more stream(s); only the first was read`);
  return problems;
}

function extractByIndex(medium: MediumFile, index: ArchiveIndex, selection: Selection, restorer: Restorer, options: ExtractOptions, problems: string[], targets: Set<string>): void {
  const rows = new Map(index.rows.map((row) => [row.entry.number, row]));
  // A hard link needs its target's data: extract the target too (found by a second, narrow pass;
  // `targets` is what the restorer's selection lets through besides the named paths).
  for (const row of index.rows) {
    if (row.entry.type === EntryType.hardlink && row.entry.linkTarget !== null && !selection.matches(row.entry.linkTarget)) {
      targets.add(Buffer.from(row.entry.linkTarget).toString("latin1"));
    }
  }
  if (targets.size > 0) {
    const extra = readIndex(medium, options.codecs, options.passphrase, (path) => targets.has(Buffer.from(path).toString("latin1")));
    for (const row of extra?.rows ?? []) rows.set(row.entry.number, row);
  }
  const numbers = [...rows.keys()].sort((a, b) => a - b);
  const runs: number[][] = [];
  for (const n of numbers) {
    const run = runs[runs.length - 1];
    const last = run?.[run.length - 1];
    // Entries close together are read in one pass rather than one seek each.
    if (run !== undefined && last !== undefined && rows.get(n)!.location.chunkOffset - rows.get(last)!.location.chunkOffset < 4 * 1024 * 1024) run.push(n);
    else runs.push([n]);
  }
  for (const run of runs) readRun(medium, index, rows.get(run[0]!)!.location.chunkOffset, run, restorer, options, problems);
}

function readRun(medium: MediumFile, index: ArchiveIndex, chunkOffset: number, run: number[], restorer: Restorer, options: ExtractOptions, problems: string[]): void {
  const members = new Set(run);
  const lastNumber = run[run.length - 1]!;
  let isPastRun = false;
  const decoder = new StreamDecoder(
    {
      head: () => index.key,
      entry: (entry: Entry) => {
        if (entry.number > lastNumber) {
          isPastRun = true;
          return;
        }
        if (members.has(entry.number)) restorer.entry(entry);
      },
      data: (item) => {
        if (members.has(item.entryNumber)) restorer.data(item);
      },
      damage: (damage) => {
        if (damage.entryNumber !== null && members.has(damage.entryNumber)) restorer.markDamaged(damage.message);
        problems.push(damage.message);
      },
      trailer: () => {},
    },
    options.codecs,
    { head: { head: index.head, key: index.key } },
  );
  readRecordsFrom(medium, options.codecs, chunkOffset, (record, header, offset) => {
    if (header.type !== RecordType.chunk) return false;
    decoder.record(record, header, offset);
    return !isPastRun && offset < index.trailer.indexOffset;
  }, (message) => {
    restorer.markDamaged(message);
    problems.push(message);
  });
}
