// validateConfig: unknown input (parsed YAML or JSON, or an API body) → a typed CalendarConfig, or
// one SCHEDULER_BAD_CONFIG error naming the field path. Nothing is partially accepted.
import { schedulerError } from "../errors.js";
import { parseLocalDateTime, parseTimeOfDay } from "./civil.js";
import { BACKUP_LEVELS, EVENT_TYPES, UNITS, WEEKDAYS, type CalendarConfig, type CalendarEvent, type EventType, type Schedule, type Weekday } from "./types.js";

/** A path to a field: ["events", 2, "priority"]. */
export type FieldPath = Array<string | number>;

/** "events[2].priority" */
export function formatFieldPath(path: FieldPath): string {
  return path.map((part, index) => (typeof part === "number" ? `[${part}]` : index === 0 ? part : `.${part}`)).join("");
}

/** Internal: carries a field problem up to validateConfig, which turns it into a ReelError. */
class FieldProblem extends Error {
  constructor(
    readonly path: FieldPath,
    readonly reason: string,
  ) {
    super(reason);
  }
}

function fail(path: FieldPath, reason: string): never {
  throw new FieldProblem(path, reason);
}

type Fields = Record<string, unknown>;

function object(value: unknown, path: FieldPath): Fields {
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(path, "must be a mapping");
  return value as Fields;
}

function list(value: unknown, path: FieldPath): unknown[] {
  if (!Array.isArray(value)) fail(path, "must be a list");
  return value;
}

function text(value: unknown, path: FieldPath): string {
  if (typeof value !== "string" || value.length === 0) fail(path, "must be a non-empty string");
  return value;
}

function name(value: unknown, path: FieldPath): string {
  const result = text(value, path);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(result)) fail(path, `must be letters, digits, ".", "_" or "-": got "${result}"`);
  return result;
}

function integer(value: unknown, path: FieldPath, low: number, high: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < low || value > high) fail(path, `must be an integer ${low}–${high}`);
  return value;
}

function flag(value: unknown, path: FieldPath): boolean {
  if (typeof value !== "boolean") fail(path, "must be true or false");
  return value;
}

function oneOf<T extends string>(value: unknown, path: FieldPath, allowed: readonly T[]): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) fail(path, `must be one of ${allowed.join(", ")}`);
  return value as T;
}

function onlyKnown(fields: Fields, path: FieldPath, known: readonly string[], what: string): void {
  for (const key of Object.keys(fields)) if (!known.includes(key)) fail([...path, key], `is not a field of ${what}`);
}

function localDateTime(value: unknown, path: FieldPath): string {
  const result = text(value, path);
  if (parseLocalDateTime(result) === undefined) fail(path, `must be a local date "YYYY-MM-DD" or date and time "YYYY-MM-DDTHH:MM": got "${result}"`);
  return result;
}

const SCHEDULE_FIELDS = ["name", "unit", "every", "at", "weekdays", "monthDays", "nthWeekday", "month", "start", "from", "until", "enabled"] as const;

function weekdayList(value: unknown, path: FieldPath): Weekday[] {
  const result = list(value, path).map((item, index) => oneOf(item, [...path, index], WEEKDAYS));
  if (result.length === 0) fail(path, "must name at least one weekday");
  return result;
}

function monthDayList(value: unknown, path: FieldPath): number[] {
  const result = list(value, path).map((item, index) => {
    const day = integer(item, [...path, index], -31, 31);
    if (day === 0) fail([...path, index], "must be 1–31 or -1 (last day) … -31");
    return day;
  });
  if (result.length === 0) fail(path, "must name at least one day");
  return result;
}

function nthWeekday(value: unknown, path: FieldPath): { weekday: Weekday; n: number } {
  const fields = object(value, path);
  onlyKnown(fields, path, ["weekday", "n"], "nthWeekday");
  const n = integer(fields.n, [...path, "n"], -5, 5);
  if (n === 0) fail([...path, "n"], "must be 1–5 or -1 (last) … -5");
  return { weekday: oneOf(fields.weekday, [...path, "weekday"], WEEKDAYS), n };
}

function schedule(value: unknown, path: FieldPath): Schedule {
  const fields = object(value, path);
  onlyKnown(fields, path, SCHEDULE_FIELDS, "a schedule");
  const at = fields.at === undefined ? "00:00" : text(fields.at, [...path, "at"]);
  if (parseTimeOfDay(at) === undefined) fail([...path, "at"], `must be a time of day "HH:MM" (00:00–23:59): got "${at}"`);
  const result: Schedule = {
    name: name(fields.name, [...path, "name"]),
    unit: oneOf(fields.unit, [...path, "unit"], UNITS),
    every: fields.every === undefined ? 1 : integer(fields.every, [...path, "every"], 1, 100_000),
    at,
    enabled: fields.enabled === undefined ? true : flag(fields.enabled, [...path, "enabled"]),
  };
  if (fields.weekdays !== undefined) result.weekdays = weekdayList(fields.weekdays, [...path, "weekdays"]);
  if (fields.monthDays !== undefined) result.monthDays = monthDayList(fields.monthDays, [...path, "monthDays"]);
  if (fields.nthWeekday !== undefined) result.nthWeekday = nthWeekday(fields.nthWeekday, [...path, "nthWeekday"]);
  if (fields.month !== undefined) result.month = integer(fields.month, [...path, "month"], 1, 12);
  for (const key of ["start", "from", "until"] as const) if (fields[key] !== undefined) result[key] = localDateTime(fields[key], [...path, key]);
  checkUnitFields(result, path);
  return result;
}

/** The fields each unit needs, and no fields it would silently ignore. */
function checkUnitFields(result: Schedule, path: FieldPath): void {
  const { unit } = result;
  if (unit === "once" && result.start === undefined) fail([...path, "start"], "is required for unit once");
  if (unit === "week" && result.weekdays === undefined) fail([...path, "weekdays"], "is required for unit week");
  if (unit === "year" && result.month === undefined) fail([...path, "month"], "is required for unit year");
  if (result.month !== undefined && unit !== "year") fail([...path, "month"], "is only for unit year");
  const byDay = unit === "month" || unit === "year";
  if (byDay && result.monthDays === undefined && result.nthWeekday === undefined) fail([...path, "monthDays"], `is required for unit ${unit} (or nthWeekday)`);
  if (!byDay && result.monthDays !== undefined) fail([...path, "monthDays"], "is only for units month and year");
  if (!byDay && result.nthWeekday !== undefined) fail([...path, "nthWeekday"], "is only for units month and year");
  if (unit === "once" && result.weekdays !== undefined) fail([...path, "weekdays"], "is not for unit once");
  const from = result.from === undefined ? undefined : parseLocalDateTime(result.from);
  const until = result.until === undefined ? undefined : parseLocalDateTime(result.until);
  if (from !== undefined && until !== undefined && until < from) fail([...path, "until"], "must not be before from");
}

const EVENT_FIELDS = ["name", "type", "schedule", "priority", "blocking", "enabled"] as const;
/** The fields of each event type beyond the common ones; the first group is required. */
const TYPE_FIELDS: Record<EventType, { required: string[]; optional: string[] }> = {
  backup: { required: ["task"], optional: ["level", "client"] },
  restore: { required: ["task"], optional: ["client"] },
  media: { required: [], optional: ["drive", "driveGroup", "action"] },
  command: { required: ["command", "client"], optional: [] },
  copy: { required: ["task"], optional: ["to"] },
  migration: { required: ["task"], optional: ["to"] },
  newday: { required: [], optional: [] },
};

function calendarEvent(value: unknown, path: FieldPath, scheduleNames: Set<string>): CalendarEvent {
  const fields = object(value, path);
  const type = oneOf(fields.type, [...path, "type"], EVENT_TYPES);
  const own = TYPE_FIELDS[type];
  onlyKnown(fields, path, [...EVENT_FIELDS, ...own.required, ...own.optional], `${type} events`);
  const result: CalendarEvent = {
    name: name(fields.name, [...path, "name"]),
    type,
    schedule: text(fields.schedule, [...path, "schedule"]),
    priority: fields.priority === undefined ? 1 : integer(fields.priority, [...path, "priority"], 0, 99),
    blocking: fields.blocking === undefined ? false : flag(fields.blocking, [...path, "blocking"]),
    enabled: fields.enabled === undefined ? true : flag(fields.enabled, [...path, "enabled"]),
  };
  if (!scheduleNames.has(result.schedule)) fail([...path, "schedule"], `names no schedule: "${result.schedule}"`);
  if (result.blocking && result.priority === 0) fail([...path, "blocking"], "needs a priority above 0 (priority 0 suppresses nothing)");
  for (const key of own.required) if (fields[key] === undefined) fail([...path, key], `is required for ${type} events`);
  for (const key of ["task", "drive", "driveGroup", "command", "client", "action", "to"] as const) {
    if (fields[key] !== undefined) result[key] = text(fields[key], [...path, key]);
  }
  if (fields.level !== undefined) result.level = oneOf(fields.level, [...path, "level"], BACKUP_LEVELS);
  if (type === "media" && (result.drive === undefined) === (result.driveGroup === undefined)) fail([...path, "drive"], "media events need exactly one of drive and driveGroup");
  return result;
}

function timezone(value: unknown, path: FieldPath): string {
  const result = text(value, path);
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: result });
  } catch {
    fail(path, `must be an IANA time zone such as "Europe/Berlin": got "${result}"`);
  }
  return result;
}

function uniqueNames(items: Array<{ name: string }>, key: string): void {
  const seen = new Set<string>();
  items.forEach((item, index) => {
    if (seen.has(item.name)) fail([key, index, "name"], `repeats the name "${item.name}"`);
    seen.add(item.name);
  });
}

function config(raw: unknown, defaultTimeZone: string): CalendarConfig {
  const fields = object(raw, []);
  const schedules = list(fields.schedules ?? [], ["schedules"]).map((item, index) => schedule(item, ["schedules", index]));
  uniqueNames(schedules, "schedules");
  const names = new Set(schedules.map((item) => item.name));
  const events = list(fields.events ?? [], ["events"]).map((item, index) => calendarEvent(item, ["events", index], names));
  uniqueNames(events, "events");
  const newdays = events.flatMap((event, index) => (event.type === "newday" ? [index] : []));
  if (newdays.length === 0) fail(["events"], "must hold exactly one newday event: found none");
  if (newdays.length > 1) fail(["events", newdays[1]!], "is a second newday event: there must be exactly one");
  return { timezone: fields.timezone === undefined ? defaultTimeZone : timezone(fields.timezone, ["timezone"]), schedules, events };
}

/**
 * Checks the calendar part of a config (`timezone`, `schedules`, `events`; other top-level keys
 * are left to their owners) and returns it typed, with defaults filled in. Throws one
 * SCHEDULER_BAD_CONFIG whose message reads `source: events[2].priority: must be an integer 0–99`
 * and whose details hold `path` (the field path as a list) and `field`.
 */
export function validateConfig(raw: unknown, source?: string, options: { defaultTimeZone?: string } = {}): CalendarConfig {
  try {
    return config(raw, options.defaultTimeZone ?? "UTC");
  } catch (error) {
    if (!(error instanceof FieldProblem)) throw error;
    const field = formatFieldPath(error.path);
    const where = `${source === undefined ? "" : `${source}: `}${field === "" ? "config" : field}`;
    throw schedulerError("SCHEDULER_BAD_CONFIG", `${where}: ${error.reason}`, {
      path: error.path,
      field,
      reason: error.reason,
      ...(source === undefined ? {} : { source }),
    });
  }
}
