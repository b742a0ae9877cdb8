// The ports of the calendar daemon: the clock, the history of what happened to occurrences, and
// the launcher that turns an occurrence into a job. The server implements them; tests fake them.
import type { CalendarEvent, EventType, Occurrence, OccurrenceStatus } from "../calendar/index.js";

/** Time, injected: the daemon never reads the real clock nor starts a timer itself. */
export interface Clock {
  now(): Date;
  /** Resolves at `time` (at once when it has passed); resolves or rejects early when `signal` aborts. */
  sleepUntil(time: Date, signal?: AbortSignal): Promise<void>;
}

/** What happened to an occurrence, from the server's history (docs/calendar.md §"The daemon"). */
export type RecordStatus = "running" | "done" | "failed" | "missed" | "aborted";

/** One occurrence the daemon acted on, keyed by `event` and the instant of `time`. */
export interface OccurrenceRecord {
  event: string;
  /** The occurrence's ISO time with offset (a start-now occurrence: the second it was started). */
  time: string;
  backupDay: string;
  status: RecordStatus;
  job?: number;
  /** The event's type and priority when the record was made (the sheet shows them for one-time rows). */
  type?: EventType;
  priority?: number;
  /** A one-time occurrence made by "start now" (reel start EVENT), not by a schedule. */
  oneTime?: boolean;
}

/** The daemon's memory, kept by the server (a catalog table) so that it survives a restart. */
export interface CalendarHistory {
  /** What already happened to occurrences whose time is in [from, to). */
  list(from: Date, to: Date): OccurrenceRecord[];
  /** Adds a record, or replaces the one with the same event and instant. */
  record(r: OccurrenceRecord): void;
}

/** Turns occurrences into work. */
export interface Launcher {
  /** Starts what an occurrence says (backup/command/media/copy/migration/restore); resolves with the job id once started. The job's end is reported later through CalendarDaemon.jobEnded. */
  start(occurrence: Occurrence, event: CalendarEvent): Promise<{ job: number }>;
  /** newday: backup day `ended` is over (abort its running jobs, expire savesets, close logs, catalog maintenance); `started` begins. */
  newday(ended: string, started: string): Promise<void>;
}

/** A row of the live sheet: the pure occurrence with the history's status (and job) overlaid. */
export type LiveOccurrence = Omit<Occurrence, "status"> & {
  status: OccurrenceStatus | RecordStatus;
  job?: number;
  oneTime?: boolean;
};

/** What one tick did. */
export interface TickResult {
  /** Occurrences started (and newdays done) by this tick. */
  started: Occurrence[];
  /** Due occurrences of an earlier backup day that never ran, now recorded `missed`. */
  missed: Occurrence[];
  /** Occurrences whose start failed (launcher error), recorded `failed`. */
  failed: Occurrence[];
  /** Blocking occurrences that became active, recorded `done`. */
  blocking: Occurrence[];
}
