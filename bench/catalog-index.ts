/**
 * The catalog's file index under load (docs/decisions/0004-catalog.md): writes a full saveset of
 * ROWS rows (default 1,000,000, one directory holding 100,000 of them) into a temporary catalog,
 * then an incremental of 10,000 rows on top, and prints rows/s, file size, bytes/row, and the
 * time to list the 100k directory, look up one path and walk the whole index.
 *
 *   npm run build && node dist/bench/catalog-index.js [ROWS] [TMPDIR]
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Catalog, type FileRow } from "../src/catalog/index.js";
import { fullRows, incrementalRows } from "./catalog-rows.js";

const ROWS = Number(process.argv[2] ?? 1_000_000);
const BIG_DIR_ENTRIES = Math.min(100_000, Math.floor(ROWS / 10));
function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** CPU seconds (user + system) of this process since `start`: less disturbed than wall time on a busy machine. */
function cpuSeconds(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

/** Median wall and CPU time of `runs` calls, in seconds, the first call's wall time, and the last result. */
function timed<T>(runs: number, fn: () => T): { median: number; cpu: number; first: number; result: T } {
  const times: number[] = [];
  const cpus: number[] = [];
  let result!: T;
  for (let r = 0; r < runs; r++) {
    const start = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    result = fn();
    times.push(seconds(start));
    cpus.push(cpuSeconds(cpu));
  }
  const first = times[0]!;
  times.sort((a, b) => a - b);
  cpus.sort((a, b) => a - b);
  const middle = Math.floor(runs / 2);
  return { median: times[middle]!, cpu: cpus[middle]!, first, result };
}

/** Writes the rows into the saveset's index; times the writer only (wall and CPU), not the making of the rows. */
function writeTimed(catalog: Catalog, savesetId: number, source: Iterable<FileRow>): { rows: number; writeSeconds: number; cpuSeconds: number } {
  const writer = catalog.fileIndexWriter(savesetId);
  let rows = 0;
  let wall = 0;
  let cpu = 0;
  const measure = (fn: () => void): void => {
    const start = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    fn();
    wall += seconds(start);
    cpu += cpuSeconds(cpuStart);
  };
  let batch: FileRow[] = [];
  const flush = (): void => {
    measure(() => batch.forEach((row) => writer.add(row)));
    rows += batch.length;
    batch = [];
  };
  for (const row of source) if (batch.push(row) === 10_000) flush();
  flush();
  measure(() => writer.finish());
  return { rows, writeSeconds: wall, cpuSeconds: cpu };
}

function ms(t: { median: number; cpu: number; first: number }): string {
  return `median ${(t.median * 1000).toFixed(0)} ms (CPU ${(t.cpu * 1000).toFixed(0)} ms), first ${(t.first * 1000).toFixed(0)} ms`;
}

function main(): void {
  const dir = mkdtempSync(join(process.argv[3] ?? tmpdir(), "reel-catalog-bench-"));
  const path = join(dir, "catalog.db");
  const catalog = Catalog.open(path, { now: () => new Date() });
  try {
    catalog.putClient({ name: "bench", certFingerprint: null });
    catalog.putPool({ name: "bench", retentionDays: 30, driveGroup: "disk", mediumSize: 1 << 30 });
    catalog.putTask({ name: "bench", client: "bench", paths: ["/"], excludes: [], pool: "bench" });
    const saveset = (uuid: string, level: "full" | "incr", parentId: number | null): number =>
      catalog.addSaveset({ uuid: uuid.repeat(32), task: "bench", client: "bench", level, parentId, backupDay: "2026-01-01", endOfLife: new Date(2e12), encrypted: false }).id;

    const full = saveset("a", "full", null);
    const { rows, writeSeconds, cpuSeconds: writeCpu } = writeTimed(catalog, full, fullRows(ROWS, BIG_DIR_ENTRIES));
    catalog.checkpoint();
    const stats = catalog.indexStats();
    const fileSize = statSync(path).size;

    const incr = saveset("b", "incr", full);
    writeTimed(catalog, incr, incrementalRows(ROWS));

    const bigDir = Buffer.from("srv/big");
    const listFull = timed(7, () => catalog.listDirectory(full, bigDir).length);
    const listIncr = timed(7, () => catalog.listDirectory(incr, bigDir).length);
    const lookup = timed(101, () => catalog.findEntry(incr, Buffer.from("home/user100/project-3/src/module_4_668.ts")));
    let walked = 0;
    const walk = timed(1, () => catalog.forEachFile(incr, () => void walked++));

    const lines = [
      `rows written             ${rows} in ${writeSeconds.toFixed(2)} s = ${Math.round(rows / writeSeconds)} rows/s (CPU ${writeCpu.toFixed(2)} s = ${Math.round(rows / writeCpu)} rows/s)`,
      `catalog file             ${fileSize} bytes = ${(fileSize / rows).toFixed(1)} bytes/row (whole file, after checkpoint)`,
      `file-index tables        ${stats.fileBytes} bytes = ${(stats.fileBytes / rows).toFixed(1)} bytes/row (${stats.fileRows} rows, ${stats.dirRows} dictionary dirs)`,
      `list 100k dir, full      ${listFull.result} entries: ${ms(listFull)}`,
      `list 100k dir, full+incr ${listIncr.result} entries: ${ms(listIncr)}`,
      `find one path, full+incr median ${(lookup.median * 1e6).toFixed(0)} µs`,
      `walk full+incr           ${walked} rows in ${walk.median.toFixed(2)} s = ${Math.round(walked / walk.median)} rows/s (CPU ${walk.cpu.toFixed(2)} s)`,
    ];
    console.log(lines.join("\n"));
  } finally {
    catalog.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
