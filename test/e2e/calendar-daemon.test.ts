/**
 * The calendar daemon in a real server (embedded node and client over loopback TLS, real files),
 * with a manual clock: on the last day of the month the month-end full runs and the daily
 * incremental does not; a restart does not run it again; "start now" runs an event at once.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ManualClock } from "../../src/scheduler/index.js";
import { startServer } from "../../src/server/index.js";
import { sh, tempDir } from "./helpers.js";

interface Job { id: number; kind: string; task: string | null; level: string | null; state: string }

async function api<T>(url: string, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const json = (await response.json()) as T;
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

async function settled(url: string, token: string, count: number): Promise<Job[]> {
  for (;;) {
    const jobs = await api<Job[]>(url, token, "GET", "/jobs");
    if (jobs.length >= count && jobs.every((j) => j.state !== "queued" && j.state !== "running")) return jobs;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const CONFIG = {
  timezone: "Europe/Berlin",
  schedules: [
    { name: "NEWDAY", unit: "day", at: "08:00" },
    { name: "DAILY", unit: "day", at: "20:00" },
    { name: "MONTHEND", unit: "month", monthDays: [-1], at: "21:00" },
  ],
  events: [
    { name: "newday", type: "newday", schedule: "NEWDAY" },
    { name: "home-daily", type: "backup", task: "home", level: "incr", schedule: "DAILY", priority: 1 },
    { name: "home-month", type: "backup", task: "home", level: "full", schedule: "MONTHEND", priority: 3 },
  ],
};

test("the calendar starts the month-end full and not the daily incremental, once, and start-now runs an event at once", async (t) => {
  const dir = tempDir(t);
  const src = join(dir, "home");
  mkdirSync(src);
  writeFileSync(join(src, "notes.txt"), "hello\n");
  const clock = new ManualClock("2027-03-31T17:00:00+02:00");
  const logs: string[] = [];
  let server = await startServer({ dataDir: join(dir, "var"), listen: "127.0.0.1:0", agentListen: "127.0.0.1:0", clock, log: (l) => logs.push(l) });
  t.after(() => server.close());
  const { url, adminToken: token } = server;
  await api(url, token, "POST", "/tasks", { name: "home", client: "localhost", paths: [src] });
  await api(url, token, "PUT", "/calendar/config", CONFIG);
  assert.deepEqual(await api<Job[]>(url, token, "GET", "/jobs"), []);

  clock.set("2027-03-31T21:30:00+02:00");
  const jobs = await settled(url, token, 1);
  assert.deepEqual(jobs.map((j) => [j.kind, j.task, j.level, j.state]), [["backup", "home", "full", "done"]]);
  const sheet = await api<Array<{ event: string; status: string; by?: string; job?: number }>>(url, token, "GET", "/calendar?from=2027-03-31T10:00:00Z&to=2027-04-01T00:00:00Z");
  assert.deepEqual(sheet.filter((o) => o.event !== "newday").map((o) => [o.event, o.status, o.by ?? ""]), [["home-daily", "suppressed", "home-month"], ["home-month", "done", ""]]);

  // A restart (same catalog, same day) does not run the month end again.
  await server.close();
  server = await startServer({ dataDir: join(dir, "var"), listen: "127.0.0.1:0", agentListen: "127.0.0.1:0", clock, log: (l) => logs.push(l) });
  clock.set("2027-03-31T22:00:00+02:00");
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal((await settled(server.url, token, 1)).length, 1);

  // Start now, at 00:40 on 1 April: a one-time occurrence, at once, in backup day 31 March (newday is at 08:00).
  clock.set("2027-04-01T00:40:00+02:00");
  const started = await api<{ event: string; job: number }>(server.url, token, "POST", "/calendar/start", { event: "home-daily" });
  const after = await settled(server.url, token, 2);
  const startedJob = after.find((j) => j.id === started.job) as (Job & { backupDay: string }) | undefined;
  assert.deepEqual([startedJob?.level, startedJob?.backupDay], ["incr", "2027-03-31"]);
  assert.deepEqual(after.map((j) => j.state), ["done", "done"]);
});

test("command events run a command of the client's allow-list by name, never anything else", async (t) => {
  const dir = tempDir(t);
  const marker = join(dir, "tidied");
  const clock = new ManualClock("2027-03-10T05:00:00+01:00");
  const server = await startServer({ dataDir: join(dir, "var"), listen: "127.0.0.1:0", agentListen: "127.0.0.1:0", clock, log: () => undefined, clientCommands: { tidy: `touch ${marker}` } });
  t.after(() => server.close());
  const { url, adminToken: token } = server;
  await api(url, token, "PUT", "/calendar/config", {
    timezone: "Europe/Berlin",
    schedules: [{ name: "NEWDAY", unit: "day", at: "08:00" }, { name: "SIXHOURS", unit: "hour", every: 6, at: "01:00" }],
    events: [
      { name: "newday", type: "newday", schedule: "NEWDAY" },
      { name: "tidy", type: "command", command: "tidy", client: "localhost", schedule: "SIXHOURS", priority: 0 },
      { name: "evil", type: "command", command: "rm-everything", client: "localhost", schedule: "SIXHOURS", priority: 0 },
    ],
  });
  clock.set("2027-03-10T07:30:00+01:00");
  const jobs = await settled(url, token, 2);
  const byMessage = jobs.map((j) => [j.kind, j.state, (j as Job & { message: string }).message]);
  assert.ok(byMessage.some(([kind, state, message]) => kind === "command" && state === "done" && /tidy/.test(message!)), JSON.stringify(byMessage));
  assert.ok(byMessage.some(([kind, state, message]) => kind === "command" && state === "failed" && /not in the allow-list/.test(message!)), JSON.stringify(byMessage));
  assert.ok((await import("node:fs")).existsSync(marker));
});

test("newday forgets savesets past their end of life, newest first", async (t) => {
  const dir = tempDir(t);
  const src = join(dir, "home");
  mkdirSync(src);
  writeFileSync(join(src, "a.txt"), "a\n");
  const clock = new ManualClock("2027-03-10T09:00:00+01:00");
  const server = await startServer({ dataDir: join(dir, "var"), listen: "127.0.0.1:0", agentListen: "127.0.0.1:0", clock, log: () => undefined });
  t.after(() => server.close());
  const { url, adminToken: token } = server;
  await api(url, token, "POST", "/pools", { name: "default", retentionDays: 0 });
  await api(url, token, "POST", "/tasks", { name: "home", client: "localhost", paths: [src] });
  await api(url, token, "PUT", "/calendar/config", {
    timezone: "Europe/Berlin",
    schedules: [{ name: "NEWDAY", unit: "day", at: "08:00" }, { name: "DAILY", unit: "day", at: "20:00" }],
    events: [{ name: "newday", type: "newday", schedule: "NEWDAY" }, { name: "home-daily", type: "backup", task: "home", level: "incr", schedule: "DAILY" }],
  });
  await api(url, token, "POST", "/calendar/start", { event: "home-daily" });
  await settled(url, token, 1);
  await api(url, token, "POST", "/calendar/start", { event: "home-daily" });
  await settled(url, token, 2);
  clock.set("2027-03-10T21:00:00+01:00");
  await settled(url, token, 3);
  assert.equal((await api<unknown[]>(url, token, "GET", "/savesets")).length, 3);
  // With 0 days of retention all three are past their end of life when the backup day ends.
  clock.set("2027-03-11T08:30:00+01:00");
  for (let i = 0; i < 200 && (await api<unknown[]>(url, token, "GET", "/savesets")).length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 25));
  assert.deepEqual(await api<unknown[]>(url, token, "GET", "/savesets"), []);
  assert.equal((await api<Job[]>(url, token, "GET", "/jobs")).length, 3, "the jobs stay in the history");
  // Each backup day has its own log: newday's line opens the new day's file.
  const logDir = join(dir, "var", "log");
  for (let i = 0; i < 200 && !existsSync(join(logDir, "2027-03-11.log")); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  assert.match(readFileSync(join(logDir, "2027-03-11.log"), "utf8"), /newday: backup day 2027-03-10 ended \(0 job\(s\) aborted, 3 expired saveset\(s\) and 0 expired copies forgotten\)/);
});

test("newday aborts a backup of the ended backup day that is still running", async (t) => {
  const dir = tempDir(t);
  const src = join(dir, "big");
  mkdirSync(src);
  sh("head -c 512M /dev/zero > big.bin", src);
  const clock = new ManualClock("2027-03-10T07:00:00+01:00");
  const server = await startServer({ dataDir: join(dir, "var"), listen: "127.0.0.1:0", agentListen: "127.0.0.1:0", clock, log: () => undefined });
  t.after(() => server.close());
  const { url, adminToken: token } = server;
  await api(url, token, "POST", "/tasks", { name: "big", client: "localhost", paths: [src] });
  await api(url, token, "PUT", "/calendar/config", {
    timezone: "Europe/Berlin",
    schedules: [{ name: "NEWDAY", unit: "day", at: "08:00" }, { name: "DAILY", unit: "day", at: "20:00" }],
    events: [{ name: "newday", type: "newday", schedule: "NEWDAY" }, { name: "big-daily", type: "backup", task: "big", level: "full", schedule: "DAILY" }],
  });
  const started = await api<{ job: number }>(url, token, "POST", "/calendar/start", { event: "big-daily" });
  for (;;) {
    const job = await api<Job & { bytes: number }>(url, token, "GET", `/jobs/${started.job}`);
    if (job.bytes > 0 || job.state !== "running") break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  clock.set("2027-03-10T08:00:30+01:00");
  const [job] = await settled(url, token, 1);
  assert.equal(job?.state, "aborted", JSON.stringify(job));
  assert.equal((await api<Array<{ status: string }>>(url, token, "GET", "/savesets"))[0]?.status, "incomplete");
});
