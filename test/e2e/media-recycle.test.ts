/**
 * Media end of life in a real server (embedded node and client over loopback TLS, a `dir` drive,
 * real volume files) with a manual clock: newday forgets the expired saveset and recycles the
 * media it was on (volume files erased, media `empty`), the next backup writes on them under
 * their labels; `reel media label` labels media ahead and refuses to erase a live one.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ManualClock } from "../../src/scheduler/index.js";
import { type RunningServer, startServer } from "../../src/server/index.js";
import { reelAsync, type Run, tempDir } from "./helpers.js";
import { jsonOf } from "./server-helpers.js";

interface Medium { label: string; pool: string; drive: string; state: string; bytesWritten: number; blocks: number; endOfLife: string | null }
interface Job { id: number; kind: string; state: string; message: string }

const MiB = 1024 * 1024;
const NEWDAY_CONFIG = {
  timezone: "Europe/Berlin",
  schedules: [{ name: "NEWDAY", unit: "day", at: "08:00" }, { name: "NEVER", unit: "once", start: "2030-01-01T00:00" }],
  events: [
    { name: "newday", type: "newday", schedule: "NEWDAY" },
    { name: "disk0-label", type: "media", drive: "disk0", action: "label", schedule: "NEVER" },
    { name: "disk0-check", type: "media", drive: "disk0", action: "check", schedule: "NEVER" },
  ],
};

async function api<T>(server: RunningServer, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${server.url}/api/v1${path}`, {
    method, headers: { authorization: `Bearer ${server.adminToken}`, ...(body === undefined ? {} : { "content-type": "application/json" }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await response.json()) as T;
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

function cli(server: RunningServer, args: string[]): Promise<Run> {
  return reelAsync(args, { env: { REEL_SERVER: server.url, REEL_TOKEN: server.adminToken } });
}

async function until<T>(what: string, probe: () => Promise<T>, isDone: (value: T) => boolean): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const value = await probe();
    if (isDone(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** A server whose default pool writes 1 MiB volumes (3 blocks of 256 KiB after the label) and keeps savesets `retentionDays`. */
async function smallMediaServer(t: { after(fn: () => Promise<void>): void }, dir: string, clock: ManualClock, retentionDays: number, logs: string[]): Promise<{ server: RunningServer; src: string }> {
  const server = await startServer({ dataDir: join(dir, "var"), listen: "127.0.0.1:0", agentListen: "127.0.0.1:0", clock, log: (line) => logs.push(line) });
  t.after(() => server.close());
  const src = join(dir, "home");
  mkdirSync(src);
  writeFileSync(join(src, "random.bin"), randomBytes(Math.round(1.5 * MiB)));
  await api(server, "POST", "/pools", { name: "default", retentionDays, mediumSize: MiB });
  await api(server, "POST", "/tasks", { name: "home", client: "localhost", paths: [src] });
  return { server, src };
}

const volumeFile = (dir: string, label: string): string => join(dir, "var", "media", `${label}.reel`);

test("newday recycles the media of expired savesets; the next backup writes on them again under their labels", async (t) => {
  const dir = tempDir(t);
  const clock = new ManualClock("2027-03-10T09:00:00+01:00");
  const logs: string[] = [];
  const { server } = await smallMediaServer(t, dir, clock, 0, logs);
  await api(server, "PUT", "/calendar/config", NEWDAY_CONFIG);
  const first = await api<Job>(server, "POST", "/backups", { task: "home", wait: true });
  assert.equal(first.state, "done", first.message);
  const written = jsonOf<Medium[]>(await cli(server, ["media", "list", "--json"]));
  const full = written.filter((m) => m.state === "full").map((m) => m.label);
  const open = written.filter((m) => m.state === "appendable").map((m) => m.label);
  assert.ok(full.length >= 2 && open.length === 1, JSON.stringify(written));
  assert.ok(full.every((label) => existsSync(volumeFile(dir, label))));

  // With 0 days of retention the saveset is past its end of life when the backup day ends.
  clock.set("2027-03-11T08:30:00+01:00");
  const after = await until("the media to be recycled", async () => jsonOf<Medium[]>(await cli(server, ["media", "--json"])), (list) => list.some((m) => m.state === "empty"));
  assert.deepEqual(await api<unknown[]>(server, "GET", "/savesets"), []);
  const byLabel = new Map(after.map((m) => [m.label, m]));
  for (const label of full) {
    assert.deepEqual([byLabel.get(label)?.state, byLabel.get(label)?.blocks, byLabel.get(label)?.bytesWritten, byLabel.get(label)?.endOfLife], ["empty", 0, 0, null], label);
    assert.equal(existsSync(volumeFile(dir, label)), false, `the volume of ${label} is erased`);
  }
  // The volume the media agent still has open is not erased: it is written on next.
  assert.equal(byLabel.get(open[0]!)?.state, "appendable");
  assert.ok(existsSync(volumeFile(dir, open[0]!)));
  await until("the newday log line", () => Promise.resolve(logs), (lines) => lines.some((l) => l === `newday: ${full.length} media recycled`));
  const busy = await cli(server, ["media", "label", open[0]!, "--force"]);
  assert.equal(busy.status, 2);
  assert.match(busy.stderr, /a media agent is writing to it \[API_CONFLICT\]/);

  const second = await api<Job>(server, "POST", "/backups", { task: "home", wait: true });
  assert.equal(second.state, "done", second.message);
  const reused = jsonOf<Medium[]>(await cli(server, ["media", "list", "--json"]));
  const again = reused.filter((m) => full.includes(m.label) && m.state !== "empty");
  assert.ok(again.length >= 1, `a recycled label is written again: ${JSON.stringify(reused)}`);
  assert.ok(again.every((m) => m.blocks > 1 && existsSync(volumeFile(dir, m.label))));
  assert.equal(reused.length, written.length, "no new label was needed");

  // Media events: label recycles on the event's drive (nothing left to recycle now); check reads every written medium.
  const label = await api<{ job: number }>(server, "POST", "/calendar/start", { event: "disk0-label" });
  const check = await api<{ job: number }>(server, "POST", "/calendar/start", { event: "disk0-check" });
  const labelJob = await until("the media jobs", () => api<Job>(server, "GET", `/jobs/${label.job}`), (j) => j.state !== "running");
  const checkJob = await until("the media jobs", () => api<Job>(server, "GET", `/jobs/${check.job}`), (j) => j.state !== "running");
  assert.deepEqual([labelJob.kind, labelJob.state, labelJob.message], ["media", "done", `0 media recycled on drive "disk0"`]);
  assert.deepEqual([checkJob.kind, checkJob.state], ["media", "done"], checkJob.message);
  assert.match(checkJob.message, /^checked [1-9]\d* media of drive "disk0": all intact$/);
});

test("reel media label adds empty media that the next backup writes on, and refuses to erase a medium that holds a live saveset", async (t) => {
  const dir = tempDir(t);
  const clock = new ManualClock("2027-03-10T09:00:00+01:00");
  const { server } = await smallMediaServer(t, dir, clock, 30, []);
  const labelled = jsonOf<Medium[]>(await cli(server, ["media", "label", "--pool", "default", "--drive", "disk0", "--count", "2", "--json"]));
  assert.deepEqual(labelled.map((m) => [m.pool, m.drive, m.state, m.blocks]), [["default", "disk0", "empty", 0], ["default", "disk0", "empty", 0]]);
  const labels = labelled.map((m) => m.label);
  assert.deepEqual(jsonOf<Medium[]>(await cli(server, ["media", "list", "--state", "empty", "--pool", "default", "--json"])).map((m) => m.label), labels);
  assert.ok(labels.every((label) => !existsSync(volumeFile(dir, label))), "no label block is written ahead");

  const job = await api<Job>(server, "POST", "/backups", { task: "home", wait: true });
  assert.equal(job.state, "done", job.message);
  const media = jsonOf<Medium[]>(await cli(server, ["media", "list", "--json"]));
  assert.deepEqual(media.slice(0, 2).map((m) => [m.label, m.state]), [[labels[0], "full"], [labels[1], "full"]], JSON.stringify(media));
  assert.ok(labels.every((label) => existsSync(volumeFile(dir, label))));

  const refused = await cli(server, ["media", "label", labels[0]!, "--force"]);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, new RegExp(`Cannot re-initialise medium "${labels[0]}": it holds a copy of saveset 1, which has not expired \\[API_CONFLICT\\]`));
  assert.ok(existsSync(volumeFile(dir, labels[0]!)), "the refused medium keeps its volume");
  const unforced = await cli(server, ["media", "label", labels[0]!]);
  assert.equal(unforced.status, 2);
  assert.match(unforced.stderr, /add --force \[CLI_BAD_ARGUMENT\]/);
  await api(server, "POST", "/drives", { name: "other", node: "local", kind: "dir", path: join(dir, "other"), driveGroup: "elsewhere" });
  const outside = await cli(server, ["media", "label", "--pool", "default", "--drive", "other"]);
  assert.match(outside.stderr, /the drive is in group "elsewhere", the pool writes to group "default" \[API_BAD_REQUEST\]/);
});

test("reel drive set creates a drive with kind options that reel drives shows", async (t) => {
  const dir = tempDir(t);
  const { server } = await smallMediaServer(t, dir, new ManualClock("2027-03-10T09:00:00+01:00"), 30, []);
  const saved = jsonOf<{ name: string; kind: string; channels: number; driveGroup: string; options: Record<string, unknown> }>(
    await cli(server, ["drive", "set", "vault", "--node", "local", "--kind", "dir", "--path", join(dir, "vault"), "--channels", "2", "--group", "offsite", "--option", "slots=8", "--option", "library=lib0", "--json"]),
  );
  assert.deepEqual([saved.name, saved.kind, saved.channels, saved.driveGroup, saved.options], ["vault", "dir", 2, "offsite", { slots: 8, library: "lib0" }]);
  const listed = await cli(server, ["drives"]);
  assert.match(listed.stdout, /^vault {2}dir {2}node local {2}group offsite {2}\S+vault {2}slots=8 library=lib0$/m);
  const missing = await cli(server, ["drive", "set", "vault", "--node", "local", "--path", "/x"]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /--kind/);
});

test("each copy ends with its own pool's retention: a mirror pool keeps the saveset after the backup pool's copy is dropped and its media recycled", async (t) => {
  const dir = tempDir(t);
  const clock = new ManualClock("2027-03-10T09:00:00+01:00");
  const logs: string[] = [];
  // The backup pool keeps savesets 1 day, the mirror pool 30 days.
  const { server, src } = await smallMediaServer(t, dir, clock, 1, logs);
  mkdirSync(join(dir, "archive"));
  await api(server, "POST", "/drives", { name: "archive0", node: "local", kind: "dir", path: join(dir, "archive"), driveGroup: "archive" });
  await api(server, "POST", "/pools", { name: "archive", retentionDays: 30, driveGroup: "archive" });
  await api(server, "POST", "/tasks", { name: "home", client: "localhost", paths: [src], pool: "default", mirrors: ["archive"] });
  await api(server, "PUT", "/calendar/config", NEWDAY_CONFIG);
  const job = await api<Job & { saveset: number }>(server, "POST", "/backups", { task: "home", wait: true });
  assert.equal(job.state, "done", job.message);
  const saveset = await api<{ id: number; endOfLife: string }>(server, "GET", `/savesets/${job.saveset}`);
  const days = (iso: string): number => Math.round((Date.parse(iso) - clock.now().getTime()) / 86_400_000);
  assert.equal(days(saveset.endOfLife), 30, "the saveset lives as long as its longest-kept copy");
  const copies = await api<Array<{ pool: string; endOfLife: string }>>(server, "GET", `/savesets/${job.saveset}/copies`);
  assert.deepEqual(copies.map((c) => [c.pool, days(c.endOfLife)]).sort(), [["archive", 30], ["default", 1]]);

  // Two days on: newday drops the 1-day copy and recycles its full media; the saveset stays, read from the archive.
  clock.set("2027-03-12T08:30:00+01:00");
  await until("the newday log line", () => Promise.resolve(logs), (lines) => lines.some((l) => /newday: backup day 2027-03-11 ended .*0 expired saveset\(s\) and 1 expired copies forgotten/.test(l)));
  await until("the media to be recycled", async () => jsonOf<Medium[]>(await cli(server, ["media", "--json"])), (list) => list.some((m) => m.state === "empty"));
  assert.deepEqual((await api<Array<{ pool: string }>>(server, "GET", `/savesets/${job.saveset}/copies`)).map((c) => c.pool), ["archive"]);
  const target = join(dir, "restored");
  const run = await cli(server, ["restore", String(job.saveset), "--target", target]);
  assert.equal(run.status, 0, run.stderr);
  assert.ok(existsSync(join(target, src, "random.bin")));
});
