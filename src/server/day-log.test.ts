import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { DayLog } from "./day-log.js";

test("DayLog writes each line to the file of its backup day: newday starts the next file", () => {
  const dir = mkdtempSync(join(tmpdir(), "reel-daylog-"));
  try {
    let now = new Date("2027-03-01T07:59:00Z");
    // Newday at 08:00 UTC: before it, the backup day is the day before.
    const dayOf = (at: Date): string => new Date(at.getTime() - 8 * 3600_000).toISOString().slice(0, 10);
    const log = new DayLog({ dir: join(dir, "log"), dayOf, now: () => now });
    log.write("backup of home started");
    now = new Date("2027-03-01T08:00:00Z");
    log.write("newday: backup day 2027-02-28 ended");
    log.write("second line");
    assert.equal(readFileSync(log.fileOf("2027-02-28"), "utf8"), "2027-03-01T07:59:00.000Z backup of home started\n");
    assert.equal(readFileSync(log.fileOf("2027-03-01"), "utf8"), "2027-03-01T08:00:00.000Z newday: backup day 2027-02-28 ended\n2027-03-01T08:00:00.000Z second line\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("DayLog never throws when its directory cannot be made", () => {
  const dir = mkdtempSync(join(tmpdir(), "reel-daylog-"));
  try {
    writeFileSync(join(dir, "file"), "in the way");
    const log = new DayLog({ dir: join(dir, "file", "log"), dayOf: () => "2027-01-01", now: () => new Date(0) });
    log.write("lost, not fatal");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
