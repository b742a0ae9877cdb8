// The calendar's config (the `timezone`, `schedules` and `events` of reel.yaml) and its output.

export const UNITS = ["once", "minute", "hour", "day", "week", "month", "year"] as const;
/** How a schedule repeats. */
export type Unit = (typeof UNITS)[number];

export const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
/** A day of the week; its index in WEEKDAYS is the JavaScript weekday (0 = Sunday). */
export type Weekday = (typeof WEEKDAYS)[number];

export const EVENT_TYPES = ["backup", "restore", "media", "command", "copy", "migration", "newday"] as const;
/** What an event does. */
export type EventType = (typeof EVENT_TYPES)[number];

export const BACKUP_LEVELS = ["full", "diff", "incr", "copy"] as const;
export type BackupLevel = (typeof BACKUP_LEVELS)[number];

/** When: a schedule, as in docs/calendar.md §"Schedules". Defaults are filled in by validateConfig. */
export interface Schedule {
  name: string;
  unit: Unit;
  /** Repeat every N units; 1 by default. */
  every: number;
  /** Time of day "HH:MM" in the config's zone; "00:00" by default. */
  at: string;
  weekdays?: Weekday[];
  /** Days of the month, 1–31 or -1 (last) … -31. */
  monthDays?: number[];
  /** The nth weekday of the month; n = 1…5 or -1 (last) … -5. */
  nthWeekday?: { weekday: Weekday; n: number };
  /** Month 1–12 of a yearly schedule. */
  month?: number;
  /** "YYYY-MM-DD[THH:MM]" local: the time of a once schedule, the anchor of the others. */
  start?: string;
  /** Validity window, local "YYYY-MM-DD[THH:MM]", both ends included (a date alone: its whole day). */
  from?: string;
  until?: string;
  enabled: boolean;
}

/** What: an event, as in docs/calendar.md §"Events". */
export interface CalendarEvent {
  name: string;
  type: EventType;
  schedule: string;
  /** 0–99; 1 by default. 0 always runs and suppresses nothing. */
  priority: number;
  blocking: boolean;
  enabled: boolean;
  task?: string;
  level?: BackupLevel;
  drive?: string;
  driveGroup?: string;
  command?: string;
  client?: string;
  action?: string;
  /** Copy and migration events: the pools of the copy stages, "POOL[,POOL]". */
  to?: string;
}

/** The calendar part of reel.yaml, validated. */
export interface CalendarConfig {
  /** IANA time zone of every schedule. */
  timezone: string;
  schedules: Schedule[];
  events: CalendarEvent[];
}

/** Status of an occurrence computed from the config alone. */
export type OccurrenceStatus = "run" | "suppressed" | "blocking" | "disabled";

/** One occurrence of an event on the calendar sheet. */
export interface Occurrence {
  /** ISO 8601 in the config's zone with its offset: "2027-03-31T21:00:00+02:00". */
  time: string;
  /** "YYYY-MM-DD": the date on which the occurrence's backup day started. */
  backupDay: string;
  event: string;
  type: EventType;
  priority: number;
  status: OccurrenceStatus;
  /** The event that suppressed this one (status "suppressed" only). */
  by?: string;
}
