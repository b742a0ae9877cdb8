import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { nodeCodecs } from "../client/index.js";
import { type Entry, EntryType, type EntryTypeCode, idToString, SealingSink, StreamEncoder } from "../format/index.js";
import { MediaAgent, MemoryDrive, type StreamPlacement } from "../media/index.js";
import type { WireIndexRow } from "./index-rows.js";
import { indexStream } from "./stream-index.js";
import { hexOf } from "./volume-check.js";

const codecs = nodeCodecs(3);
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

function entry(type: EntryTypeCode, path: string, size = 0, linkTarget: string | null = null): Entry {
  return {
    number: 0, type, isSparse: false, mode: 0o640, uid: 1000, gid: 1000, size, mtimeSec: 1_700_000_000, mtimeNsec: 5, atimeSec: 0, atimeNsec: 0,
    path: utf8(path), linkTarget: linkTarget === null ? null : utf8(linkTarget), userName: null, groupName: null, device: null, xattrs: [], unknownCriticalTags: [],
  };
}

/** An incremental-like stream (zstd): a directory, a file with data, a hard link to it, a deleted path; where each item went. */
async function encode(id: Uint8Array): Promise<{ records: Uint8Array[]; locations: Map<string, { sequence: number; itemOffset: number }>; offsetOf: (sequence: number) => number }> {
  const records: Uint8Array[] = [];
  const sink = new SealingSink(codecs, { compress: true, key: null }, (r) => records.push(r.slice()));
  const encoder = new StreamEncoder({ head: { format: 1, streamId: idToString(id), createdAt: "2026-01-02T03:04:05Z", compression: "zstd", encryption: null, descriptor: {} }, sink });
  const locations = new Map<string, { sequence: number; itemOffset: number }>();
  encoder.addDeleted(utf8("old"));
  locations.set("old", encoder.lastLocation);
  encoder.addEntry(entry(EntryType.directory, "a"));
  locations.set("a", encoder.lastLocation);
  encoder.addEntry(entry(EntryType.file, "a/f", 5000));
  locations.set("a/f", encoder.lastLocation);
  encoder.addData(0, randomBytes(5000));
  encoder.addEntry(entry(EntryType.hardlink, "a/h", 5000, "a/f"));
  locations.set("a/h", encoder.lastLocation);
  await encoder.finish();
  return { records, locations, offsetOf: (sequence) => sink.ledger.offsetOf(sequence) };
}

async function store(drive: MemoryDrive, id: Uint8Array, records: Uint8Array[], end: "end" | "abort" = "end"): Promise<StreamPlacement> {
  const agent = new MediaAgent({
    drive, pool: "daily", blockSize: 4096, codecs, now: () => new Date("2026-01-02T03:04:05Z"),
    nextVolume: () => Promise.resolve({ label: `V${drive.labels.length + 1}`, mediumId: randomBytes(16), capacityBytes: 1024 * 1024 }),
  });
  const writer = agent.openStream(id);
  for (const record of records) await writer.write(record);
  const placement = end === "end" ? await writer.end() : await writer.abort();
  await agent.close();
  return placement;
}

test("indexStream() sends the rows a client would: entries and tombstones where their items lie, a hard link with its target's inode", async () => {
  const drive = new MemoryDrive({ name: "disk0", codecs });
  const id = randomBytes(16);
  const { records, locations, offsetOf } = await encode(id);
  const placement = await store(drive, id, records);
  const sent: WireIndexRow[] = [];
  const reply = await indexStream({ drive, stream: hexOf(id), extents: placement.extents, codecs, send: (rows) => Promise.resolve(void sent.push(...rows)) });

  assert.deepEqual(reply, { trailer: { entryCount: 3, dataBytes: 5000, isIntact: true, problems: [] }, entries: 3, dataBytes: 5000, rows: 4, losses: [] });
  const text = (path: Uint8Array): string => new TextDecoder().decode(path);
  assert.deepEqual(sent.map((r) => [text(r.path), r.type, r.size, r.deleted, r.mode, r.mtimeNs, r.ctimeNs]), [
    ["old", 0, 0, true, 0, 0n, 0n],
    ["a", EntryType.directory, 0, false, 0o640, 1_700_000_000_000_000_005n, 0n],
    ["a/f", EntryType.file, 5000, false, 0o640, 1_700_000_000_000_000_005n, 0n],
    ["a/h", EntryType.hardlink, 5000, false, 0o640, 1_700_000_000_000_000_005n, 0n],
  ]);
  for (const row of sent) {
    const at = locations.get(text(row.path))!;
    assert.deepEqual([row.chunkOffset, row.itemOffset], [offsetOf(at.sequence), at.itemOffset], text(row.path));
  }
  const inode = (path: string): number => sent.find((r) => text(r.path) === path)!.inode;
  assert.equal(inode("a/h"), inode("a/f"));
  assert.notEqual(inode("a"), inode("a/f"));
});

test("indexStream() still indexes a stream that has no trailer, and says so", async () => {
  const drive = new MemoryDrive({ name: "disk0", codecs });
  const id = randomBytes(16);
  const { records } = await encode(id);
  const placement = await store(drive, id, records.slice(0, -1), "abort");
  const sent: WireIndexRow[] = [];
  const reply = await indexStream({ drive, stream: hexOf(id), extents: placement.extents, codecs, send: (rows) => Promise.resolve(void sent.push(...rows)) });
  assert.equal(reply.trailer, null);
  assert.equal(reply.rows, 4);
  assert.equal(sent.length, 4);
});
