// Properties of the calendar sheet over random configs (fast-check): suppression never lets two
// similar occurrences of different non-zero priorities both run in one backup day, the result
// does not depend on the order of events, and every occurrence lies in [from, to).
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { occurrences, similarityKey } from "./occurrences.js";
import { validateConfig } from "./validate.js";
import type { CalendarConfig } from "./types.js";

const scheduleArbitrary = fc.oneof(
  fc.record({ unit: fc.constant("day"), every: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ unit: fc.constant("hour"), every: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ unit: fc.constant("week"), weekdays: fc.subarray(["mon", "tue", "wed", "thu", "fri", "sat", "sun"], { minLength: 1 }) }),
  fc.record({ unit: fc.constant("month"), monthDays: fc.array(fc.oneof(fc.integer({ min: 1, max: 31 }), fc.integer({ min: -31, max: -1 })), { minLength: 1, maxLength: 3 }) }),
);
const timeArbitrary = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([hour, minute]) => `${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}`);

const configArbitrary = fc
  .record({
    timezone: fc.constantFrom("Europe/Berlin", "America/New_York", "UTC", "Australia/Lord_Howe"),
    newdayAt: timeArbitrary,
    schedules: fc.array(fc.tuple(scheduleArbitrary, timeArbitrary), { minLength: 1, maxLength: 5 }),
    events: fc.array(
      fc.record({
        task: fc.constantFrom("a", "b"),
        type: fc.constantFrom("backup", "copy"),
        schedule: fc.nat(),
        priority: fc.integer({ min: 0, max: 4 }),
        blocking: fc.boolean(),
        enabled: fc.boolean(),
      }),
      { minLength: 1, maxLength: 8 },
    ),
  })
  .map((draft) => ({
    timezone: draft.timezone,
    schedules: [{ name: "NEWDAY", unit: "day", at: draft.newdayAt }, ...draft.schedules.map(([schedule, at], index) => ({ name: `S${index}`, at, ...schedule }))],
    events: [
      { name: "newday", type: "newday", schedule: "NEWDAY" },
      ...draft.events.map((event, index) => ({
        ...event,
        name: `e${index}`,
        schedule: `S${event.schedule % draft.schedules.length}`,
        blocking: event.blocking && event.priority > 0,
      })),
    ],
  }));

const rangeArbitrary = fc
  .tuple(fc.integer({ min: 0, max: 700 * 24 }), fc.integer({ min: 1, max: 20 * 24 * 60 }))
  .map(([startHours, lengthMinutes]) => {
    const from = new Date(Date.UTC(2027, 0, 1) + startHours * 3_600_000 + 17_000);
    return { from, to: new Date(from.getTime() + lengthMinutes * 60_000) };
  });

test("occurrences(): in one backup day no two similar non-zero-priority occurrences with different priorities both run", () => {
  fc.assert(
    fc.property(configArbitrary, rangeArbitrary, (raw, range) => {
      const config = validateConfig(raw);
      const byName = new Map(config.events.map((event) => [event.name, event]));
      const running = new Map<string, number>();
      for (const item of occurrences(config, range.from, range.to)) {
        const event = byName.get(item.event)!;
        const key = similarityKey(event);
        if (item.status !== "run" || item.priority === 0 || key === undefined) continue;
        const groupKey = `${item.backupDay} ${key}`;
        const seen = running.get(groupKey);
        assert.ok(seen === undefined || seen === item.priority, `${groupKey}: priorities ${seen} and ${item.priority} both run`);
        running.set(groupKey, item.priority);
      }
    }),
    { numRuns: 150 },
  );
});

test("occurrences(): the result does not depend on the order of events in the config", () => {
  fc.assert(
    fc.property(configArbitrary, rangeArbitrary, fc.nat(), (raw, range, seed) => {
      const config = validateConfig(raw);
      const shuffled: CalendarConfig = { ...config, events: [...config.events].sort((a, b) => ((a.name.charCodeAt(1) * 31 + seed) % 7) - ((b.name.charCodeAt(1) * 31 + seed) % 7)).reverse() };
      assert.deepStrictEqual(occurrences(shuffled, range.from, range.to), occurrences(config, range.from, range.to));
    }),
    { numRuns: 100 },
  );
});

test("occurrences(): every occurrence lies in [from, to), sorted by time then event, one newday per backup day", () => {
  fc.assert(
    fc.property(configArbitrary, rangeArbitrary, (raw, range) => {
      const sheet = occurrences(validateConfig(raw), range.from, range.to);
      const newdays = new Set<string>();
      let previous: { at: number; event: string } | undefined;
      for (const item of sheet) {
        const at = Date.parse(item.time);
        assert.ok(at >= range.from.getTime() && at < range.to.getTime(), `${item.time} outside the range`);
        if (previous !== undefined) assert.ok(previous.at < at || (previous.at === at && previous.event < item.event), "not sorted");
        previous = { at, event: item.event };
        if (item.type === "newday") {
          assert.ok(!newdays.has(item.backupDay), `two newdays start ${item.backupDay}`);
          newdays.add(item.backupDay);
        }
      }
    }),
    { numRuns: 150 },
  );
});
