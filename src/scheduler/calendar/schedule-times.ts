// The instants at which one schedule fires inside a range (docs/calendar.md §"Schedules").
// Candidates are generated as local wall-clock minutes, then converted to instants by the zone
// (DST rules), then clipped to the range; an instant reached twice (a gap) is kept once.
import { civilFromDays, daysFromCivil, daysInMonth, MINUTES_PER_DAY, parseLocalDateTime, parseTimeOfDay, weekdayOf } from "./civil.js";
import { WEEKDAYS, type Schedule } from "./types.js";
import type { Zone } from "./zone.js";

function modulo(value: number, divisor: number): number {
  return ((value % divisor) + divisor) % divisor;
}

/** Week number with weeks starting on Monday; day 4 (1970-01-05) is a Monday. */
function weekOf(days: number): number {
  return Math.floor((days - 4) / 7);
}

/** Local-minute bounds of a schedule: the later of start and from, and until (inclusive). */
function localBounds(schedule: Schedule): { low: number; high: number } {
  const start = schedule.start === undefined ? -Infinity : parseLocalDateTime(schedule.start) ?? -Infinity;
  const from = schedule.from === undefined ? -Infinity : parseLocalDateTime(schedule.from) ?? -Infinity;
  let high = Infinity;
  if (schedule.until !== undefined) {
    const until = parseLocalDateTime(schedule.until) ?? Infinity;
    high = schedule.until.length === 10 ? until + MINUTES_PER_DAY - 1 : until;
  }
  return { low: Math.max(start, from), high };
}

/** Day number that anchors "every N" counting: the start's or from's date, else 1970-01-01. */
function anchorDay(schedule: Schedule): number {
  const text = schedule.start ?? schedule.from;
  const minutes = text === undefined ? undefined : parseLocalDateTime(text);
  return minutes === undefined ? 0 : Math.floor(minutes / MINUTES_PER_DAY);
}

/** Days of a month (day numbers) selected by monthDays or nthWeekday; days a month lacks are skipped. */
function daysOfMonth(schedule: Schedule, year: number, month: number): number[] {
  const first = daysFromCivil(year, month, 1);
  const length = daysInMonth(year, month);
  const days: number[] = [];
  for (const monthDay of schedule.monthDays ?? []) {
    const day = monthDay > 0 ? monthDay : length + 1 + monthDay;
    if (day >= 1 && day <= length) days.push(first + day - 1);
  }
  const nth = schedule.nthWeekday;
  if (nth !== undefined) {
    const wanted = WEEKDAYS.indexOf(nth.weekday);
    if (nth.n > 0) {
      const day = 1 + modulo(wanted - weekdayOf(first), 7) + (nth.n - 1) * 7;
      if (day <= length) days.push(first + day - 1);
    } else {
      const last = first + length - 1;
      const day = length - modulo(weekdayOf(last) - wanted, 7) + (nth.n + 1) * 7;
      if (day >= 1) days.push(first + day - 1);
    }
  }
  return days;
}

interface Window {
  low: number;
  high: number;
  firstDay: number;
  lastDay: number;
  at: number;
  onWeekday: (day: number) => boolean;
}

function stepCandidates(schedule: Schedule, window: Window, out: number[]): void {
  const step = schedule.unit === "hour" ? schedule.every * 60 : schedule.every;
  const start = schedule.start === undefined ? undefined : parseLocalDateTime(schedule.start);
  if (start !== undefined) {
    for (let time = start + Math.max(0, Math.ceil((window.low - start) / step)) * step; time < window.high; time += step) {
      if (window.onWeekday(Math.floor(time / MINUTES_PER_DAY))) out.push(time);
    }
    return;
  }
  for (let day = window.firstDay; day <= window.lastDay; day++) {
    if (!window.onWeekday(day)) continue;
    for (let minute = window.at % step; minute < MINUTES_PER_DAY; minute += step) out.push(day * MINUTES_PER_DAY + minute);
  }
}

function dayCandidates(schedule: Schedule, window: Window, out: number[]): void {
  const isWeekly = schedule.unit === "week";
  const anchor = isWeekly ? weekOf(anchorDay(schedule)) : anchorDay(schedule);
  for (let day = window.firstDay; day <= window.lastDay; day++) {
    const count = isWeekly ? weekOf(day) - anchor : day - anchor;
    if (modulo(count, schedule.every) === 0 && window.onWeekday(day)) out.push(day * MINUTES_PER_DAY + window.at);
  }
}

function monthCandidates(schedule: Schedule, window: Window, out: number[]): void {
  const anchorDate = civilFromDays(anchorDay(schedule));
  const first = civilFromDays(window.firstDay);
  const last = civilFromDays(window.lastDay);
  for (let index = first.year * 12 + first.month - 1; index <= last.year * 12 + last.month - 1; index++) {
    const year = Math.floor(index / 12);
    const month = (index % 12) + 1;
    const isChosen =
      schedule.unit === "month"
        ? modulo(index - (anchorDate.year * 12 + anchorDate.month - 1), schedule.every) === 0
        : month === schedule.month && modulo(year - anchorDate.year, schedule.every) === 0;
    if (!isChosen) continue;
    for (const day of daysOfMonth(schedule, year, month)) if (window.onWeekday(day)) out.push(day * MINUTES_PER_DAY + window.at);
  }
}

/** Local minutes of every candidate of the schedule in [low, high), unsorted, unclipped by validity. */
function localCandidates(schedule: Schedule, low: number, high: number): number[] {
  const weekdays = schedule.weekdays?.map((weekday) => WEEKDAYS.indexOf(weekday));
  const window: Window = {
    low,
    high,
    firstDay: Math.floor(low / MINUTES_PER_DAY),
    lastDay: Math.floor(high / MINUTES_PER_DAY),
    at: parseTimeOfDay(schedule.at) ?? 0,
    onWeekday: (day) => weekdays === undefined || weekdays.includes(weekdayOf(day)),
  };
  const out: number[] = [];
  switch (schedule.unit) {
    case "once": {
      const start = schedule.start === undefined ? undefined : parseLocalDateTime(schedule.start);
      if (start !== undefined) out.push(start);
      break;
    }
    case "minute":
    case "hour":
      stepCandidates(schedule, window, out);
      break;
    case "day":
    case "week":
      dayCandidates(schedule, window, out);
      break;
    case "month":
    case "year":
      monthCandidates(schedule, window, out);
      break;
  }
  return out;
}

/** Instants (UTC minutes since 1970) at which `schedule` fires in [fromUtc, toUtc), ascending, distinct. */
export function scheduleTimes(schedule: Schedule, zone: Zone, fromUtc: number, toUtc: number): number[] {
  if (fromUtc >= toUtc) return [];
  const bounds = localBounds(schedule);
  // Local times map to instants at most a day apart, whatever the zone.
  const low = Math.max(fromUtc - 2 * MINUTES_PER_DAY, bounds.low);
  const high = Math.min(toUtc + 2 * MINUTES_PER_DAY, bounds.high + 1);
  if (low >= high) return [];
  const times: number[] = [];
  for (const local of localCandidates(schedule, low, high)) {
    if (local < bounds.low || local > bounds.high) continue;
    const instant = zone.toUtc(local);
    if (instant >= fromUtc && instant < toUtc) times.push(instant);
  }
  times.sort((a, b) => a - b);
  return times.filter((time, index) => index === 0 || times[index - 1] !== time);
}
