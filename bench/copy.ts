/**
 * bench/copy.ts - a copy job against `cat`: how close reading a volume once and re-writing its
 * streams comes to copying the volume file.
 *
 * Starts a server with its embedded node and client in a temporary directory, backs up STREAMS
 * trees of STREAM_MIB MiB of random data at once (their streams interleave on one volume of the
 * default pool), adds a pool on a drive in another directory, then times, REPS times each:
 * `cat VOLUME > DIR/x && sync DIR/x` (the disk's copy rate), and a copy job of every saveset to
 * the other pool (multiplex: one pass over the volume, each stream re-multiplexed on the target,
 * synced at each stream's end), each after dropping the page cache (as root), so both read the
 * volume from the disk. Prints MB/s and the ratio copy job / cat.
 *
 *   npm run build && node dist/bench/copy.js [--stream-mib 256] [--streams 4] [--select 4] [--reps 2] [--demux]
 *
 * --select N copies only N of the streams (the volume is still read once; the other streams'
 * blocks are skipped by their header).
 */
import { execFileSync } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer } from "../src/server/main.js";

const MiB = 1024 * 1024;

/** Both read the volume from the disk, not from the page cache (root only; otherwise a no-op). */
function dropCaches(): void {
  execFileSync("sh", ["-c", "sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || :"]);
}

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}

const streamBytes = option("stream-mib", 256) * MiB;
const streamCount = option("streams", 4);
const reps = option("reps", 2);
const select = option("select", streamCount);
const mode = process.argv.includes("--demux") ? "demux" : "multiplex";

/** A tree of one directory with random files of 16 MiB (incompressible, as a copy sees it). */
function makeTree(root: string, bytes: number): void {
  mkdirSync(root, { recursive: true });
  const chunk = Buffer.allocUnsafe(MiB);
  for (let file = 0; file * 16 * MiB < bytes; file++) {
    const fd = openSync(join(root, `f${file}.bin`), "w");
    for (let i = 0; i < 16 && (file * 16 + i) * MiB < bytes; i++) writeSync(fd, randomFillSync(chunk));
    closeSync(fd);
  }
}

async function api<T>(url: string, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const answer = (await response.json()) as T;
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;

const dir = mkdtempSync(join(tmpdir(), "reel-bench-copy-"));
const server = await startServer({ dataDir: join(dir, "var"), listen: "127.0.0.1:0", log: () => undefined });
try {
  const { url, adminToken: token } = server;
  for (let i = 0; i < streamCount; i++) makeTree(join(dir, `src${i}`), streamBytes);
  const backups = await Promise.all(Array.from({ length: streamCount }, (_, i) => api<{ state: string; message: string; saveset: number }>(url, token, "POST", "/backups", { task: `bench${i}`, paths: [join(dir, `src${i}`)], wait: true })));
  for (const b of backups) if (b.state !== "done") throw new Error(`backup failed: ${b.message}`);
  const volume = readdirSync(join(dir, "var", "media")).map((f) => join(dir, "var", "media", f));
  if (volume.length !== 1) throw new Error(`expected one volume, found ${volume.length}`);
  const volumeBytes = statSync(volume[0]!).size;
  const mb = volumeBytes / 1e6;
  console.log(`volume: ${(volumeBytes / MiB).toFixed(0)} MiB, ${streamCount} interleaved streams, ${select} copied; copy mode ${mode}`);
  const savesets = backups.slice(0, select).map((b) => b.saveset);
  const catTimes: number[] = [];
  const jobTimes: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const catDir = join(dir, `cat${rep}`);
    mkdirSync(catDir);
    dropCaches();
    let start = process.hrtime.bigint();
    execFileSync("sh", ["-c", `cat '${volume[0]!}' > '${catDir}/x' && sync '${catDir}/x'`]);
    catTimes.push(seconds(start));
    rmSync(catDir, { recursive: true });

    const target = join(dir, `copy${rep}`);
    mkdirSync(target);
    await api(url, token, "POST", "/drives", { name: `copy${rep}`, node: "local", kind: "dir", path: target, driveGroup: `copy${rep}` });
    await api(url, token, "POST", "/pools", { name: `copy${rep}`, driveGroup: `copy${rep}` });
    dropCaches();
    start = process.hrtime.bigint();
    const job = await api<{ state: string; message: string }>(url, token, "POST", "/copies", { to: [`copy${rep}`], savesets, mode, wait: true });
    jobTimes.push(seconds(start));
    if (job.state !== "done") throw new Error(`copy job failed: ${job.message}`);
    console.log(`rep ${rep + 1}: cat ${(mb / catTimes[rep]!).toFixed(0)} MB/s, copy job ${(mb / jobTimes[rep]!).toFixed(0)} MB/s of volume read (${job.message})`);
    rmSync(target, { recursive: true });
  }
  const best = (times: number[]): number => Math.min(...times);
  console.log(`best: cat ${(mb / best(catTimes)).toFixed(0)} MB/s, copy job ${(mb / best(jobTimes)).toFixed(0)} MB/s, copy job / cat = ${(best(catTimes) / best(jobTimes)).toFixed(2)}`);
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
