/**
 * bench/media-agent.ts - the media agent's write and read rates on a dir drive.
 *
 * Writes STREAMS concurrent streams of STREAM_MIB MiB each, in 1 MiB records, through one
 * MediaAgent into one dir drive (aggregate MB/s), then one stream alone (the same bytes), then
 * reads one of the concurrent streams back with readStreamRecords; REPS times. Records are made
 * and sealed before the clock starts, so only the agent is timed (record checks, packing, block
 * checksums, writes and the fsync at each stream's end). In the same run: `dd conv=fdatasync` of
 * the same bytes (the disk's rate) and the agent on a drive that discards blocks (its CPU ceiling).
 *
 *   npm run build && node dist/bench/media-agent.js [--block-kib 256] [--stream-mib 256] [--streams 4] [--volume-mib 0] [--reps 3]
 *
 * --volume-mib N spans streams over volumes of N MiB (0: one volume large enough).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nodeCodecs } from "../src/client/index.js";
import { RECORD_HEADER_SIZE, RecordType, sealRecord } from "../src/format/index.js";
import { DirDrive, type Drive, MediaAgent, readStreamRecords, type StreamPlacement } from "../src/media/index.js";

const MiB = 1024 * 1024;
const codecs = nodeCodecs();

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}

const blockSize = option("block-kib", 256) * 1024;
const streamBytes = option("stream-mib", 256) * MiB;
const streamCount = option("streams", 4);
const volumeBytes = option("volume-mib", 0) * MiB || streamCount * streamBytes * 2;
const reps = option("reps", 3);

/** A stream of 1 MiB chunk records between a HEAD and a TRAILER, sealed with the real CRC-32C. */
function makeStream(): Uint8Array[] {
  const seal = (type: number, sequence: number, size: number): Uint8Array => {
    const frame = Buffer.allocUnsafeSlow(RECORD_HEADER_SIZE + size);
    randomFillSync(frame, RECORD_HEADER_SIZE);
    return sealRecord(type, sequence, frame, { compress: false, key: null }, codecs);
  };
  const records = [seal(RecordType.head, 0, 200)];
  while (records.length <= streamBytes / MiB) records.push(seal(RecordType.chunk, records.length, MiB));
  records.push(seal(RecordType.trailer, records.length, 64));
  return records;
}

const bytesOf = (records: Uint8Array[]): number => records.reduce((n, r) => n + r.length, 0);

/** A drive that takes blocks and keeps nothing: what the agent costs without the disk. */
const nullDrive: Drive = {
  name: "null",
  createVolume: (o) => {
    let blocks = 1;
    return Promise.resolve({
      label: o.label, capacityBlocks: Math.floor(o.capacityBytes / o.blockSize), get blocksWritten() { return blocks; },
      write: (written: Uint8Array[]) => Promise.resolve(void (blocks += written.length)),
      sync: () => Promise.resolve(), close: () => Promise.resolve(),
    });
  },
  openVolume: () => Promise.reject(new Error("the null drive keeps nothing")),
  listVolumes: () => Promise.resolve([]),
  eraseVolume: () => Promise.reject(new Error("the null drive keeps nothing")),
};

async function writeStreams(drive: Drive, streams: Uint8Array[][], tag: string): Promise<{ ms: number; placements: StreamPlacement[]; ids: Uint8Array[]; volumes: number }> {
  let volumes = 0;
  const ids = streams.map(() => randomFillSync(new Uint8Array(16)));
  const agent = new MediaAgent({
    drive, pool: null, blockSize, codecs, now: () => new Date(),
    nextVolume: () => Promise.resolve({ label: `${tag}${String(++volumes).padStart(4, "0")}`, mediumId: randomFillSync(new Uint8Array(16)), capacityBytes: volumeBytes }),
  });
  const started = performance.now();
  const placements = await Promise.all(
    streams.map(async (records, i) => {
      const writer = agent.openStream(ids[i]!);
      for (const record of records) await writer.write(record);
      return writer.end();
    }),
  );
  await agent.close();
  return { ms: performance.now() - started, placements, ids, volumes };
}

async function readBack(drive: DirDrive, id: Uint8Array, placement: StreamPlacement): Promise<{ ms: number; bytes: number; blocksRead: number }> {
  let bytes = 0;
  const started = performance.now();
  const result = await readStreamRecords({
    drive, streamId: id, extents: placement.extents, codecs,
    onRecord: (record) => void (bytes += record.length),
    onLoss: (loss) => {
      throw new Error(`unexpected loss: ${loss.reason}`);
    },
  });
  return { ms: performance.now() - started, bytes, blocksRead: result.blocksRead };
}

function dropCaches(): boolean {
  try {
    execFileSync("sh", ["-c", "sync && echo 3 > /proc/sys/vm/drop_caches"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** The disk's own rate for the same bytes: dd from /dev/zero with one fdatasync at the end. */
function ddWrite(dir: string, bytes: number): void {
  spawnSync("dd", ["if=/dev/zero", `of=${join(dir, "dd")}`, "bs=4M", `count=${Math.ceil(bytes / (4 * MiB))}`, "conv=fdatasync"], { stdio: "ignore" });
  rmSync(join(dir, "dd"), { force: true });
}

/** Rates in MB/s, by what was measured, over every run. */
const figures = new Map<string, number[]>();

function report(what: string, bytes: number, ms: number, note = ""): void {
  const mbPerSecond = (bytes / ms) * 1000 / 1e6;
  figures.set(what, [...(figures.get(what) ?? []), mbPerSecond]);
  console.log(`  ${what.padEnd(38)} ${mbPerSecond.toFixed(0).padStart(5)} MB/s ${note}`);
}

async function rep(dir: string, streams: Uint8Array[][], total: number, n: number): Promise<void> {
  const drive = new DirDrive({ name: "bench", path: dir, codecs });
  const many = await writeStreams(drive, streams, `M${n}-`);
  report(`write ${streamCount} streams at once (aggregate)`, total, many.ms, `(${many.volumes} volume(s), ${many.placements[0]!.extents.length} extents in stream 0)`);
  const one = await writeStreams(drive, streams.slice(0, 1), `S${n}-`);
  report("write 1 stream alone", bytesOf(streams[0]!), one.ms);
  const warm = await readBack(drive, many.ids[1]!, many.placements[1]!);
  report(`read 1 of ${streamCount} back (page cache)`, warm.bytes, warm.ms, `(${warm.blocksRead} blocks read in ${many.placements[1]!.extents.length} extents)`);
  if (dropCaches()) {
    const cold = await readBack(drive, many.ids[1]!, many.placements[1]!);
    report(`read 1 of ${streamCount} back (cold cache)`, cold.bytes, cold.ms);
  }
  const ceiling = await writeStreams(nullDrive, streams, "N");
  report(`write ${streamCount} streams to a null drive`, total, ceiling.ms, "(the agent without the disk)");
  const started = performance.now();
  ddWrite(dir, total);
  report("dd conv=fdatasync, same bytes", total, performance.now() - started);
  rmSync(dir, { recursive: true, force: true });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length % 2 === 1 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(process.env["BENCH_DIR"] ?? tmpdir(), "reel-media-bench-"));
  try {
    console.log(`block ${blockSize / 1024} KiB, ${streamCount} streams × ${streamBytes / MiB} MiB in 1 MiB records, volumes of ${volumeBytes / MiB} MiB; ${dir}`);
    const streams = Array.from({ length: streamCount }, makeStream);
    const total = streams.reduce((n, s) => n + bytesOf(s), 0);
    await writeStreams(nullDrive, streams, "W"); // warm-up: compiled code, the block pool
    for (let n = 1; n <= reps; n++) {
      console.log(`run ${n}:`);
      await rep(join(dir, String(n)), streams, total, n);
    }
    console.log(`median of ${reps} runs (min–max):`);
    for (const [what, values] of figures) console.log(`  ${what.padEnd(38)} ${median(values).toFixed(0).padStart(5)} MB/s (${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
