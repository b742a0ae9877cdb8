/**
 * Browsing a big saveset through the server: `reel ls` of a directory of 100,000 entries in a
 * saveset of ROWS files (default 1,000,000), through the REST API and through the CLI.
 *
 * Backing up a million real files would take long, so the catalog is filled directly: the
 * server initialises a data dir and stops; the bench opens its catalog.sqlite with the catalog
 * API, adds a task and a complete full saveset whose file index has ROWS rows (srv/big holds
 * 100,000 files, the rest are users' project trees; same shape as bench/catalog-index.ts), then
 * an incremental on top (10,000 changes in srv/big: 5,000 modified, 1,000 deleted, 4,000 new),
 * checkpoints, closes, and starts the server on it. Then, median (min-max) of RUNS calls after
 * one untimed first call:
 *   - GET /api/v1/savesets/ID/files?path=/srv/big from this process (fetch, until the whole body
 *     is read; not parsed), for the full and for the incremental (chain full → incr merged);
 *   - `reel ls ID /srv/big --json` and `reel ls ID /srv/big` (human lines) as child processes,
 *     output to /dev/null, wall time from spawn to exit;
 *   - `reel ls ID /srv` (1 entry): the CLI's fixed cost (node start-up, one request).
 *
 *   npm run build && node dist/bench/net-browse.js [ROWS] [TMPDIR]
 *   env: NET_PORT (18500; agents +1), NET_RUNS (7), NET_KEEP=1 keeps the data dir
 */
import { spawn, spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Catalog, type FileRow } from "../src/catalog/index.js";
import { fullRows, incrementalRows } from "./catalog-rows.js";

const ROWS = Number(process.argv[2] ?? 1_000_000);
const BIG_DIR_ENTRIES = Math.min(100_000, Math.floor(ROWS / 10));
const PORT = Number(process.env["NET_PORT"] ?? 18500);
const RUNS = Number(process.env["NET_RUNS"] ?? 7);
const MAIN = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

interface Server {
  stop(): Promise<void>;
  pid: number;
}

/** Starts `reel server` on `data` and resolves once it listens and both embedded agents are connected. */
async function startServer(data: string): Promise<Server> {
  const child = spawn(process.execPath, [MAIN, "server", "--data", data, "--listen", `127.0.0.1:${PORT}`, "--agent-listen", `127.0.0.1:${PORT + 1}`], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const check = (chunk: Buffer): void => {
      out += chunk.toString();
      if (out.includes("reel server listening") && out.includes("client localhost: connected") && out.includes("node local: connected")) resolve();
    };
    child.stdout.on("data", check);
    child.stderr.on("data", check);
    child.once("exit", (code) => reject(new Error(`reel server exited (${code}) before it was ready:\n${out}`)));
  });
  return {
    pid: child.pid!,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

interface Stats {
  median: number;
  min: number;
  max: number;
  first: number;
}

async function timed(runs: number, fn: () => unknown): Promise<Stats> {
  const firstStart = process.hrtime.bigint();
  await fn();
  const first = seconds(firstStart);
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = process.hrtime.bigint();
    await fn();
    times.push(seconds(start));
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(runs / 2)]!, min: times[0]!, max: times[runs - 1]!, first };
}

function show(label: string, t: Stats, extra = ""): string {
  const f = (s: number): string => s.toFixed(3);
  return `${label.padEnd(52)} ${f(t.median)} s (${f(t.min)}-${f(t.max)}), first ${f(t.first)} s${extra}`;
}

/** The server initialises `data` and stops; then the file index is written with the catalog API. */
async function build(data: string): Promise<{ full: number; incr: number }> {
  await (await startServer(data)).stop();
  const buildStart = process.hrtime.bigint();
  const catalog = Catalog.open(join(data, "catalog.sqlite"), { now: () => new Date() });
  let full: number;
  let incr: number;
  try {
    catalog.putTask({ name: "browse", client: "localhost", paths: ["/srv", "/home"], excludes: [], pool: "default" });
    const saveset = (uuid: string, level: "full" | "incr", parentId: number | null, rows: Iterable<FileRow>): number => {
      const id = catalog.addSaveset({ uuid: uuid.repeat(32), task: "browse", client: "localhost", level, parentId, backupDay: "2026-01-01", endOfLife: new Date(4e12), encrypted: false }).id;
      const writer = catalog.fileIndexWriter(id);
      let files = 0;
      for (const row of rows) {
        writer.add(row);
        files++;
      }
      writer.finish();
      catalog.finishSaveset(id, { status: "complete", files, bytes: 0 });
      return id;
    };
    full = saveset("a", "full", null, fullRows(ROWS, BIG_DIR_ENTRIES));
    incr = saveset("b", "incr", full, incrementalRows(ROWS));
    catalog.checkpoint();
  } finally {
    catalog.close();
  }
  const catalogBytes = statSync(join(data, "catalog.sqlite")).size;
  console.log(`catalog: ${ROWS} rows (full ${full}) + 10000 (incr ${incr}) written in ${seconds(buildStart).toFixed(1)} s, catalog.sqlite ${(catalogBytes / 1e6).toFixed(0)} MB`);
  return { full, incr };
}

/** Times the API and the CLI against the running server. */
async function measure(data: string, full: number, incr: number): Promise<void> {
  const token = readFileSync(join(data, "admin.token"), "utf8").trim();
  const url = `http://127.0.0.1:${PORT}/api/v1`;
  let lastBody = "";
  const get = async (id: number, path: string): Promise<void> => {
    const response = await fetch(`${url}/savesets/${id}/files?path=${encodeURIComponent(path)}`, { headers: { authorization: `Bearer ${token}` } });
    if (!response.ok) throw new Error(`GET files of ${id} ${path}: HTTP ${response.status} ${await response.text()}`);
    lastBody = await response.text();   // timed up to the whole body; parsed outside the timing
  };
  const entries = (): number => (JSON.parse(lastBody) as unknown[]).length;
  const env = { ...process.env, REEL_SERVER: `http://127.0.0.1:${PORT}`, REEL_TOKEN: token };
  const devNull = openSync("/dev/null", "w");
  const cli = (...args: string[]) => (): void => {
    const r = spawnSync(process.execPath, [MAIN, ...args], { env, stdio: ["ignore", devNull, "pipe"] });
    if (r.status !== 0) throw new Error(`reel ${args.join(" ")} exited ${r.status}: ${r.stderr.toString()}`);
  };
  const results: Record<string, Stats> = {};
  const lines: string[] = [];
  const run = async (key: string, label: () => string, fn: () => unknown): Promise<void> => {
    results[key] = await timed(RUNS, fn);
    lines.push(show(label(), results[key]));
  };
  await run("apiFull", () => `API GET files /srv/big, full (${entries()} entries, ${(lastBody.length / 1e6).toFixed(1)} MB)`, () => get(full, "/srv/big"));
  await run("apiIncr", () => `API GET files /srv/big, incr (${entries()} entries)`, () => get(incr, "/srv/big"));
  await run("apiSmall", () => "API GET files of a 30-entry dir, full", () => get(full, "/home/user100/project-3/src"));
  await run("cliJson", () => "reel ls FULL /srv/big --json", cli("ls", String(full), "/srv/big", "--json"));
  await run("cliHuman", () => "reel ls FULL /srv/big", cli("ls", String(full), "/srv/big"));
  await run("cliIncr", () => "reel ls INCR /srv/big", cli("ls", String(incr), "/srv/big"));
  await run("cliTiny", () => "reel ls FULL /srv (1 entry: CLI fixed cost)", cli("ls", String(full), "/srv"));
  await run("nodeBare", () => "node -e 0 (bare node start-up)", () => void spawnSync(process.execPath, ["-e", "0"]));
  closeSync(devNull);
  console.log(`median (min-max) of ${RUNS} after one untimed first call; target: under 0.2 s`);
  for (const line of lines) console.log(line);
  console.log(JSON.stringify({ bench: "net-browse", rows: ROWS, bigDir: BIG_DIR_ENTRIES, ...results }));
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(process.argv[3] ?? tmpdir(), "reel-net-browse-"));
  const data = join(dir, "data");
  try {
    const { full, incr } = await build(data);
    const server = await startServer(data);
    try {
      await measure(data, full, incr);
    } finally {
      await server.stop();
    }
  } finally {
    if (process.env["NET_KEEP"] !== "1") rmSync(dir, { recursive: true, force: true });
    else console.log(`kept ${dir}`);
  }
}

await main();
