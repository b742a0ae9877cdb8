// The calendar sheet: (config, range) → occurrences with backup day and status, by the rules of
// docs/calendar.md (DESIGN §4): backup days bounded by newday, similar events, priorities, blocking.
import { schedulerError } from "../errors.js";
import { formatDate, formatLocal, MINUTES_PER_DAY } from "./civil.js";
import { scheduleTimes } from "./schedule-times.js";
import type { CalendarConfig, CalendarEvent, Occurrence, OccurrenceStatus, Schedule } from "./types.js";
import { Zone } from "./zone.js";

/** How far (days) to look before and after the range for the newday that bounds its backup days. */
const NEWDAY_MARGINS_DAYS = [2, 35, 400];

interface Pending {
  time: number; // UTC minutes
  event: CalendarEvent;
  day: string;
  isEnabled: boolean;
}

/** The similarity class of an event (DESIGN §4), or undefined for events similar to none. */
export function similarityKey(event: CalendarEvent): string | undefined {
  switch (event.type) {
    case "backup":
    case "copy":
    case "migration":
      return `${event.type}\u0000${event.task ?? ""}`;
    case "media":
      return event.drive !== undefined ? `media\u0000drive\u0000${event.drive}` : `media\u0000group\u0000${event.driveGroup ?? ""}`;
    case "command":
      return `command\u0000${event.command ?? ""}`;
    case "restore":
    case "newday":
      return undefined;
  }
}

/** Instants of the enabled newday occurrences around [from, to): they bound the backup days. */
function newdayInstants(config: CalendarConfig, schedules: Map<string, Schedule>, zone: Zone, from: number, to: number): number[] {
  const newday = config.events.find((event) => event.type === "newday");
  const schedule = newday === undefined ? undefined : schedules.get(newday.schedule);
  if (newday === undefined || schedule === undefined || !newday.enabled || !schedule.enabled) return [];
  let instants: number[] = [];
  for (const margin of NEWDAY_MARGINS_DAYS) {
    instants = scheduleTimes(schedule, zone, from - margin * MINUTES_PER_DAY, to + margin * MINUTES_PER_DAY);
    const first = instants[0];
    const last = instants[instants.length - 1];
    if (first !== undefined && last !== undefined && first <= from && last >= to) break;
  }
  return instants;
}

/** Index of the last element ≤ value in an ascending array, or -1. */
function lastAtOrBefore(sorted: number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! <= value) low = middle + 1;
    else high = middle;
  }
  return low - 1;
}

function parseRange(from: Date, to: Date): { from: number; to: number } {
  const fromMs = from.getTime();
  const toMs = to.getTime();
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || fromMs >= toMs) {
    throw schedulerError("SCHEDULER_BAD_RANGE", "Cannot compute the calendar: the range must have valid dates with from before to", {
      from: Number.isFinite(fromMs) ? from.toISOString() : String(from),
      to: Number.isFinite(toMs) ? to.toISOString() : String(to),
    });
  }
  // Occurrences fall on whole minutes: a minute m is in [from, to) when from ≤ m·60000 < to.
  return { from: Math.ceil(fromMs / 60_000), to: Math.ceil(toMs / 60_000) };
}

/** Names each backup day; finds the span of whole backup days that covers [from, to). */
class BackupDays {
  readonly #zone: Zone;
  readonly #bounds: number[];
  readonly #names: string[];

  constructor(zone: Zone, bounds: number[]) {
    this.#zone = zone;
    this.#bounds = bounds;
    this.#names = bounds.map((instant) => formatDate(Math.floor(zone.toLocal(instant) / MINUTES_PER_DAY)));
  }

  /** The backup day of an instant: the date of the last newday at or before it, else its own date. */
  nameOf(instant: number): string {
    const index = lastAtOrBefore(this.#bounds, instant);
    return index >= 0 ? this.#names[index]! : formatDate(Math.floor(this.#zone.toLocal(instant) / MINUTES_PER_DAY));
  }

  /** From the start of the backup day of `from` to the end of the backup day of the last minute before `to`. */
  span(from: number, to: number): { low: number; high: number } {
    const before = lastAtOrBefore(this.#bounds, from);
    const after = lastAtOrBefore(this.#bounds, to - 1) + 1;
    const midnight = (instant: number, days: number): number =>
      this.#zone.toUtc((Math.floor(this.#zone.toLocal(instant) / MINUTES_PER_DAY) + days) * MINUTES_PER_DAY);
    return {
      low: Math.min(before >= 0 ? this.#bounds[before]! : Infinity, midnight(from, 0)),
      high: Math.max(after < this.#bounds.length ? this.#bounds[after]! : -Infinity, midnight(to, 1)),
    };
  }
}

/** Every occurrence of every event over the whole backup days that touch [from, to). */
function pendingOccurrences(config: CalendarConfig, schedules: Map<string, Schedule>, days: BackupDays, span: { low: number; high: number }, zone: Zone): Pending[] {
  const timesBySchedule = new Map<string, number[]>();
  const pending: Pending[] = [];
  for (const event of config.events) {
    const schedule = schedules.get(event.schedule);
    if (schedule === undefined) continue;
    let times = timesBySchedule.get(schedule.name);
    if (times === undefined) {
      times = scheduleTimes(schedule, zone, span.low, span.high);
      timesBySchedule.set(schedule.name, times);
    }
    const isEnabled = event.enabled && schedule.enabled;
    for (const time of times) pending.push({ time, event, day: days.nameOf(time), isEnabled });
  }
  return pending;
}

function byTimeThenName(a: Pending, b: Pending): number {
  return a.time - b.time || (a.event.name < b.event.name ? -1 : a.event.name > b.event.name ? 1 : 0);
}

/** The highest-priority similar occurrence of each backup day (the first in time, then name, on ties). */
function winners(sorted: Pending[]): Map<string, Pending> {
  const best = new Map<string, Pending>();
  for (const item of sorted) {
    const key = similarityKey(item.event);
    if (!item.isEnabled || item.event.priority === 0 || key === undefined) continue;
    const groupKey = `${item.day}\u0000${key}`;
    const current = best.get(groupKey);
    if (current === undefined || item.event.priority > current.event.priority) best.set(groupKey, item);
  }
  return best;
}

/**
 * The calendar sheet for [from, to): every occurrence of every event, sorted by time then event
 * name, with its backup day and its status (docs/calendar.md). `config` must come from
 * validateConfig. Throws SCHEDULER_BAD_RANGE when from is not before to.
 */
export function occurrences(config: CalendarConfig, from: Date, to: Date): Occurrence[] {
  const range = parseRange(from, to);
  const zone = new Zone(config.timezone);
  const schedules = new Map(config.schedules.map((schedule) => [schedule.name, schedule]));
  const days = new BackupDays(zone, newdayInstants(config, schedules, zone, range.from, range.to));
  const sorted = pendingOccurrences(config, schedules, days, days.span(range.from, range.to), zone).sort(byTimeThenName);
  const best = winners(sorted);
  const out: Occurrence[] = [];
  for (const item of sorted) {
    if (item.time < range.from || item.time >= range.to) continue;
    const { event } = item;
    const key = similarityKey(event);
    const winner = key === undefined || event.priority === 0 ? undefined : best.get(`${item.day}\u0000${key}`);
    let status: OccurrenceStatus = event.blocking ? "blocking" : "run";
    let by: string | undefined;
    if (!item.isEnabled) status = "disabled";
    else if (winner !== undefined && winner.event.priority > event.priority) {
      status = "suppressed";
      by = winner.event.name;
    }
    const local = zone.toLocal(item.time);
    const occurrence: Occurrence = { time: formatLocal(local, local - item.time), backupDay: item.day, event: event.name, type: event.type, priority: event.priority, status };
    if (by !== undefined) occurrence.by = by;
    out.push(occurrence);
  }
  return out;
}
