/**
 * The server's calendar: the applied config (kept in the catalog), the daemon that starts jobs
 * from it (backup events start backup jobs; newday ends the backup day), the history of what it
 * did (kept in the catalog, so a restart neither repeats nor forgets), and the live sheet.
 */
import { apiError, parseInstant } from "../api/index.js";
import type { Catalog } from "../catalog/index.js";
import { isReelError } from "../errors/index.js";
import { backupDayAt, type CalendarConfig, CalendarDaemon, type CalendarEvent, type CalendarHistory, type Clock, type LiveOccurrence, type Occurrence, type OccurrenceRecord, validateConfig } from "../scheduler/index.js";
import { serverError } from "./errors.js";
import type { CopyJobs } from "./copy-jobs.js";
import type { EventBus } from "./events.js";
import type { Jobs } from "./jobs.js";
import { startMediaEvent } from "./media-events.js";
import type { MediaJobs } from "./media-jobs.js";
import type { MediaRecycler } from "./media-recycle.js";

const SETTING = "calendar.config";
const HISTORY = "calendar.history";
const KEEP_HISTORY_MS = 40 * 24 * 3600 * 1000;

/** The daemon's history in one catalog setting (records of the last 40 days). */
class CatalogHistory implements CalendarHistory {
  readonly #catalog: Catalog;
  readonly #clock: Clock;
  #records: OccurrenceRecord[];

  constructor(catalog: Catalog, clock: Clock) {
    this.#catalog = catalog;
    this.#clock = clock;
    const text = catalog.getSetting(HISTORY);
    this.#records = text === null ? [] : (JSON.parse(text) as OccurrenceRecord[]);
  }

  list(from: Date, to: Date): OccurrenceRecord[] {
    return this.#records.filter((r) => {
      const t = Date.parse(r.time);
      return t >= from.getTime() && t < to.getTime();
    });
  }

  record(r: OccurrenceRecord): void {
    const instant = Date.parse(r.time);
    const keep = this.#clock.now().getTime() - KEEP_HISTORY_MS;
    this.#records = [...this.#records.filter((x) => !(x.event === r.event && Date.parse(x.time) === instant) && Date.parse(x.time) >= keep), r];
    this.#catalog.setSetting(HISTORY, JSON.stringify(this.#records));
  }
}

export class ServerCalendar {
  readonly #catalog: Catalog;
  readonly #defaultTimeZone: string;
  readonly daemon: CalendarDaemon;

  constructor(o: { catalog: Catalog; jobs: Jobs; media: MediaRecycler; checks: MediaJobs; copies: CopyJobs; bus: EventBus; clock: Clock; defaultTimeZone: string; log: (line: string) => void }) {
    this.#catalog = o.catalog;
    this.#defaultTimeZone = o.defaultTimeZone;
    this.daemon = new CalendarDaemon({
      config: () => this.config(),
      clock: o.clock,
      history: new CatalogHistory(o.catalog, o.clock),
      log: o.log,
      launcher: {
        start: (occurrence, event) => Promise.resolve(event.type === "media" ? { job: startMediaEvent({ ...o, now: () => o.clock.now() }, event, o.jobs.backupDay()).id } : launch(o.jobs, o.copies, occurrence, event)),
        newday: async (ended, started) => {
          const aborted = o.jobs.abortDay(ended);
          const pruned = o.jobs.pruneExpired();
          // Catalog maintenance: fold the write-ahead log into the database file.
          o.catalog.checkpoint();
          o.log(`newday: backup day ${ended} ended (${aborted} job(s) aborted, ${pruned.savesets} expired saveset(s) and ${pruned.copies} expired copies forgotten), ${started} begins`);
          o.log(`newday: ${await o.media.recycle()} media recycled`);
        },
      },
    });
    // The daemon learns how the jobs it started ended.
    o.bus.subscribe((event) => {
      const state = event.job.state;
      if (state === "done" || state === "failed" || state === "aborted") this.daemon.jobEnded(event.job.id, state);
    });
  }

  config(): CalendarConfig {
    const text = this.#catalog.getSetting(SETTING);
    return text === null ? { timezone: this.#defaultTimeZone, schedules: [], events: [] } : (JSON.parse(text) as CalendarConfig);
  }

  /** The backup day `at` belongs to (between two newdays); the local date when no calendar is applied. */
  backupDay(at: Date): string {
    const config = this.config();
    return config.events.length > 0 ? backupDayAt(config, at).day : localDate(at);
  }

  /** Checks the whole config and stores it; a bad field is a 400 naming it, and nothing changes. */
  apply(raw: unknown): CalendarConfig {
    let config: CalendarConfig;
    try {
      config = validateConfig(raw, "body", { defaultTimeZone: this.#defaultTimeZone });
    } catch (error) {
      if (isReelError(error)) throw apiError("API_BAD_REQUEST", error.message, { ...error.details }, error);
      throw error;
    }
    this.#catalog.setSetting(SETTING, JSON.stringify(config));
    this.daemon.notify();
    return config;
  }

  /** The live sheet: the config's occurrences with what the daemon did to them. */
  sheet(fromText: string, toText: string): LiveOccurrence[] {
    const from = instant(fromText, "from");
    const to = instant(toText, "to");
    if (to.getTime() - from.getTime() > 400 * 24 * 3600 * 1000) throw apiError("API_BAD_REQUEST", "query/to: a sheet covers at most 400 days");
    return this.config().events.length === 0 ? [] : this.daemon.sheet(from, to);
  }
}

/**
 * Starts the job an occurrence asks for: backups, commands, and copies and migrations of a task's
 * live savesets not yet in the first pool of their route (`to`).
 */
function launch(jobs: Jobs, copies: CopyJobs, occurrence: Occurrence, event: CalendarEvent): { job: number } {
  if (event.type === "backup" && event.task !== undefined && event.level !== "copy") {
    return { job: jobs.startBackup({ task: event.task, ...(event.level === undefined ? {} : { level: event.level }) }).id };
  }
  if (event.type === "command" && event.command !== undefined) {
    return { job: jobs.startCommand({ client: event.client ?? "localhost", command: event.command }).id };
  }
  if ((event.type === "copy" || event.type === "migration") && event.task !== undefined) {
    const to = (event.to ?? "").split(",").map((p) => p.trim()).filter((p) => p !== "");
    if (to.length === 0) throw serverError("SERVER_JOB_FAILED", `Calendar event "${occurrence.event}" names no pool to ${event.type === "copy" ? "copy" : "migrate"} to: give it "to: POOL[,POOL]"`);
    return { job: copies.startCopy({ task: event.task, to, notCopiedTo: to[0]!, alive: true, move: event.type === "migration" }).id };
  }
  throw serverError("SERVER_JOB_FAILED", `Calendar event "${occurrence.event}" of type ${event.type} cannot be started by this server yet`);
}

function instant(text: string, field: string): Date {
  const date = parseInstant(text);
  if (date === null) throw apiError("API_BAD_REQUEST", `query/${field} "${text}" is not a date (2027-03-01) or an RFC 3339 time`);
  return date;
}

/** The machine's local date of `at` (YYYY-MM-DD): the backup day while no calendar is applied. */
export function localDate(at: Date): string {
  const pad = (n: number): string => String(n).padStart(2, "0");
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`;
}
