// validateConfig(): defaults, and one error naming the field path for each kind of mistake.
import assert from "node:assert/strict";
import { test } from "node:test";
import { validateConfig } from "./validate.js";

const base = () => ({
  timezone: "Europe/Berlin",
  schedules: [
    { name: "NEWDAY", unit: "day", at: "08:00" },
    { name: "DAILY", unit: "day", at: "20:00" },
  ] as Array<Record<string, unknown>>,
  events: [
    { name: "newday", type: "newday", schedule: "NEWDAY" },
    { name: "home", type: "backup", task: "home", schedule: "DAILY" },
  ] as Array<Record<string, unknown>>,
});

test("validateConfig() fills in the defaults", () => {
  assert.deepStrictEqual(validateConfig(base()), {
    timezone: "Europe/Berlin",
    schedules: [
      { name: "NEWDAY", unit: "day", every: 1, at: "08:00", enabled: true },
      { name: "DAILY", unit: "day", every: 1, at: "20:00", enabled: true },
    ],
    events: [
      { name: "newday", type: "newday", schedule: "NEWDAY", priority: 1, blocking: false, enabled: true },
      { name: "home", type: "backup", schedule: "DAILY", priority: 1, blocking: false, enabled: true, task: "home" },
    ],
  });
  const { timezone: _, ...withoutZone } = base();
  assert.equal(validateConfig(withoutZone, "x", { defaultTimeZone: "Asia/Tokyo" }).timezone, "Asia/Tokyo");
});

const bad: Array<[string, (config: ReturnType<typeof base>) => unknown, string]> = [
  ["priority above 99", (c) => ((c.events[1]!.priority = 100), c), "reel.yaml: events[1].priority: must be an integer 0–99"],
  ["fractional priority", (c) => ((c.events[1]!.priority = 1.5), c), "reel.yaml: events[1].priority: must be an integer 0–99"],
  ["unknown schedule", (c) => ((c.events[1]!.schedule = "NIGHTLY"), c), 'reel.yaml: events[1].schedule: names no schedule: "NIGHTLY"'],
  ["no newday", (c) => (c.events.splice(0, 1), c), "reel.yaml: events: must hold exactly one newday event: found none"],
  ["two newdays", (c) => (c.events.push({ name: "nd2", type: "newday", schedule: "NEWDAY" }), c), "reel.yaml: events[2]: is a second newday event: there must be exactly one"],
  ["bad time", (c) => ((c.schedules[1]!.at = "24:00"), c), 'reel.yaml: schedules[1].at: must be a time of day "HH:MM" (00:00–23:59): got "24:00"'],
  ["bad unit", (c) => ((c.schedules[1]!.unit = "fortnight"), c), "reel.yaml: schedules[1].unit: must be one of once, minute, hour, day, week, month, year"],
  ["bad zone", (c) => ((c.timezone = "Mars/Olympus"), c), 'reel.yaml: timezone: must be an IANA time zone such as "Europe/Berlin": got "Mars/Olympus"'],
  ["unknown field", (c) => ((c.schedules[1]!.hour = 3), c), "reel.yaml: schedules[1].hour: is not a field of a schedule"],
  ["field of another type", (c) => ((c.events[1]!.drive = "d1"), c), "reel.yaml: events[1].drive: is not a field of backup events"],
  ["missing task", (c) => (delete c.events[1]!.task, c), "reel.yaml: events[1].task: is required for backup events"],
  ["bad level", (c) => ((c.events[1]!.level = "mega"), c), "reel.yaml: events[1].level: must be one of full, diff, incr, copy"],
  ["month day 0", (c) => (c.schedules.push({ name: "M", unit: "month", monthDays: [0] }), c), "reel.yaml: schedules[2].monthDays[0]: must be 1–31 or -1 (last day) … -31"],
  ["month without days", (c) => (c.schedules.push({ name: "M", unit: "month" }), c), "reel.yaml: schedules[2].monthDays: is required for unit month (or nthWeekday)"],
  ["year without month", (c) => (c.schedules.push({ name: "Y", unit: "year", monthDays: [1] }), c), "reel.yaml: schedules[2].month: is required for unit year"],
  ["once without start", (c) => (c.schedules.push({ name: "O", unit: "once" }), c), "reel.yaml: schedules[2].start: is required for unit once"],
  ["week without weekdays", (c) => (c.schedules.push({ name: "W", unit: "week" }), c), "reel.yaml: schedules[2].weekdays: is required for unit week"],
  ["bad weekday", (c) => (c.schedules.push({ name: "W", unit: "week", weekdays: ["mon", "sunday"] }), c), "reel.yaml: schedules[2].weekdays[1]: must be one of sun, mon, tue, wed, thu, fri, sat"],
  ["bad nth", (c) => (c.schedules.push({ name: "N", unit: "month", nthWeekday: { weekday: "fri", n: 0 } }), c), "reel.yaml: schedules[2].nthWeekday.n: must be 1–5 or -1 (last) … -5"],
  ["bad date", (c) => ((c.schedules[1]!.from = "2027-02-30"), c), 'reel.yaml: schedules[1].from: must be a local date "YYYY-MM-DD" or date and time "YYYY-MM-DDTHH:MM": got "2027-02-30"'],
  ["until before from", (c) => ((c.schedules[1]!.from = "2027-02-03"), (c.schedules[1]!.until = "2027-02-01"), c), "reel.yaml: schedules[1].until: must not be before from"],
  ["repeated name", (c) => (c.schedules.push({ name: "DAILY", unit: "day" }), c), 'reel.yaml: schedules[2].name: repeats the name "DAILY"'],
  ["blocking with priority 0", (c) => ((c.events[1]!.blocking = true), (c.events[1]!.priority = 0), c), "reel.yaml: events[1].blocking: needs a priority above 0 (priority 0 suppresses nothing)"],
  ["media with drive and group", (c) => (c.events.push({ name: "m", type: "media", drive: "d", driveGroup: "g", schedule: "DAILY" }), c), "reel.yaml: events[2].drive: media events need exactly one of drive and driveGroup"],
  ["not a mapping", () => [], "reel.yaml: config: must be a mapping"],
];

for (const [name, change, message] of bad) {
  test(`validateConfig() rejects ${name} naming the field`, () => {
    assert.throws(() => validateConfig(change(base()), "reel.yaml"), (error: unknown) => {
      assert.equal((error as { code?: string }).code, "SCHEDULER_BAD_CONFIG");
      assert.equal((error as Error).message, message);
      return true;
    });
  });
}
