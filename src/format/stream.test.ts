import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { isReelError } from "../errors/index.js";
import { BlockPacker, makeLabelBlock } from "./block-packer.js";
import { BLOCK_HEADER_SIZE, openBlock } from "./block.js";
import { idToString, utf8 } from "./bytes.js";
import type { Codecs } from "./codecs.js";
import { crc32c } from "./crc32c.js";
import { decodeEntryBody, encodeEntryBody, type Entry, EntryType, pathProblem } from "./entry.js";
import { decodeHead } from "./head.js";
import { MediumScanner } from "./medium-scanner.js";
import type { StreamKey } from "./record.js";
import { RecordAssembler } from "./record-assembler.js";
import { SealingSink } from "./record-sink.js";
import { type Damage, StreamDecoder, type TrailerCheck } from "./stream-decoder.js";
import { StreamEncoder } from "./stream-encoder.js";
import { pureCodecs, pureSha256 } from "./testing-codecs.js";

const codecs: Codecs = pureCodecs();

function entry(path: string, type: Entry["type"], size = 0, extra: Partial<Entry> = {}): Entry {
  return {
    number: 0, type, isSparse: false, mode: 0o644, uid: 1000, gid: 1000, size,
    mtimeSec: 1767323045, mtimeNsec: 123456789, atimeSec: 1767323045, atimeNsec: 5,
    path: utf8(path), linkTarget: null, userName: utf8("reel"), groupName: utf8("reel"), device: null, xattrs: [],
    unknownCriticalTags: [], ...extra,
  };
}

interface Source { entry: Entry; data?: Uint8Array; pieces?: Array<[number, Uint8Array]> }

function pseudoRandom(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let s = seed >>> 0;
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = s >>> 16;
  }
  return out;
}

const key: StreamKey = { chunkKey: new Uint8Array(32).fill(7), streamId: new Uint8Array(16).fill(9) };

async function encodeStream(sources: Source[], options: { compress: boolean; encrypt: boolean; streamId: Uint8Array }, onRecord: (r: Uint8Array) => void): Promise<void> {
  const sink = new SealingSink(codecs, { compress: options.compress, key: options.encrypt ? { ...key, streamId: options.streamId } : null }, onRecord);
  const encoder = new StreamEncoder({
    head: { format: 1, streamId: idToString(options.streamId), createdAt: "2026-01-01T00:00:00Z", compression: options.compress ? "zstd" : "none", encryption: null, descriptor: {} },
    sink,
  });
  for (const s of sources) {
    encoder.addEntry({ ...s.entry });
    if (s.data !== undefined) encoder.addData(0, s.data);
    for (const [offset, bytes] of s.pieces ?? []) encoder.addData(offset, bytes);
  }
  await encoder.finish();
}

async function writeMedium(streams: Array<{ id: Uint8Array; sources: Source[] }>, blockSize: number, options: { compress: boolean; encrypt: boolean }): Promise<Uint8Array> {
  const mediumId = new Uint8Array(16).fill(1);
  const blocks: Uint8Array[] = [makeLabelBlock({ mediumId, blockSize, checksum: codecs.checksum, label: { label: "T1", pool: null, createdAt: "x", writer: "test" } })];
  let next = 1;
  // Records of all streams first, then interleave their packing record by record.
  const recordLists = await Promise.all(streams.map(async (s) => {
    const records: Uint8Array[] = [];
    await encodeStream(s.sources, { ...options, streamId: s.id }, (r) => records.push(r.slice()));
    return records;
  }));
  const packers = streams.map((s) => new BlockPacker({ mediumId, streamId: s.id, blockSize, checksum: codecs.checksum, nextBlockNumber: () => next++, emit: (b) => blocks.push(b) }));
  const positions = recordLists.map(() => 0);
  let turn = 0;
  while (positions.some((p, i) => p < recordLists[i]!.length)) {
    const i = turn++ % streams.length;
    if (positions[i]! >= recordLists[i]!.length) continue;
    packers[i]!.append(recordLists[i]![positions[i]!++]!);
    if (turn % 3 === 0) packers[i]!.flush();
    if (positions[i] === recordLists[i]!.length) packers[i]!.finish();
  }
  const out = new Uint8Array(blocks.length * blockSize);
  blocks.forEach((b, i) => out.set(b, i * blockSize));
  return out;
}

interface Decoded { entries: Entry[]; data: Map<number, Array<[number, Uint8Array]>>; damage: Damage[]; trailer: TrailerCheck | null; lost: Entry[] }

function readMedium(bytes: Uint8Array, blockSize: number, encrypted: boolean): Map<string, Decoded> {
  const results = new Map<string, Decoded>();
  const assemblers = new Map<string, RecordAssembler>();
  const scanner = new MediumScanner({
    label: () => {},
    damaged: () => {
      // a damaged block's stream is unknown: every assembler must expect a gap
      for (const a of assemblers.values()) a.markGap("damaged block");
    },
    block: (header, payload) => {
      const id = idToString(header.streamId);
      let assembler = assemblers.get(id);
      if (assembler === undefined) {
        const result: Decoded = { entries: [], data: new Map(), damage: [], trailer: null, lost: [] };
        results.set(id, result);
        const decoder = new StreamDecoder({
          head: () => (encrypted ? { ...key, streamId: header.streamId } : null),
          entry: (e) => void result.entries.push(e),
          data: (d) => {
            const list = result.data.get(d.entryNumber) ?? [];
            list.push([d.fileOffset, d.data.slice()]);
            result.data.set(d.entryNumber, list);
          },
          damage: (d) => void result.damage.push(d),
          lostEntry: (e) => void result.lost.push(e),
          trailer: (t) => (result.trailer = t),
        }, codecs);
        assembler = new RecordAssembler({ record: (r, h, o) => decoder.record(r, h, o), loss: (l) => decoder.loss(l) }, codecs, { atRecordStart: header.streamOffset === 0 });
        assemblers.set(id, assembler);
      }
      assembler.push({ streamOffset: header.streamOffset, payload, firstRecordOffset: header.firstRecordOffset });
    },
  }, codecs.checksum);
  for (let i = 0; i * blockSize < bytes.length; i++) scanner.push(bytes.subarray(i * blockSize, (i + 1) * blockSize), i);
  for (const a of assemblers.values()) a.end();
  return results;
}

function joined(pieces: Array<[number, Uint8Array]> | undefined): Uint8Array {
  const list = pieces ?? [];
  const end = list.reduce((n, [o, d]) => Math.max(n, o + d.length), 0);
  const out = new Uint8Array(end);
  for (const [o, d] of list) out.set(d, o);
  return out;
}

const tree: Source[] = [
  { entry: entry(".", EntryType.directory, 0, { mode: 0o755 }) },
  { entry: entry("a/b\nc\\ d", EntryType.file, 3 * 1024 * 1024 + 17), data: pseudoRandom(3 * 1024 * 1024 + 17, 1) },
  { entry: entry("empty", EntryType.file, 0) },
  { entry: { ...entry("x", EntryType.file, 5), path: new Uint8Array([0x61, 0xff, 0xfe]) }, data: utf8("hello") },
  { entry: entry("link", EntryType.symlink, 0, { linkTarget: utf8("../../etc/passwd") }) },
  { entry: entry("sparse", EntryType.file, 10 * 1024 * 1024, { isSparse: true }), pieces: [[4096, new Uint8Array(4096).fill(3)], [8 * 1024 * 1024, new Uint8Array(100).fill(4)]] },
  { entry: entry("dev", EntryType.charDevice, 0, { device: { major: 1, minor: 3 }, xattrs: [{ name: utf8("user.k"), value: new Uint8Array([0, 1, 2]) }] }) },
  ...Array.from({ length: 300 }, (_, i) => ({ entry: entry(`small/${i}`, EntryType.file, 100 + i), data: pseudoRandom(100 + i, i) })),
];

for (const blockSize of [4096, 65536]) {
  for (const compress of [false, true]) {
    for (const encrypt of [false, true]) {
      test(`a stream round-trips through a medium (block ${blockSize}, compress ${compress}, encrypt ${encrypt})`, async () => {
        const id = new Uint8Array(16).fill(0x22);
        const medium = await writeMedium([{ id, sources: tree }], blockSize, { compress, encrypt });
        const decoded = readMedium(medium, blockSize, encrypt).get(idToString(id))!;
        assert.deepEqual(decoded.damage, []);
        assert.equal(decoded.trailer?.isIntact, true, decoded.trailer?.problems.join("; "));
        assert.equal(decoded.entries.length, tree.length);
        tree.forEach((s, i) => {
          const got = decoded.entries[i]!;
          assert.deepEqual(got.path, s.entry.path);
          assert.equal(got.type, s.entry.type);
          assert.equal(got.mtimeNsec, s.entry.mtimeNsec);
          assert.deepEqual(got.device, s.entry.device);
          assert.equal(got.xattrs.length, s.entry.xattrs.length);
          if (s.data !== undefined) assert.deepEqual(joined(decoded.data.get(i)), s.data);
        });
        const sparse = decoded.data.get(5)!;
        assert.deepEqual(sparse.map(([o, d]) => [o, d.length]), [[4096, 4096], [8 * 1024 * 1024, 100]]);
      });
    }
  }
}

test("multiplexed streams interleaved block by block demultiplex byte for byte", async () => {
  const streams = [1, 2, 3].map((n) => ({ id: new Uint8Array(16).fill(n), sources: tree.slice(0, 50 * n).map((s, i) => (i === 1 ? { entry: s.entry, data: pseudoRandom(3 * 1024 * 1024 + 17, n) } : s)) }));
  const medium = await writeMedium(streams, 4096, { compress: true, encrypt: false });
  const decoded = readMedium(medium, 4096, false);
  for (const s of streams) {
    const d = decoded.get(idToString(s.id))!;
    assert.equal(d.trailer?.isIntact, true);
    assert.equal(d.entries.length, s.sources.length);
    assert.deepEqual(joined(d.data.get(1)), s.sources[1]!.data);
  }
});

test("a flipped byte in one block damages only the file whose data it held, and says which", async () => {
  const id = new Uint8Array(16).fill(0x33);
  const blockSize = 4096;
  const medium = await writeMedium([{ id, sources: tree }], blockSize, { compress: false, encrypt: false });
  // Block 650 (about 2.5 MiB into the stream) lies inside the third chunk of entry 1's data.
  medium[650 * blockSize + 2000]! ^= 0x40;
  const decoded = readMedium(medium, blockSize, false).get(idToString(id))!;
  assert.ok(decoded.damage.some((d) => d.entryNumber === 1), JSON.stringify(decoded.damage));
  assert.ok(decoded.damage.every((d) => d.entryNumber === 1 || d.entryNumber === null), JSON.stringify(decoded.damage));
  // The chunk that held the tail of entry 1 also held the next entries: the index names them.
  assert.equal(decoded.entries.length + decoded.lost.length, tree.length);
  assert.ok(decoded.lost.length > 0 && decoded.lost.length < 10);
  assert.equal(decoded.trailer?.isIntact, false);
  assert.deepEqual(joined(decoded.data.get(tree.length - 1)), tree[tree.length - 1]!.data);
});

test("entries lost with a damaged chunk are named from the index", async () => {
  const id = new Uint8Array(16).fill(0x44);
  const blockSize = 4096;
  const medium = await writeMedium([{ id, sources: tree }], blockSize, { compress: false, encrypt: false });
  const blocks = medium.length / blockSize;
  // Damage the first block that holds the entry of small/150 (the index, later, names it too).
  let target = -1;
  for (let b = 1; b < blocks; b++) {
    const text = new TextDecoder("latin1").decode(medium.subarray(b * blockSize, (b + 1) * blockSize));
    if (text.includes("small/150")) { target = b; break; }
  }
  assert.ok(target > 0);
  medium[target * blockSize + 100]! ^= 1;
  const decoded = readMedium(medium, blockSize, false).get(idToString(id))!;
  const lostNames = decoded.lost.map((e) => new TextDecoder().decode(e.path));
  assert.ok(lostNames.includes("small/150"), lostNames.join(","));
  assert.equal(decoded.entries.length + decoded.lost.length, tree.length);
});

test("a truncated medium is reported as an incomplete stream", async () => {
  const id = new Uint8Array(16).fill(0x55);
  const medium = await writeMedium([{ id, sources: tree }], 4096, { compress: false, encrypt: false });
  const decoded = readMedium(medium.subarray(0, 4096 * 300), 4096, false).get(idToString(id))!;
  assert.equal(decoded.trailer, null);
});

test("crc32c() gives the Castagnoli check value and pureSha256() the FIPS vector", () => {
  assert.equal(crc32c(utf8("123456789")), 0xe3069283);
  const sha = pureSha256();
  sha.update(utf8("abc"));
  assert.equal(Array.from(sha.digest(), (b) => b.toString(16).padStart(2, "0")).join(""), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
});

test("pathProblem() refuses absolute paths, dot-dot, empty components and NUL", () => {
  for (const bad of ["/etc/passwd", "../x", "a/../../x", "a//b", "a/./b", "a/", "", "a\0b", ".."]) assert.notEqual(pathProblem(utf8(bad)), null, bad);
  for (const good of [".", "a", "a/b", "...", "a/..b", ".hidden"]) assert.equal(pathProblem(utf8(good)), null, good);
});

test("decoders given arbitrary bytes return or throw a ReelError, never anything else", () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
    for (const decode of [() => decodeEntryBody(bytes), () => decodeHead(bytes)]) {
      try { decode(); } catch (error) { assert.ok(isReelError(error), String(error)); }
    }
    const block = new Uint8Array(4096);
    block.set(bytes.subarray(0, 4096));
    try { openBlock(block, codecs.checksum); } catch (error) { assert.ok(isReelError(error), String(error)); }
    const decoder = new StreamDecoder({ head: () => null, entry: () => {}, data: () => {}, damage: () => {}, trailer: () => {} }, codecs);
    const assembler = new RecordAssembler({ record: (r, h, o) => decoder.record(r, h, o), loss: (l) => decoder.loss(l) }, codecs);
    assembler.push({ streamOffset: 0, payload: bytes, firstRecordOffset: 0 });
    assembler.end();
  }), { numRuns: 2000 });
});

test("a random block payload with valid checksums never crashes the stream decoder", () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 24, maxLength: 3000 }), fc.integer({ min: 0, max: 23 }), (body, typeSeed) => {
    // Forge a record with a correct checksum around random content.
    const record = new Uint8Array(24 + body.length);
    record.set(body, 24);
    const v = new DataView(record.buffer);
    v.setUint8(0, 1 + (typeSeed % 3));
    v.setUint32(4, body.length, true);
    v.setUint32(16, body.length, true);
    v.setUint32(8, 0, true);
    v.setUint32(20, crc32c(record.subarray(24), crc32c(record.subarray(0, 20))), true);
    const decoder = new StreamDecoder({ head: () => null, entry: () => {}, data: () => {}, damage: () => {}, trailer: () => {} }, codecs);
    const assembler = new RecordAssembler({ record: (r, h, o) => { try { decoder.record(r, h, o); } catch (error) { assert.ok(isReelError(error), String(error)); } }, loss: (l) => decoder.loss(l) }, codecs);
    assembler.push({ streamOffset: 0, payload: record, firstRecordOffset: 0 });
    assembler.end();
  }), { numRuns: 1000 });
});

test("BLOCK_HEADER_SIZE matches format.md §3.1", () => assert.equal(BLOCK_HEADER_SIZE, 80));

test("decodeEntryBody() copies its fields: the source memory may be reused, even a Node Buffer whose slice() shares memory", () => {
  const source = Buffer.from(encodeEntryBody(entry("dir/name", EntryType.file, 3, { xattrs: [{ name: utf8("user.a"), value: utf8("v") }] }), true));
  const decoded = decodeEntryBody(source);
  source.fill(0x58);
  assert.equal(new TextDecoder().decode(decoded.path), "dir/name");
  assert.equal(new TextDecoder().decode(decoded.userName ?? new Uint8Array(0)), "reel");
  assert.equal(new TextDecoder().decode(decoded.xattrs[0]!.value), "v");
});

test("StreamEncoder.addDeleted() writes DELETED items (format.md §5.6) that a decoder reports in order, and old readers skip", async () => {
  const records: Uint8Array[] = [];
  const sink = new SealingSink(codecs, { compress: false, key: null }, (r) => records.push(r.slice()));
  const encoder = new StreamEncoder({ head: { format: 1, streamId: idToString(new Uint8Array(16).fill(4)), createdAt: "x", compression: "none", encryption: null, descriptor: {} }, sink });
  encoder.addEntry(entry("a", EntryType.file, 3));
  encoder.addData(0, utf8("abc"));
  encoder.addDeleted(utf8("gone/dir"));
  const deletedAt = encoder.lastLocation;
  encoder.addEntry(entry("b", EntryType.directory));
  assert.equal(encoder.lastLocation.sequence, deletedAt.sequence);
  assert.equal(encoder.lastLocation.itemOffset, deletedAt.itemOffset + 8 + "gone/dir".length);
  encoder.addDeleted(new Uint8Array([0x78, 0xff]));
  const trailer = await encoder.finish();
  assert.equal(trailer.entryCount, 2);
  const decode = (withHandler: boolean): { events: string[]; check: TrailerCheck | null } => {
    const events: string[] = [];
    let check: TrailerCheck | null = null;
    let offset = 0;
    const decoder = new StreamDecoder({
      head: () => null,
      entry: (e) => void events.push(`entry ${Buffer.from(e.path).toString("latin1")}`),
      data: (d) => void events.push(`data ${d.data.length}`),
      damage: (d) => void events.push(`damage ${d.message}`),
      ...(withHandler ? { deleted: (p: Uint8Array, at: { chunkOffset: number; itemOffset: number }) => void events.push(`deleted ${Buffer.from(p).toString("latin1")} ${at.itemOffset}`) } : {}),
      trailer: (t) => (check = t),
    }, codecs);
    const assembler = new RecordAssembler({ record: (r, h, o) => decoder.record(r, h, o), loss: (l) => decoder.loss(l) }, codecs);
    for (const r of records) {
      assembler.push({ streamOffset: offset, payload: r, firstRecordOffset: 0 });
      offset += r.length;
    }
    return { events, check };
  };
  const full = decode(true);
  assert.deepEqual(full.events.slice(0, 4), ["entry a", "data 3", `deleted gone/dir ${deletedAt.itemOffset}`, "entry b"]);
  assert.equal(full.events.length, 5);
  assert.match(full.events[4]!, /^deleted x\xff \d+$/);
  assert.equal(full.check?.isIntact, true);
  const old = decode(false);
  assert.deepEqual(old.events, ["entry a", "data 3", "entry b"]);
  assert.equal(old.check?.isIntact, true);
});
