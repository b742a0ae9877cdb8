// Table-driven calendar sheets: every worked example of the seed and of docs/calendar.md, DST in
// two zones, month ends, leap days and the issue's example config. One deepStrictEqual per row.
import assert from "node:assert/strict";
import { test } from "node:test";
import { occurrences } from "./occurrences.js";
import { validateConfig } from "./validate.js";

type Raw = Record<string, unknown>;

/** A config with a daily newday at 08:00 unless the schedules give their own NEWDAY. */
function config(schedules: Raw[], events: Raw[], timezone = "Europe/Berlin"): Raw {
  const hasNewday = schedules.some((schedule) => schedule.name === "NEWDAY");
  return {
    timezone,
    schedules: hasNewday ? schedules : [{ name: "NEWDAY", unit: "day", at: "08:00" }, ...schedules],
    events: events.some((event) => event.type === "newday") ? events : [{ name: "newday", type: "newday", schedule: "NEWDAY" }, ...events],
  };
}

/** One line per occurrence: "time backupDay event status [by X]"; newday lines left out unless asked. */
function sheet(raw: Raw, from: string, to: string, withNewday = false): string[] {
  return occurrences(validateConfig(raw), new Date(from), new Date(to))
    .filter((item) => withNewday || item.type !== "newday")
    .map((item) => `${item.time} ${item.backupDay} ${item.event} ${item.status}${item.by === undefined ? "" : ` by ${item.by}`}`);
}

const seedSchedules: Raw[] = [
  { name: "DAILY", unit: "day", at: "20:00" },
  { name: "WEEKEND", unit: "week", weekdays: ["sat", "sun"], at: "18:00" },
  { name: "MONTHEND", unit: "month", monthDays: [-1], at: "21:00" },
];
const seedEvents: Raw[] = [
  { name: "daily", type: "backup", task: "home", level: "incr", schedule: "DAILY", priority: 1 },
  { name: "weekend", type: "backup", task: "home", level: "diff", schedule: "WEEKEND", priority: 2 },
  { name: "monthend", type: "backup", task: "home", level: "full", schedule: "MONTHEND", priority: 3 },
];

const issueConfig: Raw = {
  timezone: "Europe/Berlin",
  schedules: [
    { name: "NEWDAY", unit: "day", at: "08:00" },
    { name: "DAILY", unit: "day", at: "20:00" },
    { name: "WEEKEND", unit: "week", weekdays: ["sat", "sun"], at: "18:00" },
    { name: "MONTHEND", unit: "month", monthDays: [-1], at: "21:00" },
    { name: "XMAS", unit: "year", month: 12, monthDays: [24], at: "19:00" },
    { name: "SIXHOURS", unit: "hour", every: 6, at: "01:00" },
    { name: "ONCE", unit: "once", start: "2027-01-15T12:00" },
  ],
  events: [
    { name: "newday", type: "newday", schedule: "NEWDAY" },
    { name: "home-daily", type: "backup", task: "home", level: "incr", schedule: "DAILY", priority: 1 },
    { name: "home-month", type: "backup", task: "home", level: "full", schedule: "MONTHEND", priority: 3 },
    { name: "home-xmas", type: "backup", task: "home", schedule: "XMAS", priority: 9, blocking: true },
    { name: "tidy", type: "command", command: "tidy", client: "localhost", schedule: "SIXHOURS", priority: 0 },
  ],
};

interface Row {
  name: string;
  config: Raw;
  range: [string, string];
  withNewday?: boolean;
  expected: string[];
}

const rows: Row[] = [
  {
    name: "seed: on a weekday DAILY runs alone",
    config: config(seedSchedules, seedEvents),
    range: ["2027-07-28T06:00:00Z", "2027-07-29T06:00:00Z"],
    expected: ["2027-07-28T20:00:00+02:00 2027-07-28 daily run"],
  },
  {
    name: "seed: at the weekend WEEKEND overrides DAILY",
    config: config(seedSchedules, seedEvents),
    range: ["2027-07-24T06:00:00Z", "2027-07-25T06:00:00Z"],
    expected: ["2027-07-24T18:00:00+02:00 2027-07-24 weekend run", "2027-07-24T20:00:00+02:00 2027-07-24 daily suppressed by weekend"],
  },
  {
    name: "seed: at month end MONTHEND overrides DAILY",
    config: config(seedSchedules, seedEvents),
    range: ["2027-06-30T06:00:00Z", "2027-07-01T06:00:00Z"],
    expected: ["2027-06-30T20:00:00+02:00 2027-06-30 daily suppressed by monthend", "2027-06-30T21:00:00+02:00 2027-06-30 monthend run"],
  },
  {
    name: "seed: a month end on a weekend: MONTHEND overrides WEEKEND (still to come) and DAILY",
    config: config(seedSchedules, seedEvents),
    range: ["2027-07-31T06:00:00Z", "2027-08-01T06:00:00Z"],
    expected: [
      "2027-07-31T18:00:00+02:00 2027-07-31 weekend suppressed by monthend",
      "2027-07-31T20:00:00+02:00 2027-07-31 daily suppressed by monthend",
      "2027-07-31T21:00:00+02:00 2027-07-31 monthend run",
    ],
  },
  {
    name: "month end on a Sunday (2027-10-31, also the fall-back day)",
    config: config(seedSchedules, seedEvents),
    range: ["2027-10-31T07:00:00Z", "2027-11-01T07:00:00Z"],
    expected: [
      "2027-10-31T18:00:00+01:00 2027-10-31 weekend suppressed by monthend",
      "2027-10-31T20:00:00+01:00 2027-10-31 daily suppressed by monthend",
      "2027-10-31T21:00:00+01:00 2027-10-31 monthend run",
    ],
  },
  {
    name: "seed: a backup at 00:40 on 11 Sep belongs to backup day 10 Sep (newday 08:00)",
    config: config([{ name: "NIGHT", unit: "day", at: "00:40" }], [{ name: "night", type: "backup", task: "db", schedule: "NIGHT" }]),
    range: ["2007-09-10T06:00:00Z", "2007-09-11T06:00:00Z"],
    withNewday: true,
    expected: ["2007-09-10T08:00:00+02:00 2007-09-10 newday run", "2007-09-11T00:40:00+02:00 2007-09-10 night run"],
  },
  {
    name: "seed: daily (1) at 23:00 is suppressed by the weekly (2) at midnight of the same backup day",
    config: config(
      [
        { name: "DAILY", unit: "day", at: "23:00" },
        { name: "WEEKLY", unit: "week", weekdays: ["sun"], at: "00:00" },
      ],
      [
        { name: "daily", type: "backup", task: "home", schedule: "DAILY", priority: 1 },
        { name: "weekly", type: "backup", task: "home", schedule: "WEEKLY", priority: 2 },
      ],
    ),
    range: ["2027-07-24T06:00:00Z", "2027-07-25T06:00:00Z"],
    expected: ["2027-07-24T23:00:00+02:00 2027-07-24 daily suppressed by weekly", "2027-07-25T00:00:00+02:00 2027-07-24 weekly run"],
  },
  {
    name: "seed: a blocking CSRC (9) on 24 Dec suppresses the daily CSRC (2) and is recorded as blocking",
    config: config(
      [
        { name: "DAILY", unit: "day", at: "20:00" },
        { name: "XMAS", unit: "year", month: 12, monthDays: [24], at: "10:00" },
      ],
      [
        { name: "csrc-daily", type: "backup", task: "CSRC", schedule: "DAILY", priority: 2 },
        { name: "csrc-xmas", type: "backup", task: "CSRC", schedule: "XMAS", priority: 9, blocking: true },
        { name: "other-daily", type: "backup", task: "other", schedule: "DAILY", priority: 2 },
      ],
    ),
    range: ["2027-12-24T07:00:00Z", "2027-12-25T07:00:00Z"],
    expected: [
      "2027-12-24T10:00:00+01:00 2027-12-24 csrc-xmas blocking",
      "2027-12-24T20:00:00+01:00 2027-12-24 csrc-daily suppressed by csrc-xmas",
      "2027-12-24T20:00:00+01:00 2027-12-24 other-daily run",
    ],
  },
  {
    name: "equal priorities all run; priority 0 always runs and suppresses nothing",
    config: config(
      [{ name: "DAILY", unit: "day", at: "20:00" }],
      [
        { name: "a", type: "backup", task: "home", schedule: "DAILY", priority: 2 },
        { name: "b", type: "backup", task: "home", schedule: "DAILY", priority: 2 },
        { name: "c", type: "backup", task: "home", schedule: "DAILY", priority: 0 },
        { name: "d", type: "backup", task: "home", schedule: "DAILY", priority: 1 },
      ],
    ),
    range: ["2027-07-28T06:00:00Z", "2027-07-29T06:00:00Z"],
    expected: [
      "2027-07-28T20:00:00+02:00 2027-07-28 a run",
      "2027-07-28T20:00:00+02:00 2027-07-28 b run",
      "2027-07-28T20:00:00+02:00 2027-07-28 c run",
      "2027-07-28T20:00:00+02:00 2027-07-28 d suppressed by a",
    ],
  },
  {
    name: "a disabled event or schedule is listed as disabled and suppresses nothing",
    config: config(
      [
        { name: "DAILY", unit: "day", at: "20:00" },
        { name: "OFF", unit: "day", at: "21:00", enabled: false },
      ],
      [
        { name: "daily", type: "backup", task: "home", schedule: "DAILY", priority: 1 },
        { name: "full", type: "backup", task: "home", schedule: "DAILY", priority: 5, enabled: false },
        { name: "late", type: "backup", task: "home", schedule: "OFF", priority: 7 },
      ],
    ),
    range: ["2027-07-28T06:00:00Z", "2027-07-29T06:00:00Z"],
    expected: ["2027-07-28T20:00:00+02:00 2027-07-28 daily run", "2027-07-28T20:00:00+02:00 2027-07-28 full disabled", "2027-07-28T21:00:00+02:00 2027-07-28 late disabled"],
  },
  {
    name: "similar: media by drive or drive group, commands by name, copy by task",
    config: config(
      [{ name: "DAILY", unit: "day", at: "20:00" }],
      [
        { name: "label-d1", type: "media", drive: "d1", action: "label", schedule: "DAILY", priority: 1 },
        { name: "check-d1", type: "media", drive: "d1", action: "read-check", schedule: "DAILY", priority: 2 },
        { name: "check-g1", type: "media", driveGroup: "g1", schedule: "DAILY", priority: 1 },
        { name: "tidy-a", type: "command", command: "tidy", client: "a", schedule: "DAILY", priority: 1 },
        { name: "tidy-b", type: "command", command: "tidy", client: "b", schedule: "DAILY", priority: 3 },
        { name: "copy-home", type: "copy", task: "home", schedule: "DAILY", priority: 1 },
        { name: "home", type: "backup", task: "home", schedule: "DAILY", priority: 4 },
      ],
    ),
    range: ["2027-07-28T06:00:00Z", "2027-07-29T06:00:00Z"],
    expected: [
      "2027-07-28T20:00:00+02:00 2027-07-28 check-d1 run",
      "2027-07-28T20:00:00+02:00 2027-07-28 check-g1 run",
      "2027-07-28T20:00:00+02:00 2027-07-28 copy-home run",
      "2027-07-28T20:00:00+02:00 2027-07-28 home run",
      "2027-07-28T20:00:00+02:00 2027-07-28 label-d1 suppressed by check-d1",
      "2027-07-28T20:00:00+02:00 2027-07-28 tidy-a suppressed by tidy-b",
      "2027-07-28T20:00:00+02:00 2027-07-28 tidy-b run",
    ],
  },
  {
    name: "a range that starts after the higher occurrence already ran still shows the suppression",
    config: config(seedSchedules, seedEvents),
    range: ["2027-06-30T19:30:00Z", "2027-06-30T22:00:00Z"],
    expected: [],
  },
  {
    name: "a range inside the backup day sees a higher occurrence still to come",
    config: config(seedSchedules, seedEvents),
    range: ["2027-06-30T17:00:00Z", "2027-06-30T18:30:00Z"],
    expected: ["2027-06-30T20:00:00+02:00 2027-06-30 daily suppressed by monthend"],
  },
  {
    name: "Europe/Berlin spring forward: 02:30 does not exist and runs at 03:00",
    config: config([{ name: "NIGHT", unit: "day", at: "02:30" }], [{ name: "night", type: "backup", task: "db", schedule: "NIGHT" }]),
    range: ["2027-03-27T00:00:00Z", "2027-03-30T00:00:00Z"],
    expected: ["2027-03-27T02:30:00+01:00 2027-03-26 night run", "2027-03-28T03:00:00+02:00 2027-03-27 night run", "2027-03-29T02:30:00+02:00 2027-03-28 night run"],
  },
  {
    name: "Europe/Berlin fall back: 02:30 occurs twice and runs once, the first time",
    config: config([{ name: "NIGHT", unit: "day", at: "02:30" }], [{ name: "night", type: "backup", task: "db", schedule: "NIGHT" }]),
    range: ["2027-10-30T00:00:00Z", "2027-11-01T00:00:00Z"],
    expected: ["2027-10-30T02:30:00+02:00 2027-10-29 night run", "2027-10-31T02:30:00+02:00 2027-10-30 night run"],
  },
  {
    name: "Europe/Berlin hourly across both transitions",
    config: config([{ name: "HOURLY", unit: "hour", at: "00:00" }], [{ name: "tick", type: "command", command: "tick", client: "c", schedule: "HOURLY", priority: 0 }]),
    range: ["2027-03-28T00:00:00Z", "2027-03-28T02:00:00Z"],
    expected: ["2027-03-28T01:00:00+01:00 2027-03-27 tick run", "2027-03-28T03:00:00+02:00 2027-03-27 tick run"],
  },
  {
    name: "Europe/Berlin hourly on the fall-back night: 02:00 once",
    config: config([{ name: "HOURLY", unit: "hour", at: "00:00" }], [{ name: "tick", type: "command", command: "tick", client: "c", schedule: "HOURLY", priority: 0 }]),
    range: ["2027-10-30T23:00:00Z", "2027-10-31T03:00:00Z"],
    expected: ["2027-10-31T01:00:00+02:00 2027-10-30 tick run", "2027-10-31T02:00:00+02:00 2027-10-30 tick run", "2027-10-31T03:00:00+01:00 2027-10-30 tick run"],
  },
  {
    name: "America/New_York: 02:30 on 2027-03-14 runs at 03:00, 01:30 on 2027-11-07 runs once",
    config: config(
      [
        { name: "SPRING", unit: "once", start: "2027-03-14T02:30" },
        { name: "FALL", unit: "day", at: "01:30", from: "2027-11-06", until: "2027-11-07" },
      ],
      [
        { name: "fall", type: "backup", task: "b", schedule: "FALL" },
        { name: "spring", type: "backup", task: "a", schedule: "SPRING" },
      ],
      "America/New_York",
    ),
    range: ["2027-03-01T00:00:00Z", "2027-12-01T00:00:00Z"],
    expected: ["2027-03-14T03:00:00-04:00 2027-03-13 spring run", "2027-11-06T01:30:00-04:00 2027-11-05 fall run", "2027-11-07T01:30:00-04:00 2027-11-06 fall run"],
  },
  {
    name: "no leap day: monthDays [29] skips February 2027; [-1] takes the 28th",
    config: config(
      [
        { name: "D29", unit: "month", monthDays: [29], at: "12:00" },
        { name: "LAST", unit: "month", monthDays: [-1], at: "13:00" },
      ],
      [
        { name: "d29", type: "backup", task: "a", schedule: "D29" },
        { name: "last", type: "backup", task: "b", schedule: "LAST" },
      ],
    ),
    range: ["2027-02-01T00:00:00Z", "2027-03-02T00:00:00Z"],
    expected: ["2027-02-28T13:00:00+01:00 2027-02-28 last run"],
  },
  {
    name: "leap day 2028-02-29 with monthDays [29] and [-1]",
    config: config(
      [
        { name: "D29", unit: "month", monthDays: [29], at: "12:00" },
        { name: "LAST", unit: "month", monthDays: [-1], at: "13:00" },
      ],
      [
        { name: "d29", type: "backup", task: "a", schedule: "D29" },
        { name: "last", type: "backup", task: "b", schedule: "LAST" },
      ],
    ),
    range: ["2028-02-01T00:00:00Z", "2028-03-01T00:00:00Z"],
    expected: ["2028-02-29T12:00:00+01:00 2028-02-29 d29 run", "2028-02-29T13:00:00+01:00 2028-02-29 last run"],
  },
  {
    name: "nthWeekday: the last Friday and the second Monday of each month",
    config: config(
      [
        { name: "LASTFRI", unit: "month", nthWeekday: { weekday: "fri", n: -1 }, at: "12:00" },
        { name: "MON2", unit: "month", nthWeekday: { weekday: "mon", n: 2 }, at: "12:00" },
      ],
      [
        { name: "lastfri", type: "backup", task: "a", schedule: "LASTFRI" },
        { name: "mon2", type: "backup", task: "b", schedule: "MON2" },
      ],
    ),
    range: ["2027-01-01T00:00:00Z", "2027-03-01T00:00:00Z"],
    expected: [
      "2027-01-11T12:00:00+01:00 2027-01-11 mon2 run",
      "2027-01-29T12:00:00+01:00 2027-01-29 lastfri run",
      "2027-02-08T12:00:00+01:00 2027-02-08 mon2 run",
      "2027-02-26T12:00:00+01:00 2027-02-26 lastfri run",
    ],
  },
  {
    name: "every 2 weeks from the start's week; every 3 days from the start; until is inclusive",
    config: config(
      [
        { name: "BIWEEKLY", unit: "week", every: 2, weekdays: ["mon"], at: "12:00", start: "2027-01-04" },
        { name: "EVERY3", unit: "day", every: 3, at: "12:00", start: "2027-01-05", until: "2027-01-11" },
      ],
      [
        { name: "bi", type: "backup", task: "a", schedule: "BIWEEKLY" },
        { name: "e3", type: "backup", task: "b", schedule: "EVERY3" },
      ],
    ),
    range: ["2027-01-01T00:00:00Z", "2027-01-26T00:00:00Z"],
    expected: [
      "2027-01-04T12:00:00+01:00 2027-01-04 bi run",
      "2027-01-05T12:00:00+01:00 2027-01-05 e3 run",
      "2027-01-08T12:00:00+01:00 2027-01-08 e3 run",
      "2027-01-11T12:00:00+01:00 2027-01-11 e3 run",
      "2027-01-18T12:00:00+01:00 2027-01-18 bi run",
    ],
  },
  {
    name: "a weekly newday makes one backup day of the week: the higher of the week wins",
    config: config(
      [
        { name: "NEWDAY", unit: "week", weekdays: ["mon"], at: "08:00" },
        { name: "DAILY", unit: "day", at: "20:00" },
        { name: "FRIDAY", unit: "week", weekdays: ["fri"], at: "20:00" },
      ],
      [
        { name: "newday", type: "newday", schedule: "NEWDAY" },
        { name: "daily", type: "backup", task: "a", schedule: "DAILY", priority: 1 },
        { name: "friday", type: "backup", task: "a", schedule: "FRIDAY", priority: 2 },
      ],
    ),
    range: ["2027-07-27T00:00:00Z", "2027-07-28T00:00:00Z"],
    expected: ["2027-07-27T20:00:00+02:00 2027-07-26 daily suppressed by friday"],
  },
  {
    name: "issue example: last day of the month, MONTHEND full runs and DAILY incr is suppressed",
    config: issueConfig,
    range: ["2027-03-31T06:00:00Z", "2027-04-01T06:00:00Z"],
    withNewday: true,
    expected: [
      "2027-03-31T08:00:00+02:00 2027-03-31 newday run",
      "2027-03-31T13:00:00+02:00 2027-03-31 tidy run",
      "2027-03-31T19:00:00+02:00 2027-03-31 tidy run",
      "2027-03-31T20:00:00+02:00 2027-03-31 home-daily suppressed by home-month",
      "2027-03-31T21:00:00+02:00 2027-03-31 home-month run",
      "2027-04-01T01:00:00+02:00 2027-03-31 tidy run",
      "2027-04-01T07:00:00+02:00 2027-03-31 tidy run",
    ],
  },
  {
    name: "issue example: 24 Dec is blocked by XMAS; tidy (priority 0) runs; ONCE has no event",
    config: issueConfig,
    range: ["2027-12-24T07:00:00Z", "2027-12-25T07:00:00Z"],
    expected: [
      "2027-12-24T13:00:00+01:00 2027-12-24 tidy run",
      "2027-12-24T19:00:00+01:00 2027-12-24 home-xmas blocking",
      "2027-12-24T19:00:00+01:00 2027-12-24 tidy run",
      "2027-12-24T20:00:00+01:00 2027-12-24 home-daily suppressed by home-xmas",
      "2027-12-25T01:00:00+01:00 2027-12-24 tidy run",
      "2027-12-25T07:00:00+01:00 2027-12-24 tidy run",
    ],
  },
  {
    name: "once at start, hourly anchored at start",
    config: config(
      [
        { name: "ONCE", unit: "once", start: "2027-01-15T12:00" },
        { name: "EVERY5H", unit: "hour", every: 5, start: "2027-01-15T09:30" },
      ],
      [
        { name: "once", type: "backup", task: "a", schedule: "ONCE" },
        { name: "five", type: "command", command: "x", client: "c", schedule: "EVERY5H", priority: 0 },
      ],
    ),
    range: ["2027-01-14T00:00:00Z", "2027-01-16T00:00:00Z"],
    expected: [
      "2027-01-15T09:30:00+01:00 2027-01-15 five run",
      "2027-01-15T12:00:00+01:00 2027-01-15 once run",
      "2027-01-15T14:30:00+01:00 2027-01-15 five run",
      "2027-01-15T19:30:00+01:00 2027-01-15 five run",
      "2027-01-16T00:30:00+01:00 2027-01-15 five run",
    ],
  },
];

for (const row of rows) {
  test(`occurrences(): ${row.name}`, () => {
    assert.deepStrictEqual(sheet(row.config, row.range[0], row.range[1], row.withNewday), row.expected);
  });
}

test("occurrences() returns whole records with the time in the config's zone", () => {
  const result = occurrences(validateConfig(issueConfig), new Date("2027-03-31T18:00:00Z"), new Date("2027-03-31T18:01:00Z"));
  assert.deepStrictEqual(result, [
    { time: "2027-03-31T20:00:00+02:00", backupDay: "2027-03-31", event: "home-daily", type: "backup", priority: 1, status: "suppressed", by: "home-month" },
  ]);
});

test("occurrences() rejects a range whose from is not before to", () => {
  assert.throws(() => occurrences(validateConfig(issueConfig), new Date("2027-01-02"), new Date("2027-01-01")), { code: "SCHEDULER_BAD_RANGE" });
});
