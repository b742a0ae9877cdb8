// Backup days of arbitrary instants and ISO times with offsets, around DST and with negative offsets.
import assert from "node:assert/strict";
import { test } from "node:test";
import { validateConfig, Zone } from "../calendar/index.js";
import { backupDayAt, isoInZone, localDate } from "./backup-day.js";

test("isoInZone writes the zone's offset, to the second, across DST and west of UTC", () => {
  const berlin = new Zone("Europe/Berlin");
  assert.equal(isoInZone(berlin, new Date("2027-10-31T00:30:00.999Z")), "2027-10-31T02:30:00+02:00");
  assert.equal(isoInZone(berlin, new Date("2027-10-31T01:30:00Z")), "2027-10-31T02:30:00+01:00");
  assert.equal(isoInZone(new Zone("America/New_York"), new Date("2027-03-14T07:05:09Z")), "2027-03-14T03:05:09-04:00");
  assert.equal(isoInZone(new Zone("Asia/Kolkata"), new Date("2027-01-01T00:00:00Z")), "2027-01-01T05:30:00+05:30");
  assert.equal(localDate(new Zone("America/New_York"), new Date("2027-03-14T03:00:00Z")), "2027-03-13");
});

test("backupDayAt: the date of the last newday at or before the instant, else the local date", () => {
  const config = validateConfig({
    timezone: "Europe/Berlin",
    schedules: [{ name: "NEWDAY", unit: "day", at: "08:00" }],
    events: [{ name: "newday", type: "newday", schedule: "NEWDAY" }],
  });
  assert.deepEqual(backupDayAt(config, new Date("2007-09-11T00:40:00+02:00")), { day: "2007-09-10", start: new Date("2007-09-10T08:00:00+02:00") });
  assert.equal(backupDayAt(config, new Date("2007-09-11T08:00:00+02:00")).day, "2007-09-11");
  assert.equal(backupDayAt(config, new Date("2007-09-11T07:59:59.999+02:00")).day, "2007-09-10");
  const weekly = validateConfig({
    timezone: "Europe/Berlin",
    schedules: [{ name: "NEWDAY", unit: "week", weekdays: ["mon"], at: "06:00" }],
    events: [{ name: "newday", type: "newday", schedule: "NEWDAY" }],
  });
  assert.equal(backupDayAt(weekly, new Date("2027-03-14T12:00:00+01:00")).day, "2027-03-08");
  const off = validateConfig({
    timezone: "Europe/Berlin",
    schedules: [{ name: "NEWDAY", unit: "day", at: "08:00", enabled: false }],
    events: [{ name: "newday", type: "newday", schedule: "NEWDAY" }],
  });
  assert.deepEqual(backupDayAt(off, new Date("2027-03-14T01:00:00+01:00")), { day: "2027-03-14" });
});
