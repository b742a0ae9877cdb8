/**
 * @module scheduler/daemon
 * The calendar daemon: the loop that starts due occurrences of the pure calendar, with the Clock,
 * the history and the launcher passed in (no clock reads, no timers). Imports ../calendar and
 * src/errors only.
 */
export { CalendarDaemon, type CalendarDaemonOptions } from "./daemon.js";
export { daemonError, type DaemonErrorCode } from "./errors.js";
export { backupDayAt } from "./backup-day.js";
export { MemoryHistory } from "./history.js";
export { ManualClock } from "./manual-clock.js";
export type { CalendarHistory, Clock, Launcher, LiveOccurrence, OccurrenceRecord, RecordStatus, TickResult } from "./types.js";
