/**
 * Helpers of the network backup engine tests: a backup into an in-memory list of records (what
 * a storage node would receive), a restore of lists of records (what it would send back), the
 * state of a saveset for the next incremental, and a decoder that lists what a stream holds.
 */
import { closeSync, mkdirSync, openSync, symlinkSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { backupSaveset, type IndexedFile, type PreviousFile, SavesetRestore, type SavesetBackupOptions, type SavesetBackupSummary, type StreamRestoreResult } from "../../src/client/index.js";
import { nodeCodecs } from "../../src/client/node-codecs.js";
import { posix } from "../../src/client/posix.js";
import { CollectingReporter } from "../../src/client/reporter.js";
import { decodeRecordHeader, type Entry, EntryType, idFromString, idToString, SealingSink, StreamDecoder, StreamEncoder } from "../../src/format/index.js";
import { type EntrySpec, sh } from "./helpers.js";

export const MiB = 1024 * 1024;
export const NOW = new Date("2026-03-04T05:06:07Z");

export interface Backup {
  /** Copies of the records, in the order send() got them. */
  records: Uint8Array[];
  rows: IndexedFile[];
  summary: SavesetBackupSummary;
  reporter: CollectingReporter;
  /** Stream offset of each record. */
  offsets: number[];
}

/** Runs backupSaveset into memory; every other send resolves later (the network's backpressure). */
export async function backup(paths: string[], extra: Partial<SavesetBackupOptions> = {}): Promise<Backup> {
  const records: Uint8Array[] = [];
  const rows: IndexedFile[] = [];
  const reporter = new CollectingReporter();
  let sends = 0;
  const summary = await backupSaveset({
    paths, excludes: [], level: "full", previous: null, compression: "none", compressionLevel: 3, passphrase: null,
    streamId: idFromString("5a5e7000-0000-4000-8000-000000000001"), descriptor: { test: true }, now: NOW, reporter,
    send: (record) => {
      // A copy: the engine reuses the memory once send resolved.
      records.push(new Uint8Array(record));
      return ++sends % 2 === 0 ? new Promise<void>((resolve) => setImmediate(resolve)) : undefined;
    },
    index: (batch) => void rows.push(...batch),
    ...extra,
  });
  const offsets: number[] = [];
  let at = 0;
  for (const r of records) {
    offsets.push(at);
    at += r.length;
  }
  return { records, rows, summary, reporter, offsets };
}

/** The state after a saveset, for the next incremental: the base's state with this saveset's rows applied. */
export function previousOf(rows: IndexedFile[], base: Map<string, PreviousFile> = new Map()): Map<string, PreviousFile> {
  const state = new Map(base);
  for (const row of rows) {
    const key = Buffer.from(row.path).toString("latin1");
    if (row.deleted) state.delete(key);
    else state.set(key, { type: row.type, size: row.size, mtimeNs: row.mtimeNs, ctimeNs: row.ctimeNs, inode: row.inode });
  }
  return state;
}

export interface Restored {
  results: StreamRestoreResult[];
  reporter: CollectingReporter;
}

/** Restores streams (each a list of records) one after another into `target` with one SavesetRestore. */
export async function restore(
  streams: Uint8Array[][],
  target: string,
  options: { selection?: Uint8Array[]; overwrite?: "always" | "never" | "older"; passphrase?: string; threads?: number } = {},
): Promise<Restored> {
  const reporter = new CollectingReporter();
  const restorer = new SavesetRestore({
    target, selection: options.selection ?? [], overwrite: options.overwrite ?? "always", numericOwner: false,
    passphrase: () => options.passphrase ?? null, reporter, threads: options.threads ?? 0,
  });
  const results: StreamRestoreResult[] = [];
  try {
    for (const records of streams) {
      for (const record of records) await restorer.push(record);
      results.push(await restorer.endStream());
    }
  } finally {
    await restorer.close();
  }
  return { results, reporter };
}

/** What a stream holds, in order: "E path" for entries, "D path" for DELETED items (paths as latin1). */
export function itemsOf(records: Uint8Array[]): string[] {
  const items: string[] = [];
  let offset = 0;
  const decoder = new StreamDecoder({
    head: () => null,
    entry: (e) => void items.push(`E ${Buffer.from(e.path).toString("latin1")}`),
    data: () => {},
    damage: (d) => void items.push(`damage ${d.message}`),
    deleted: (p) => void items.push(`D ${Buffer.from(p).toString("latin1")}`),
    trailer: (t) => void (t.isIntact ? undefined : items.push(`trailer: ${t.problems.join("; ")}`)),
  }, nodeCodecs());
  for (const r of records) {
    decoder.record(r, decodeRecordHeader(r, 0)!, offset);
    offset += r.length;
  }
  return items;
}

/** A sparse file: `size` bytes, data only at the given offsets. */
export function sparseFile(path: string, size: number, pieces: Array<[number, Buffer]>): void {
  const fd = openSync(path, "w");
  for (const [offset, data] of pieces) writeSync(fd, data, 0, data.length, offset);
  closeSync(fd);
  sh(`truncate -s ${size} '${path}'`);
}

/**
 * A tree with one of each kind: regular files (3 MiB of data among them, so several chunks),
 * an empty file, a sparse file, symlinks, hard links, a FIFO, a non-UTF-8 name, extended
 * attributes on a file and a directory, nested directories.
 */
export function buildTree(src: string): void {
  mkdirSync(join(src, "docs"), { recursive: true });
  mkdirSync(join(src, "links"));
  mkdirSync(join(src, "old/y"), { recursive: true });
  const block = Buffer.alloc(3 * MiB);
  for (let i = 0; i < block.length; i++) block[i] = (i * 7919) >>> 5;
  writeFileSync(join(src, "big.bin"), block);
  writeFileSync(join(src, "docs/a.txt"), "alpha\n");
  writeFileSync(join(src, "docs/b.txt"), "bravo\n");
  writeFileSync(join(src, "docs/c.txt"), "charlie\n");
  writeFileSync(join(src, "empty"), "");
  sparseFile(join(src, "sparse.img"), 8 * MiB, [[0, Buffer.from("start")], [5 * MiB + 3, Buffer.alloc(70000, 0x61)]]);
  symlinkSync("docs/a.txt", join(src, "link"));
  symlinkSync("/nowhere/at all", join(src, "dangling"));
  writeFileSync(join(src, "links/h1"), "one inode, two names\n");
  sh("ln links/h1 links/h2 && mkfifo fifo", src);
  writeFileSync(Buffer.concat([Buffer.from(join(src, "name-")), Buffer.from([0xff, 0xfe])]), "latin1 name\n");
  writeFileSync(join(src, "attrs"), "has an xattr\n");
  posix.lsetxattr(Buffer.from(join(src, "attrs")), Buffer.from("user.comment"), Buffer.from("kept by reel"));
  posix.lsetxattr(Buffer.from(join(src, "docs")), Buffer.from("user.dir"), Buffer.from([0, 1, 2]));
  writeFileSync(join(src, "old/x"), "x\n");
  writeFileSync(join(src, "old/y/z"), "z\n");
  sh("chmod 0640 docs/b.txt && chmod 0750 old && touch -d @1500000000.123456789 docs/a.txt", src);
}

/** The stored form of an absolute path (no leading "/"), as bytes. */
export const stored = (path: string): Buffer => Buffer.from(path.replace(/^\/+/, ""));

const bytesOf = (v: string | Buffer): Buffer => (typeof v === "string" ? Buffer.from(v, "utf8") : v);

function entryOf(spec: EntrySpec, data: Buffer | undefined): Entry {
  const type = spec.type ?? EntryType.file;
  const [mtimeSec, mtimeNsec] = spec.mtime ?? [1700000000, 0];
  return {
    number: 0, type, isSparse: spec.pieces !== undefined, mode: spec.mode ?? (type === EntryType.directory ? 0o755 : 0o644), uid: spec.uid ?? 0, gid: spec.gid ?? 0,
    size: spec.size ?? data?.length ?? 0, mtimeSec, mtimeNsec, atimeSec: 1700000000, atimeNsec: 0,
    path: bytesOf(spec.path), linkTarget: spec.linkTarget === undefined ? null : bytesOf(spec.linkTarget),
    userName: null, groupName: null, device: spec.device ?? null, xattrs: [], unknownCriticalTags: [],
  };
}

/** A DELETED item in a list of specs. */
export interface DeletedSpec {
  deleted: string | Buffer;
}

/** The records of a stream holding exactly the given entries and DELETED items, in order, whatever they are: no walk, no checks. */
export async function recordsOf(specs: Array<EntrySpec | DeletedSpec>): Promise<Uint8Array[]> {
  const records: Uint8Array[] = [];
  const encoder = new StreamEncoder({
    head: { format: 1, streamId: idToString(new Uint8Array(16).fill(7)), createdAt: "2026-01-01T00:00:00Z", compression: "none", encryption: null, descriptor: {} },
    sink: new SealingSink(nodeCodecs(), { compress: false, key: null }, (r) => records.push(new Uint8Array(r))),
  });
  for (const spec of specs) {
    if ("deleted" in spec) {
      encoder.addDeleted(bytesOf(spec.deleted));
      continue;
    }
    const data = spec.data === undefined ? undefined : bytesOf(spec.data);
    encoder.addEntry(entryOf(spec, data));
    if (data !== undefined && data.length > 0) encoder.addData(0, data);
    for (const [offset, piece] of spec.pieces ?? []) encoder.addData(offset, piece);
  }
  await encoder.finish();
  return records;
}
