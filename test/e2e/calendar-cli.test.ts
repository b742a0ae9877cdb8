/** `reel calendar --config`: the offline calendar sheet, and config errors that name file, line and field. */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { reel, tempDir } from "./helpers.js";
import { startServer } from "./server-helpers.js";

const CONFIG = `timezone: Europe/Berlin
schedules:
  - { name: NEWDAY,   unit: day,   at: "08:00" }
  - { name: DAILY,    unit: day,   at: "20:00" }
  - { name: WEEKEND,  unit: week,  weekdays: [sat, sun], at: "18:00" }
  - { name: MONTHEND, unit: month, monthDays: [-1], at: "21:00" }
events:
  - { name: newday,       type: newday, schedule: NEWDAY }
  - { name: home-daily,   type: backup, task: home, level: incr, schedule: DAILY,    priority: 1 }
  - { name: home-weekend, type: backup, task: home, level: diff, schedule: WEEKEND,  priority: 2 }
  - { name: home-month,   type: backup, task: home, level: full, schedule: MONTHEND, priority: 3 }
`;

test("reel calendar: the month end runs its full and suppresses the daily incremental, on a weekend too; DST shows in the offset", (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "reel.yaml"), CONFIG);
  const run = reel(["calendar", "--config", join(dir, "reel.yaml"), "--from", "2027-07-30", "--to", "2027-08-02", "--json"]);
  assert.equal(run.status, 0, run.stderr);
  const sheet = (JSON.parse(run.stdout) as Array<{ time: string; backupDay: string; event: string; status: string; by?: string }>).filter((o) => o.event !== "newday");
  // 31 July 2027 is a Saturday: weekend (2) and daily (1) both lose to the month end (3).
  assert.deepEqual(sheet.filter((o) => o.backupDay === "2027-07-31").map((o) => [o.time, o.event, o.status, o.by ?? ""]), [
    ["2027-07-31T18:00:00+02:00", "home-weekend", "suppressed", "home-month"],
    ["2027-07-31T20:00:00+02:00", "home-daily", "suppressed", "home-month"],
    ["2027-07-31T21:00:00+02:00", "home-month", "run", ""],
  ]);
  assert.deepEqual(sheet.filter((o) => o.backupDay === "2027-07-30").map((o) => [o.event, o.status]), [["home-daily", "run"]]);
});

test("reel calendar: a bad config is refused with file, line and field, exit 2", (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "reel.yaml"), CONFIG.replace("priority: 3 }", "priority: 300 }"));
  const run = reel(["calendar", "--config", join(dir, "reel.yaml"), "--from", "2027-07-30", "--to", "2027-08-02"]);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /reel\.yaml:11: events\[3\]\.priority: .*0.99.*\[SCHEDULER_BAD_CONFIG\]/);
  assert.equal(run.stdout, "");
});

test("reel apply stores the config on the server; the live sheet agrees with the offline one; a bad config is refused whole", async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "reel.yaml"), CONFIG);
  const server = await startServer(t, join(dir, "var"));
  const applied = await server.cli(["apply", "-f", join(dir, "reel.yaml")]);
  assert.equal(applied.status, 0, applied.stderr);
  assert.match(applied.stdout, /applied 4 schedules and 4 events/);
  const range = ["--from", "2027-03-20", "--to", "2027-04-03", "--json"];
  const live = await server.cli(["calendar", ...range]);
  const offline = reel(["calendar", "--config", join(dir, "reel.yaml"), ...range]);
  assert.equal(live.status, 0, live.stderr);
  assert.deepEqual(JSON.parse(live.stdout), JSON.parse(offline.stdout));
  // A bad field: refused here with file and line, and by the API with the field; the old config stays.
  writeFileSync(join(dir, "bad.yaml"), CONFIG.replace('at: "20:00"', 'at: "25:00"'));
  const bad = await server.cli(["apply", "-f", join(dir, "bad.yaml")]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /bad\.yaml:4: schedules\[1\]\.at/);
  const direct = await server.api<{ error: { code: string; message: string } }>("PUT", "/calendar/config", { schedules: [], events: [{ name: "x", type: "backup" }] });
  assert.equal(direct.status, 400);
  assert.equal(direct.body.error.code, "API_BAD_REQUEST");
  assert.match(direct.body.error.message, /events\[0\]/);
  const still = await server.cli(["calendar", ...range]);
  assert.deepEqual(JSON.parse(still.stdout), JSON.parse(offline.stdout));
});
