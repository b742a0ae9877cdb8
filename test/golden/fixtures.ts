/**
 * The golden media of format version 1 (STYLE §5): how each fixture is built, deterministically.
 * `npm run golden:update` (UPDATE_GOLDEN=1) writes test/golden/v1/*.reel and *.json once per
 * format version; after that they never change, and golden.test.ts checks every reader
 * against them.
 */
import { createHash } from "node:crypto";
import { nodeCodecs, newStreamEncryption } from "../../src/client/node-codecs.js";
import {
  BlockPacker,
  type Entry,
  EntryType,
  entryTypeNames,
  idFromString,
  makeLabelBlock,
  SealingSink,
  StreamEncoder,
  utf8,
} from "../../src/format/index.js";

export const GOLDEN_PASSPHRASE = "golden passphrase";

export interface FixtureFile {
  path: Uint8Array;
  type: Entry["type"];
  mode: number;
  uid?: number;
  gid?: number;
  mtime: [number, number];
  data?: Uint8Array;
  /** Sparse files: data pieces and size. */
  pieces?: Array<[number, Uint8Array]>;
  size?: number;
  linkTarget?: Uint8Array;
  device?: { major: number; minor: number };
  xattrs?: Array<[string, Uint8Array]>;
}

export interface FixtureStream {
  streamId: string;
  compression: "none" | "zstd";
  encrypted: boolean;
  files: FixtureFile[];
  /** DELETED items (format.md §5.6): each goes before the file of that index (after the last file: files.length). */
  deletions?: Array<[number, Uint8Array]>;
}

export interface Fixture {
  name: string;
  blockSize: number;
  mediumId: string;
  streams: FixtureStream[];
  /** Interleave streams block by block (multiplexing). */
  interleave?: boolean;
}

const bytes = (text: string): Uint8Array => utf8(text);
const MTIME: [number, number] = [1767323045, 123456789];

function textData(length: number, seed: number): Uint8Array {
  const words = ["reel", "block", "stream", "medium", "saveset", "chunk", "tape", "backup", "\n"];
  const out = new Uint8Array(length);
  let s = seed;
  let at = 0;
  while (at < length) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const w = utf8(words[s % words.length]! + " ");
    out.set(w.subarray(0, Math.min(w.length, length - at)), at);
    at += w.length;
  }
  return out;
}

/** A POSIX ACL in the kernel's xattr form: version 2, then (tag u16, perm u16, id u32) entries. */
function aclXattr(entries: Array<[number, number, number]>): Uint8Array {
  const out = new Uint8Array(4 + entries.length * 8);
  const v = new DataView(out.buffer);
  v.setUint32(0, 2, true);
  entries.forEach(([tag, perm, id], i) => {
    v.setUint16(4 + i * 8, tag, true);
    v.setUint16(6 + i * 8, perm, true);
    v.setUint32(8 + i * 8, id, true);
  });
  return out;
}

const treeFiles: FixtureFile[] = [
  { path: bytes("."), type: EntryType.directory, mode: 0o755, mtime: MTIME },
  { path: bytes("dir"), type: EntryType.directory, mode: 0o2775, mtime: [1767323000, 1] },
  { path: bytes("dir/empty-dir"), type: EntryType.directory, mode: 0o700, mtime: [1600000000, 999999999] },
  { path: bytes("dir/text.txt"), type: EntryType.file, mode: 0o644, mtime: MTIME, data: textData(300000, 7) },
  { path: bytes("dir/empty"), type: EntryType.file, mode: 0o600, mtime: [0, 0], data: new Uint8Array(0) },
  { path: bytes("dir/big.bin"), type: EntryType.file, mode: 0o4755, mtime: [-1, 500], data: textData(1024 * 1024 + 4097, 3) },
  { path: bytes("dir/hard"), type: EntryType.hardlink, mode: 0o644, mtime: MTIME, linkTarget: bytes("dir/text.txt"), size: 300000 },
  { path: bytes("dir/rel-link"), type: EntryType.symlink, mode: 0o777, mtime: MTIME, linkTarget: bytes("text.txt") },
  { path: bytes("dir/abs-link"), type: EntryType.symlink, mode: 0o777, mtime: MTIME, linkTarget: bytes("/etc/hostname") },
  { path: bytes("dir/dangling"), type: EntryType.symlink, mode: 0o777, mtime: MTIME, linkTarget: bytes("../nowhere/at all") },
  { path: new Uint8Array([0x6e, 0x6f, 0x74, 0x2d, 0xff, 0xfe, 0x75, 0x74, 0x66, 0x38]), type: EntryType.file, mode: 0o644, mtime: MTIME, data: bytes("latin1 name\n") },
  { path: bytes("name with\nnewline, space and \\ backslash"), type: EntryType.file, mode: 0o644, mtime: MTIME, data: bytes("odd\n") },
  { path: bytes("n".repeat(255)), type: EntryType.file, mode: 0o1777, mtime: MTIME, data: bytes("long name\n") },
  { path: bytes("sparse.img"), type: EntryType.file, mode: 0o640, mtime: MTIME, size: 8 * 1024 * 1024, pieces: [[0, textData(4096, 1)], [5 * 1024 * 1024, textData(8192, 2)]] },
  { path: bytes("fifo"), type: EntryType.fifo, mode: 0o620, mtime: MTIME },
  { path: bytes("null"), type: EntryType.charDevice, mode: 0o666, uid: 0, gid: 0, mtime: MTIME, device: { major: 1, minor: 3 } },
  { path: bytes("loop9"), type: EntryType.blockDevice, mode: 0o660, uid: 0, gid: 6, mtime: MTIME, device: { major: 7, minor: 9 } },
  {
    path: bytes("attrs"), type: EntryType.file, mode: 0o644, mtime: MTIME, data: bytes("has xattrs and an ACL\n"),
    xattrs: [["user.comment", bytes("golden")], ["system.posix_acl_access", aclXattr([[1, 6, 0xffffffff], [2, 4, 1001], [4, 4, 0xffffffff], [16, 4, 0xffffffff], [32, 4, 0xffffffff]])]],
  },
];

/** An incremental saveset: changed entries, and the paths gone since its base (format.md §5.6). */
const incrementalFiles: FixtureFile[] = [
  { path: bytes("."), type: EntryType.directory, mode: 0o755, mtime: [1767409445, 1] },
  { path: bytes("docs"), type: EntryType.directory, mode: 0o755, mtime: [1767409445, 2] },
  { path: bytes("docs/hello.txt"), type: EntryType.file, mode: 0o644, mtime: [1767409445, 3], data: bytes("hello again, reel\n") },
  { path: bytes("new.txt"), type: EntryType.file, mode: 0o600, mtime: [1767409445, 4], data: textData(5000, 11) },
];
const incrementalDeletions: Array<[number, Uint8Array]> = [
  [2, bytes("docs/old.txt")],
  [3, bytes("gone")],
  [3, new Uint8Array([0x6e, 0x6f, 0x74, 0x2d, 0xff, 0xfe])],
  [4, bytes("zz/last one")],
];

const minimalFiles: FixtureFile[] = [
  { path: bytes("docs"), type: EntryType.directory, mode: 0o755, mtime: [1767323045, 123456789] },
  { path: bytes("docs/hello.txt"), type: EntryType.file, mode: 0o644, mtime: [1767323045, 500000000], data: bytes("hello, reel\n") },
];

export const fixtures: Fixture[] = [
  { name: "minimal", blockSize: 4096, mediumId: "00112233-4455-6677-8899-aabbccddeeff", streams: [{ streamId: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", compression: "none", encrypted: false, files: minimalFiles }] },
  { name: "tree", blockSize: 4096, mediumId: "10000000-0000-4000-8000-000000000001", streams: [{ streamId: "20000000-0000-4000-8000-000000000001", compression: "none", encrypted: false, files: treeFiles }] },
  { name: "tree-zstd", blockSize: 65536, mediumId: "10000000-0000-4000-8000-000000000002", streams: [{ streamId: "20000000-0000-4000-8000-000000000002", compression: "zstd", encrypted: false, files: treeFiles }] },
  { name: "tree-encrypted", blockSize: 8192, mediumId: "10000000-0000-4000-8000-000000000003", streams: [{ streamId: "20000000-0000-4000-8000-000000000003", compression: "zstd", encrypted: true, files: treeFiles }] },
  {
    name: "incremental", blockSize: 4096, mediumId: "10000000-0000-4000-8000-000000000005",
    streams: [{ streamId: "20000000-0000-4000-8000-000000000005", compression: "none", encrypted: false, files: incrementalFiles, deletions: incrementalDeletions }],
  },
  {
    name: "multiplexed", blockSize: 4096, mediumId: "10000000-0000-4000-8000-000000000004", interleave: true,
    streams: [
      { streamId: "30000000-0000-4000-8000-000000000001", compression: "none", encrypted: false, files: treeFiles.slice(0, 6) },
      { streamId: "30000000-0000-4000-8000-000000000002", compression: "zstd", encrypted: false, files: minimalFiles },
      { streamId: "30000000-0000-4000-8000-000000000003", compression: "none", encrypted: false, files: treeFiles.slice(10, 14) },
    ],
  },
];

function toEntry(file: FixtureFile): Entry {
  const size = file.size ?? file.data?.length ?? 0;
  return {
    number: 0,
    type: file.type,
    isSparse: file.pieces !== undefined,
    mode: file.mode,
    uid: file.uid ?? 1000,
    gid: file.gid ?? 1000,
    size,
    mtimeSec: file.mtime[0],
    mtimeNsec: file.mtime[1],
    atimeSec: file.mtime[0],
    atimeNsec: file.mtime[1],
    path: file.path,
    linkTarget: file.linkTarget ?? null,
    userName: (file.uid ?? 1000) === 1000 ? bytes("reel") : bytes("root"),
    groupName: (file.gid ?? 1000) === 1000 ? bytes("reel") : (file.gid === 6 ? bytes("disk") : bytes("root")),
    device: file.device ?? null,
    xattrs: (file.xattrs ?? []).map(([name, value]) => ({ name: bytes(name), value })),
    unknownCriticalTags: [],
  };
}

async function streamRecords(stream: FixtureStream): Promise<Uint8Array[]> {
  const codecs = nodeCodecs(3);
  const streamId = idFromString(stream.streamId);
  const encryption = stream.encrypted ? newStreamEncryption(GOLDEN_PASSPHRASE, streamId, { logN: 10, salt: new Uint8Array(16).fill(0x5a) }) : null;
  const records: Uint8Array[] = [];
  const sink = new SealingSink(codecs, { compress: stream.compression === "zstd", key: encryption?.key ?? null }, (r) => records.push(Uint8Array.from(r)));
  const encoder = new StreamEncoder({
    head: { format: 1, streamId: stream.streamId, createdAt: "2026-01-02T03:04:05Z", compression: stream.compression, encryption: encryption?.parameters ?? null, descriptor: { fixture: true } },
    sink,
  });
  const deletionsBefore = (index: number): void => {
    for (const [at, path] of stream.deletions ?? []) if (at === index) encoder.addDeleted(path);
  };
  stream.files.forEach((file, index) => {
    deletionsBefore(index);
    encoder.addEntry(toEntry(file));
    if (file.data !== undefined) encoder.addData(0, file.data);
    for (const [offset, data] of file.pieces ?? []) encoder.addData(offset, data);
  });
  deletionsBefore(stream.files.length);
  await encoder.finish();
  return records;
}

/** Builds the bytes of a fixture medium. */
export async function buildFixture(fixture: Fixture): Promise<Uint8Array> {
  const codecs = nodeCodecs(3);
  const mediumId = idFromString(fixture.mediumId);
  const blocks: Uint8Array[] = [makeLabelBlock({ mediumId, blockSize: fixture.blockSize, checksum: codecs.checksum, label: { label: fixture.name === "minimal" ? "archive" : fixture.name.toUpperCase(), pool: null, createdAt: "2026-01-02T03:04:05Z", writer: "reel 0.1.0" } })];
  let next = 1;
  const lists = await Promise.all(fixture.streams.map(streamRecords));
  const packers = fixture.streams.map((s) => new BlockPacker({ mediumId, streamId: idFromString(s.streamId), blockSize: fixture.blockSize, checksum: codecs.checksum, nextBlockNumber: () => next++, emit: (b) => blocks.push(b) }));
  if (fixture.interleave === true) {
    const at = lists.map(() => 0);
    let turn = 0;
    while (at.some((p, i) => p < lists[i]!.length)) {
      const i = turn++ % lists.length;
      if (at[i]! >= lists[i]!.length) continue;
      packers[i]!.append(lists[i]![at[i]!++]!);
      packers[i]!.flush();
      if (at[i] === lists[i]!.length) packers[i]!.finish();
    }
  } else {
    lists.forEach((records, i) => {
      for (const r of records) packers[i]!.append(r);
      packers[i]!.finish();
    });
  }
  const out = new Uint8Array(blocks.length * fixture.blockSize);
  blocks.forEach((b, i) => out.set(b, i * fixture.blockSize));
  return out;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

function contentOf(file: FixtureFile): Uint8Array | null {
  if (file.type !== EntryType.file && file.type !== EntryType.hardlink) return null;
  if (file.pieces !== undefined) {
    const out = new Uint8Array(file.size ?? 0);
    for (const [offset, data] of file.pieces) out.set(data, offset);
    return out;
  }
  if (file.type === EntryType.hardlink) return null;
  return file.data ?? new Uint8Array(0);
}

/** What a reader must extract from a fixture: the .json beside it. */
export function expectation(fixture: Fixture): unknown {
  return {
    format: 1,
    blockSize: fixture.blockSize,
    mediumId: fixture.mediumId,
    passphrase: fixture.streams.some((s) => s.encrypted) ? GOLDEN_PASSPHRASE : null,
    streams: fixture.streams.map((s) => ({
      streamId: s.streamId,
      compression: s.compression,
      encrypted: s.encrypted,
      entries: s.files.map((f, number) => {
        const e = toEntry(f);
        const content = contentOf(f);
        return {
          number,
          pathHex: hex(e.path),
          type: entryTypeNames[e.type],
          mode: e.mode,
          uid: e.uid,
          gid: e.gid,
          user: Buffer.from(e.userName!).toString(),
          group: Buffer.from(e.groupName!).toString(),
          size: e.size,
          mtime: `${e.mtimeSec}.${String(e.mtimeNsec).padStart(9, "0")}`,
          sparse: e.isSparse,
          linkTargetHex: e.linkTarget === null ? null : hex(e.linkTarget),
          device: e.device,
          xattrs: Object.fromEntries(e.xattrs.map((x) => [Buffer.from(x.name).toString(), hex(x.value)])),
          sha256: content === null ? null : createHash("sha256").update(content).digest("hex"),
          dataRanges: f.pieces?.map(([o, d]) => [o, d.length]) ?? null,
        };
      }),
      // Only streams with deletions have the key: the .json of older fixtures stays as written.
      ...(s.deletions === undefined ? {} : { deletedHex: s.deletions.map(([, path]) => hex(path)) }),
    })),
  };
}

/** A hexdump of the non-zero 16-byte lines of `data` (zero runs shown as "*"), as in format.md §9. */
export function hexdump(data: Uint8Array): string {
  const lines: string[] = [];
  let skipping = false;
  for (let at = 0; at < data.length; at += 16) {
    const row = data.subarray(at, at + 16);
    if (row.every((b) => b === 0) && at !== 0) {
      if (!skipping) lines.push("*");
      skipping = true;
      continue;
    }
    skipping = false;
    const hexes = Array.from(row, (b) => b.toString(16).padStart(2, "0")).join(" ");
    const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
    lines.push(`${at.toString(16).padStart(8, "0")}  ${hexes.padEnd(47)}  |${ascii}|`);
  }
  lines.push(data.length.toString(16).padStart(8, "0"));
  return lines.join("\n") + "\n";
}
