// The calendar daemon with a ManualClock, a MemoryHistory and a recording launcher, on the issue's
// example config (Europe/Berlin; NEWDAY 08:00, DAILY 20:00 incr p1, MONTHEND 21:00 full p3, XMAS
// blocking p9, SIXHOURS tidy p0). No test sleeps: time moves only when a test sets it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { isReelError } from "../../errors/index.js";
import { validateConfig, type CalendarConfig, type CalendarEvent, type Occurrence } from "../calendar/index.js";
import { CalendarDaemon } from "./daemon.js";
import { MemoryHistory } from "./history.js";
import { ManualClock } from "./manual-clock.js";
import type { Launcher } from "./types.js";

const config: CalendarConfig = validateConfig({
  timezone: "Europe/Berlin",
  schedules: [
    { name: "NEWDAY", unit: "day", at: "08:00" },
    { name: "DAILY", unit: "day", at: "20:00" },
    { name: "MONTHEND", unit: "month", monthDays: [-1], at: "21:00" },
    { name: "XMAS", unit: "year", month: 12, monthDays: [24], at: "19:00" },
    { name: "SIXHOURS", unit: "hour", every: 6, at: "01:00" },
  ],
  events: [
    { name: "newday", type: "newday", schedule: "NEWDAY" },
    { name: "home-daily", type: "backup", task: "home", level: "incr", schedule: "DAILY", priority: 1 },
    { name: "home-month", type: "backup", task: "home", level: "full", schedule: "MONTHEND", priority: 3 },
    { name: "home-xmas", type: "backup", task: "home", schedule: "XMAS", priority: 9, blocking: true },
    { name: "tidy", type: "command", command: "tidy", client: "localhost", schedule: "SIXHOURS", priority: 0 },
  ],
});

/** Records every call as a line; throws for the events in `failing`. */
class RecordingLauncher implements Launcher {
  readonly calls: string[] = [];
  readonly failing = new Set<string>();
  #nextJob = 1;

  start(occurrence: Occurrence, event: CalendarEvent): Promise<{ job: number }> {
    if (this.failing.has(event.name)) return Promise.reject(new Error("no drive for home"));
    this.calls.push(`start ${occurrence.event} ${occurrence.time}`);
    return Promise.resolve({ job: this.#nextJob++ });
  }

  newday(ended: string, started: string): Promise<void> {
    this.calls.push(`newday ${ended} ${started}`);
    return Promise.resolve();
  }
}

interface Rig {
  clock: ManualClock;
  history: MemoryHistory;
  launcher: RecordingLauncher;
  daemon: CalendarDaemon;
  logs: string[];
  /** Sets the clock and ticks; returns what the tick did as "event time" lines. */
  at(time: string): Promise<{ started: string[]; missed: string[]; failed: string[]; blocking: string[] }>;
}

function rig(start: string, history = new MemoryHistory(), launcher = new RecordingLauncher()): Rig {
  const clock = new ManualClock(start);
  const logs: string[] = [];
  const daemon = new CalendarDaemon({ config: () => config, clock, history, launcher, log: (line) => logs.push(line) });
  const lines = (items: Occurrence[]): string[] => items.map((item) => `${item.event} ${item.time}`);
  return {
    clock,
    history,
    launcher,
    daemon,
    logs,
    async at(time) {
      clock.set(time);
      const result = await daemon.tick();
      return { started: lines(result.started), missed: lines(result.missed), failed: lines(result.failed), blocking: lines(result.blocking) };
    },
  };
}

test("a normal day: the daily starts at 20:00, once, however often the daemon ticks", async () => {
  const r = rig("2027-03-10T08:00:00+01:00");
  assert.deepEqual((await r.at("2027-03-10T08:00:00+01:00")).started, ["newday 2027-03-10T08:00:00+01:00"]);
  assert.deepEqual((await r.at("2027-03-10T19:59:59+01:00")).started, ["tidy 2027-03-10T13:00:00+01:00", "tidy 2027-03-10T19:00:00+01:00"]);
  assert.deepEqual((await r.at("2027-03-10T20:00:00+01:00")).started, ["home-daily 2027-03-10T20:00:00+01:00"]);
  for (const time of ["2027-03-10T20:00:00+01:00", "2027-03-10T20:00:30+01:00", "2027-03-10T23:00:00+01:00"]) {
    assert.deepEqual(await r.at(time), { started: [], missed: [], failed: [], blocking: [] });
  }
  assert.deepEqual(r.launcher.calls.filter((call) => call.includes("home")), ["start home-daily 2027-03-10T20:00:00+01:00"]);
  assert.deepEqual(r.history.list(new Date("2027-03-10T20:00:00+01:00"), new Date("2027-03-10T20:01:00+01:00")), [
    { event: "home-daily", time: "2027-03-10T20:00:00+01:00", backupDay: "2027-03-10", status: "running", type: "backup", priority: 1, job: 3 },
  ]);
});

test("the last day of the month starts only the full", async () => {
  const r = rig("2027-03-31T08:00:00+02:00");
  for (const time of ["2027-03-31T08:00:00+02:00", "2027-03-31T20:00:00+02:00", "2027-03-31T21:00:00+02:00", "2027-04-01T07:59:00+02:00"]) await r.at(time);
  assert.deepEqual(r.launcher.calls.filter((call) => call.includes("home")), ["start home-month 2027-03-31T21:00:00+02:00"]);
  const daily = r.daemon.sheet(new Date("2027-03-31T20:00:00+02:00"), new Date("2027-03-31T20:01:00+02:00"));
  assert.deepEqual(daily.map((row) => `${row.event} ${row.status} ${row.by ?? ""}`), ["home-daily suppressed home-month"]);
});

test("24 Dec starts nothing for home and records the blocking; tidy (p0) still runs", async () => {
  const r = rig("2027-12-24T08:00:00+01:00");
  await r.at("2027-12-24T08:00:00+01:00");
  assert.deepEqual(await r.at("2027-12-24T19:00:00+01:00"), {
    started: ["tidy 2027-12-24T13:00:00+01:00", "tidy 2027-12-24T19:00:00+01:00"],
    missed: [],
    failed: [],
    blocking: ["home-xmas 2027-12-24T19:00:00+01:00"],
  });
  assert.deepEqual((await r.at("2027-12-24T20:00:00+01:00")).started, []);
  assert.deepEqual((await r.at("2027-12-24T20:10:00+01:00")).blocking, [], "the blocking is recorded once");
  assert.equal(r.launcher.calls.filter((call) => call.includes("home")).length, 0);
  const xmas = r.history.all().find((record) => record.event === "home-xmas");
  assert.deepEqual(xmas, { event: "home-xmas", time: "2027-12-24T19:00:00+01:00", backupDay: "2027-12-24", status: "done", type: "backup", priority: 9 });
  assert.ok(r.logs.some((line) => line.includes("home-xmas") && line.includes("blocking")));
});

test("newday at 08:00 calls launcher.newday(ended day, today)", async () => {
  const r = rig("2027-03-10T07:00:00+01:00");
  await r.at("2027-03-10T07:00:00+01:00"); // first tick: catches up backup day 2027-03-09
  r.launcher.calls.length = 0;
  assert.deepEqual((await r.at("2027-03-10T07:59:59+01:00")).started, []);
  assert.deepEqual((await r.at("2027-03-10T08:00:00+01:00")).started, ["newday 2027-03-10T08:00:00+01:00"]);
  assert.deepEqual(r.launcher.calls, ["newday 2027-03-09 2027-03-10"]);
  await r.at("2027-03-10T09:00:00+01:00");
  assert.deepEqual(r.launcher.calls, ["newday 2027-03-09 2027-03-10"]);
});

test("a server down since 07:00 and started at 23:00 runs today's missed occurrences once and records older ones missed; a restart does not rerun", async () => {
  const history = new MemoryHistory();
  const before = rig("2027-03-09T08:00:00+01:00", history);
  for (const time of ["2027-03-09T08:00:00+01:00", "2027-03-09T20:00:00+01:00", "2027-03-10T01:00:00+01:00", "2027-03-10T06:59:00+01:00"]) await before.at(time);
  assert.deepEqual(before.launcher.calls, [
    "newday 2027-03-08 2027-03-09",
    "start tidy 2027-03-09T13:00:00+01:00",
    "start tidy 2027-03-09T19:00:00+01:00",
    "start home-daily 2027-03-09T20:00:00+01:00",
    "start tidy 2027-03-10T01:00:00+01:00",
  ]);

  const after = rig("2027-03-10T23:00:00+01:00", history);
  assert.deepEqual(await after.at("2027-03-10T23:00:00+01:00"), {
    started: ["newday 2027-03-10T08:00:00+01:00", "tidy 2027-03-10T13:00:00+01:00", "tidy 2027-03-10T19:00:00+01:00", "home-daily 2027-03-10T20:00:00+01:00"],
    missed: ["tidy 2027-03-10T07:00:00+01:00"],
    failed: [],
    blocking: [],
  });
  assert.deepEqual(after.launcher.calls.filter((call) => call.includes("home-daily")), ["start home-daily 2027-03-10T20:00:00+01:00"]);
  assert.equal(history.all().find((record) => record.time === "2027-03-10T07:00:00+01:00")?.status, "missed");
  assert.ok(after.logs.some((line) => line.startsWith("calendar: missed tidy at 2027-03-10T07:00:00+01:00")));
  assert.deepEqual((await after.at("2027-03-10T23:30:00+01:00")).started, []);

  const restarted = rig("2027-03-10T23:45:00+01:00", history);
  assert.deepEqual(await restarted.at("2027-03-10T23:45:00+01:00"), { started: [], missed: [], failed: [], blocking: [] });
  assert.deepEqual(restarted.launcher.calls, []);
});

test("older backup days are recorded missed after a longer outage, and nothing of them runs", async () => {
  const history = new MemoryHistory();
  const before = rig("2027-03-08T08:00:00+01:00", history);
  await before.at("2027-03-08T08:00:00+01:00");
  const after = rig("2027-03-10T09:00:00+01:00", history);
  const result = await after.at("2027-03-10T09:00:00+01:00");
  assert.deepEqual(result.started, ["newday 2027-03-10T08:00:00+01:00"]);
  assert.deepEqual(after.launcher.calls, ["newday 2027-03-09 2027-03-10"]);
  assert.equal(result.missed.length, 11); // backup day 08 Mar: tidy ×4 + daily; 09 Mar: newday + tidy ×4 + daily
  assert.ok(result.missed.includes("home-daily 2027-03-09T20:00:00+01:00"));
  assert.ok(result.missed.includes("newday 2027-03-09T08:00:00+01:00"));
});

test("startNow records a one-time occurrence with the event's priority; unknown and blocking events are refused", async () => {
  const r = rig("2027-03-10T08:00:00+01:00");
  await r.at("2027-03-10T08:00:00+01:00");
  r.clock.set("2027-03-10T14:23:17.250+01:00");
  const { job } = await r.daemon.startNow("home-daily");
  assert.deepEqual(r.history.list(new Date("2027-03-10T14:23:00+01:00"), new Date("2027-03-10T14:24:00+01:00")), [
    { event: "home-daily", time: "2027-03-10T14:23:17+01:00", backupDay: "2027-03-10", status: "running", type: "backup", priority: 1, oneTime: true, job },
  ]);
  const second = await r.daemon.startNow("home-daily"); // same second: the next free one
  assert.notEqual(second.job, job);
  assert.equal(r.history.all().filter((record) => record.oneTime === true).length, 2);
  assert.deepEqual((await r.at("2027-03-10T20:00:00+01:00")).started.filter((line) => line.startsWith("home")), ["home-daily 2027-03-10T20:00:00+01:00"]);
  await assert.rejects(r.daemon.startNow("nope"), (error: unknown) => isReelError(error, "SCHEDULER_UNKNOWN_EVENT"));
  await assert.rejects(r.daemon.startNow("home-xmas"), (error: unknown) => isReelError(error, "SCHEDULER_NOT_STARTABLE"));
  await assert.rejects(r.daemon.startNow("newday"), (error: unknown) => isReelError(error, "SCHEDULER_NOT_STARTABLE"));
  const rows = r.daemon.sheet(new Date("2027-03-10T14:00:00+01:00"), new Date("2027-03-10T15:00:00+01:00"));
  assert.deepEqual(rows.map((row) => `${row.time} ${row.event} ${row.status} ${row.job ?? ""} ${row.oneTime === true}`), [
    `2027-03-10T14:23:17+01:00 home-daily running ${job} true`,
    `2027-03-10T14:23:18+01:00 home-daily running ${second.job} true`,
  ]);
});

test("sheet() overlays running, done, failed and missed on the pure sheet", async () => {
  const history = new MemoryHistory();
  const launcher = new RecordingLauncher(); // job ids stay unique across the restarts
  const before = rig("2027-03-10T00:59:00+01:00", history, launcher);
  await before.at("2027-03-10T00:59:00+01:00");
  const r = rig("2027-03-10T08:00:00+01:00", history, launcher);
  await r.at("2027-03-10T08:00:00+01:00"); // tidy 01:00 and 07:00 of 09 Mar: missed
  await r.at("2027-03-10T13:00:00+01:00");
  await r.at("2027-03-10T19:00:00+01:00");
  await r.at("2027-03-10T20:00:00+01:00");
  const jobs = history.all().filter((record) => record.job !== undefined && record.backupDay === "2027-03-10");
  assert.deepEqual(jobs.map((record) => record.event), ["tidy", "tidy", "home-daily"]);
  r.daemon.jobEnded(jobs[0]!.job!, "done");
  r.daemon.jobEnded(jobs[1]!.job!, "failed");
  const rows = r.daemon.sheet(new Date("2027-03-10T00:00:00+01:00"), new Date("2027-03-11T08:00:00+01:00"));
  assert.deepEqual(rows.map((row) => `${row.time} ${row.backupDay} ${row.event} ${row.status}${row.job === undefined ? "" : ` job ${row.job}`}`), [
    "2027-03-10T01:00:00+01:00 2027-03-09 tidy missed",
    "2027-03-10T07:00:00+01:00 2027-03-09 tidy missed",
    "2027-03-10T08:00:00+01:00 2027-03-10 newday done",
    `2027-03-10T13:00:00+01:00 2027-03-10 tidy done job ${jobs[0]!.job}`,
    `2027-03-10T19:00:00+01:00 2027-03-10 tidy failed job ${jobs[1]!.job}`,
    `2027-03-10T20:00:00+01:00 2027-03-10 home-daily running job ${jobs[2]!.job}`,
    "2027-03-11T01:00:00+01:00 2027-03-10 tidy run",
    "2027-03-11T07:00:00+01:00 2027-03-10 tidy run",
  ]);
  // A restarted daemon still knows the running job from the history.
  const restarted = rig("2027-03-10T21:00:00+01:00", history, launcher);
  restarted.daemon.jobEnded(jobs[2]!.job!, "aborted");
  assert.equal(restarted.daemon.sheet(new Date("2027-03-10T20:00:00+01:00"), new Date("2027-03-10T20:01:00+01:00"))[0]?.status, "aborted");
});

test("a launcher that throws: the occurrence is recorded failed, the message logged, and not retried", async () => {
  const launcher = new RecordingLauncher();
  launcher.failing.add("home-daily");
  const r = rig("2027-03-10T08:00:00+01:00", new MemoryHistory(), launcher);
  await r.at("2027-03-10T08:00:00+01:00");
  const result = await r.at("2027-03-10T20:00:00+01:00");
  assert.deepEqual(result.failed, ["home-daily 2027-03-10T20:00:00+01:00"]);
  assert.deepEqual(result.started, ["tidy 2027-03-10T13:00:00+01:00", "tidy 2027-03-10T19:00:00+01:00"]);
  assert.equal(r.history.all().find((record) => record.event === "home-daily")?.status, "failed");
  assert.ok(r.logs.some((line) => line.includes("home-daily") && line.includes("failed to start: no drive for home")));
  assert.deepEqual((await r.at("2027-03-10T20:05:00+01:00")).failed, []);
});

test("a job that ends before its start resolves still gets its status", async () => {
  const history = new MemoryHistory();
  const holder: { daemon?: CalendarDaemon } = {};
  const launcher: Launcher = {
    start: () => {
      holder.daemon!.jobEnded(42, "done");
      return Promise.resolve({ job: 42 });
    },
    newday: () => Promise.resolve(),
  };
  const clock = new ManualClock("2027-03-10T20:00:00+01:00");
  const daemon = new CalendarDaemon({ config: () => config, clock, history, launcher, log: () => undefined });
  holder.daemon = daemon;
  await daemon.tick();
  assert.equal(history.all().find((record) => record.event === "home-daily")?.status, "done");
});

test("run() sleeps until each next occurrence with the fake clock, wakes on notify(), and stop() ends it cleanly", async () => {
  const r = rig("2027-03-10T07:30:00+01:00");
  const running = r.daemon.run();
  const wakes: string[] = [];
  for (;;) {
    const until = await r.clock.sleeping();
    if (until.getTime() >= Date.parse("2027-03-11T02:00:00+01:00")) break;
    wakes.push(until.toISOString());
    r.clock.set(until);
  }
  assert.deepEqual(wakes, [
    "2027-03-10T07:00:00.000Z",
    "2027-03-10T12:00:00.000Z",
    "2027-03-10T18:00:00.000Z",
    "2027-03-10T19:00:00.000Z",
    "2027-03-11T00:00:00.000Z",
  ]);
  assert.ok(r.launcher.calls.includes("newday 2027-03-09 2027-03-10"));
  assert.ok(r.launcher.calls.includes("start home-daily 2027-03-10T20:00:00+01:00"));
  assert.equal(r.launcher.calls.filter((call) => call.startsWith("start home-daily 2027-03-10")).length, 1);
  // notify() wakes the sleeping loop; it recomputes and sleeps again until the same next occurrence.
  r.daemon.notify();
  assert.equal((await r.clock.sleeping()).toISOString(), "2027-03-11T06:00:00.000Z");
  await r.daemon.stop();
  await running;
  assert.equal(r.logs.filter((line) => line.includes("tick failed")).length, 0);
});

test("on the fall-back night an hourly event starts once per occurrence, keyed by instant", async () => {
  const hourly = validateConfig({
    timezone: "Europe/Berlin",
    schedules: [
      { name: "NEWDAY", unit: "day", at: "08:00" },
      { name: "HOURLY", unit: "hour", at: "00:00" },
    ],
    events: [
      { name: "newday", type: "newday", schedule: "NEWDAY" },
      { name: "sync", type: "command", command: "sync", client: "localhost", schedule: "HOURLY", priority: 0 },
    ],
  });
  const history = new MemoryHistory();
  const launcher = new RecordingLauncher();
  const clock = new ManualClock("2027-10-30T22:30:00Z"); // 00:30+02:00 on 31 Oct
  const daemon = new CalendarDaemon({ config: () => hourly, clock, history, launcher, log: () => undefined });
  await daemon.tick();
  launcher.calls.length = 0;
  for (let step = 1; step <= 16; step += 1) {
    clock.advance(15 * 60_000); // 4 hours of real time (one wall-clock hour repeats): until 03:30+01:00
    await daemon.tick();
  }
  assert.deepEqual(launcher.calls, ["start sync 2027-10-31T01:00:00+02:00", "start sync 2027-10-31T02:00:00+02:00", "start sync 2027-10-31T03:00:00+01:00"]);
});
