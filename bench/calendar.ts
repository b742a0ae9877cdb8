// Benchmark: a year's calendar sheet for 1,000 events (issue 4: under 1 s). Not a timed test.
// Run: npm run build && node dist/bench/calendar.js
import { occurrences, validateConfig } from "../src/scheduler/index.js";

const units = [
  { unit: "day", at: "20:00" },
  { unit: "week", weekdays: ["sat", "sun"], at: "18:00" },
  { unit: "month", monthDays: [-1], at: "21:00" },
  { unit: "year", month: 12, monthDays: [24], at: "19:00" },
  { unit: "month", nthWeekday: { weekday: "fri", n: -1 }, at: "22:00" },
];
const schedules = [{ name: "NEWDAY", unit: "day", at: "08:00" }, ...Array.from({ length: 100 }, (_, index) => ({ name: `S${index}`, ...units[index % units.length] }))];
const events = [
  { name: "newday", type: "newday", schedule: "NEWDAY" },
  ...Array.from({ length: 1000 }, (_, index) => ({ name: `e${index}`, type: "backup", task: `t${index % 250}`, schedule: `S${index % 100}`, priority: (index % 4) + 1 })),
];
const mixed = validateConfig({ timezone: "Europe/Berlin", schedules, events });
const allDaily = validateConfig({ timezone: "Europe/Berlin", schedules, events: events.map((event) => (event.type === "newday" ? event : { ...event, schedule: "S0" })) });
for (const [name, config] of [["mixed", mixed], ["all daily", allDaily]] as const) for (let run = 0; run < 3; run++) {
  const started = performance.now();
  const sheet = occurrences(config, new Date("2027-01-01T00:00:00Z"), new Date("2028-01-01T00:00:00Z"));
  const elapsedMs = performance.now() - started;
  const counts = new Map<string, number>();
  for (const item of sheet) counts.set(item.status, (counts.get(item.status) ?? 0) + 1);
  console.log(`${name}, run ${run + 1}: ${sheet.length} occurrences of 1001 events over 2027 in ${elapsedMs.toFixed(0)} ms (${[...counts].map(([status, count]) => `${status} ${count}`).join(", ")})`);
}
