// The calendar daemon (DESIGN §4, docs/calendar.md §"The daemon"): a thin loop around the pure
// calendar. Each tick starts the due `run` occurrences that the history does not know yet; the
// first tick after a (re)start catches up. Time comes from the injected Clock only.
import { occurrences, Zone, type CalendarConfig, type CalendarEvent, type Occurrence } from "../calendar/index.js";
import { backupDayAt, isoInZone } from "./backup-day.js";
import { daemonError } from "./errors.js";
import { occurrenceKey } from "./history.js";
import type { CalendarHistory, Clock, Launcher, LiveOccurrence, OccurrenceRecord, RecordStatus, TickResult } from "./types.js";

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

export interface CalendarDaemonOptions {
  /** The current validated calendar config; read at every tick (call notify() after a change). */
  config: () => CalendarConfig;
  clock: Clock;
  history: CalendarHistory;
  launcher: Launcher;
  log: (line: string) => void;
  /** The longest sleep between two ticks when nothing is scheduled (minutes; default 1440). */
  lookaheadMinutes?: number;
  /** How far back (days) the first tick looks for missed occurrences (default 7). */
  catchUpDays?: number;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function describe(occurrence: Occurrence): string {
  return `${occurrence.event} at ${occurrence.time} (backup day ${occurrence.backupDay})`;
}

function recordOf(occurrence: Occurrence, status: RecordStatus): OccurrenceRecord {
  return { event: occurrence.event, time: occurrence.time, backupDay: occurrence.backupDay, status, type: occurrence.type, priority: occurrence.priority };
}

export class CalendarDaemon {
  readonly #o: CalendarDaemonOptions;
  /** The `now` of the last tick: the next tick looks at occurrences from there on. */
  #checkedUntil: Date | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  /** Running jobs started by this daemon, by job id. */
  readonly #jobs = new Map<number, OccurrenceRecord>();
  /** Jobs reported ended while their start had not resolved yet. */
  readonly #endedEarly = new Map<number, "done" | "failed" | "aborted">();
  #startsInFlight = 0;
  #stopped = false;
  #wake: AbortController | undefined;
  #running: Promise<void> | undefined;

  constructor(o: CalendarDaemonOptions) {
    this.#o = o;
  }

  /** One step: acts on every due occurrence not yet in the history (see docs/calendar.md §"The daemon"). */
  tick(): Promise<TickResult> {
    return this.#serial(() => this.#tick());
  }

  /** Loops: tick, then sleep until the next occurrence to act on (or notify(), or stop()). */
  run(): Promise<void> {
    if (this.#running === undefined) {
      this.#stopped = false;
      this.#running = this.#loop();
    }
    return this.#running;
  }

  /** The config changed: recompute the next wake-up now. */
  notify(): void {
    this.#wake?.abort();
  }

  /** Ends run() after the tick in progress, if any. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.abort();
    try {
      await this.#running;
    } finally {
      this.#running = undefined;
    }
  }

  /** "Start now" (reel start EVENT): a one-time occurrence at now with the event's priority, recorded like any other. */
  startNow(eventName: string): Promise<{ job: number }> {
    return this.#serial(async () => {
      const config = this.#o.config();
      const event = config.events.find((item) => item.name === eventName);
      if (event === undefined) {
        throw daemonError("SCHEDULER_UNKNOWN_EVENT", `Cannot start event ${eventName}: the calendar has no event of that name`, { event: eventName });
      }
      if (event.type === "newday" || event.blocking) {
        const what = event.type === "newday" ? "the newday event" : "a blocking event, which does nothing itself";
        throw daemonError("SCHEDULER_NOT_STARTABLE", `Cannot start event ${eventName}: it is ${what}`, { event: eventName });
      }
      const occurrence = this.#oneTimeOccurrence(config, event);
      const record: OccurrenceRecord = { ...recordOf(occurrence, "running"), oneTime: true };
      this.#o.history.record(record);
      try {
        const { job } = await this.#launch(occurrence, event, record);
        this.#o.log(`calendar: started ${describe(occurrence)} now, as job ${job}`);
        return { job };
      } catch (error) {
        this.#o.history.record({ ...record, status: "failed" });
        this.#o.log(`calendar: ${describe(occurrence)} failed to start: ${messageOf(error)}`);
        throw error;
      }
    });
  }

  /** A job started by the daemon ended: its occurrence gets the job's status. */
  jobEnded(job: number, status: "done" | "failed" | "aborted"): void {
    const record = this.#jobs.get(job) ?? this.#findJob(job);
    if (record === undefined) {
      if (this.#startsInFlight > 0) this.#endedEarly.set(job, status);
      return;
    }
    this.#jobs.delete(job);
    this.#o.history.record({ ...record, status });
    this.#o.log(`calendar: ${record.event} at ${record.time}: job ${job} ${status}`);
  }

  /** The live sheet: the pure sheet with the history's statuses overlaid, plus the one-time (start-now) rows. */
  sheet(from: Date, to: Date): LiveOccurrence[] {
    const config = this.#o.config();
    const records = new Map(this.#o.history.list(from, to).map((record) => [occurrenceKey(record), record]));
    const rows: LiveOccurrence[] = occurrences(config, from, to).map((occurrence): LiveOccurrence => {
      const key = occurrenceKey(occurrence);
      const record = records.get(key);
      if (record === undefined) return occurrence;
      records.delete(key);
      // A blocking occurrence is recorded `done` when it became active; the sheet keeps saying `blocking`.
      if (occurrence.status === "blocking") return occurrence;
      return { ...occurrence, status: record.status, ...(record.job === undefined ? {} : { job: record.job }) };
    });
    const events = new Map(config.events.map((event) => [event.name, event]));
    for (const record of records.values()) {
      const type = record.type ?? events.get(record.event)?.type;
      if (type === undefined) continue;
      const row: LiveOccurrence = { time: record.time, backupDay: record.backupDay, event: record.event, type, priority: record.priority ?? events.get(record.event)?.priority ?? 1, status: record.status };
      if (record.job !== undefined) row.job = record.job;
      if (record.oneTime === true) row.oneTime = true;
      rows.push(row);
    }
    return rows.sort((a, b) => Date.parse(a.time) - Date.parse(b.time) || (a.event < b.event ? -1 : a.event > b.event ? 1 : 0));
  }

  #serial<T>(step: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(step);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #tick(): Promise<TickResult> {
    const result: TickResult = { started: [], missed: [], failed: [], blocking: [] };
    const config = this.#o.config();
    const now = this.#o.clock.now();
    const from = this.#checkedUntil ?? this.#catchUpFrom(config, now);
    const to = new Date(now.getTime() + 1); // due: time <= now
    if (from.getTime() < to.getTime()) {
      const seen = new Set(this.#o.history.list(from, to).map(occurrenceKey));
      const current = backupDayAt(config, now).day;
      const events = new Map(config.events.map((event) => [event.name, event]));
      for (const occurrence of occurrences(config, from, to)) {
        const event = events.get(occurrence.event);
        if (event === undefined || seen.has(occurrenceKey(occurrence))) continue;
        await this.#act(config, occurrence, event, current, result);
      }
    }
    this.#checkedUntil = now;
    return result;
  }

  /** Where the first tick after a (re)start begins: the last occurrence the history knows, else the start of the current backup day; at most catchUpDays back. */
  #catchUpFrom(config: CalendarConfig, now: Date): Date {
    const limit = now.getTime() - (this.#o.catchUpDays ?? 7) * DAY_MS;
    const records = this.#o.history.list(new Date(limit), new Date(now.getTime() + 1));
    let from = records.reduce((latest, record) => Math.max(latest, Date.parse(record.time)), -Infinity);
    if (from === -Infinity) from = backupDayAt(config, now).start?.getTime() ?? now.getTime() - DAY_MS;
    return new Date(Math.max(limit, from));
  }

  async #act(config: CalendarConfig, occurrence: Occurrence, event: CalendarEvent, current: string, result: TickResult): Promise<void> {
    switch (occurrence.status) {
      case "suppressed":
      case "disabled":
        return;
      case "blocking":
        this.#o.history.record(recordOf(occurrence, "done"));
        this.#o.log(`calendar: ${describe(occurrence)} is blocking: similar lower-priority events of its backup day do not run`);
        result.blocking.push(occurrence);
        return;
      case "run":
        break;
    }
    if (occurrence.backupDay !== current) {
      this.#o.history.record(recordOf(occurrence, "missed"));
      this.#o.log(`calendar: missed ${describe(occurrence)}: the server was not running then`);
      result.missed.push(occurrence);
      return;
    }
    const record = recordOf(occurrence, "running");
    this.#o.history.record(record);
    try {
      if (event.type === "newday") {
        const ended = backupDayAt(config, new Date(Date.parse(occurrence.time) - 1)).day;
        await this.#o.launcher.newday(ended, occurrence.backupDay);
        this.#o.history.record({ ...record, status: "done" });
        this.#o.log(`calendar: newday at ${occurrence.time}: backup day ${ended} ended, ${occurrence.backupDay} began`);
      } else {
        const { job } = await this.#launch(occurrence, event, record);
        this.#o.log(`calendar: started ${describe(occurrence)} as job ${job}`);
      }
      result.started.push(occurrence);
    } catch (error) {
      this.#o.history.record({ ...record, status: "failed" });
      this.#o.log(`calendar: ${describe(occurrence)} failed to start: ${messageOf(error)}`);
      result.failed.push(occurrence);
    }
  }

  /** Starts a job for an occurrence and records it running with its job id (or ended, if it already did). */
  async #launch(occurrence: Occurrence, event: CalendarEvent, record: OccurrenceRecord): Promise<{ job: number }> {
    this.#startsInFlight += 1;
    try {
      const { job } = await this.#o.launcher.start(occurrence, event);
      const running: OccurrenceRecord = { ...record, job };
      this.#o.history.record(running);
      this.#jobs.set(job, running);
      const ended = this.#endedEarly.get(job);
      if (ended !== undefined) {
        this.#endedEarly.delete(job);
        this.jobEnded(job, ended);
      }
      return { job };
    } finally {
      this.#startsInFlight -= 1;
      if (this.#startsInFlight === 0) this.#endedEarly.clear();
    }
  }

  /** A job started before a restart: found in the history of the last catchUpDays. */
  #findJob(job: number): OccurrenceRecord | undefined {
    const now = this.#o.clock.now().getTime();
    const records = this.#o.history.list(new Date(now - (this.#o.catchUpDays ?? 7) * DAY_MS), new Date(now + DAY_MS));
    return records.find((record) => record.job === job && record.status === "running");
  }

  /** The one-time occurrence of "start now": this second in the config's zone (a second later if taken). */
  #oneTimeOccurrence(config: CalendarConfig, event: CalendarEvent): Occurrence {
    const zone = new Zone(config.timezone);
    const now = this.#o.clock.now();
    let at = new Date(Math.floor(now.getTime() / 1000) * 1000);
    const taken = new Set(this.#o.history.list(at, new Date(at.getTime() + MINUTE_MS)).filter((record) => record.event === event.name).map((record) => Date.parse(record.time)));
    while (taken.has(at.getTime())) at = new Date(at.getTime() + 1000);
    return { time: isoInZone(zone, at), backupDay: backupDayAt(config, now).day, event: event.name, type: event.type, priority: event.priority, status: "run" };
  }

  async #loop(): Promise<void> {
    while (!this.#stopped) {
      const wake = new AbortController();
      this.#wake = wake;
      let until: Date;
      try {
        await this.tick();
        until = this.#nextWake();
      } catch (error) {
        this.#o.log(`calendar: tick failed: ${messageOf(error)}; trying again in a minute`);
        until = new Date(this.#o.clock.now().getTime() + MINUTE_MS);
      }
      if (this.#stopped || wake.signal.aborted) continue;
      try {
        await this.#o.clock.sleepUntil(until, wake.signal);
      } catch (error) {
        if (!wake.signal.aborted) throw error;
      }
    }
  }

  /** The time of the next occurrence to act on (run or blocking), at most lookaheadMinutes away. */
  #nextWake(): Date {
    const now = this.#o.clock.now().getTime();
    const horizon = new Date(now + (this.#o.lookaheadMinutes ?? 1440) * MINUTE_MS);
    const next = occurrences(this.#o.config(), new Date(now + 1), horizon).find((item) => item.status === "run" || item.status === "blocking");
    return next === undefined ? horizon : new Date(next.time);
  }
}
