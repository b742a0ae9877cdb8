import { checkCount, checkDay, checkOneOf, msOf } from "./checks.js";
import { catalogError } from "./errors.js";
import { idByName } from "./id-by-name.js";
import { dateOf, type Statements } from "./statements.js";
import { JOB_STATES, LEVELS, type Clock, type Job, type JobKind, type JobState, type Level } from "./types.js";

const JOB_SELECT = `SELECT j.id, j.kind, t.name AS task, c.name AS client, j.level, j.state, j.backup_day AS backupDay,
  j.saveset_id AS savesetId, j.started_at AS startedAt, j.ended_at AS endedAt, j.files, j.bytes, j.errors, j.message,
  j.created_at AS createdAt
  FROM jobs j LEFT JOIN tasks t ON t.id = j.task_id LEFT JOIN clients c ON c.id = j.client_id`;

interface JobRow extends Omit<Job, "startedAt" | "endedAt" | "createdAt"> {
  startedAt: number | null;
  endedAt: number | null;
  createdAt: number;
}

function jobOf(row: JobRow): Job {
  return { ...row, startedAt: dateOf(row.startedAt), endedAt: dateOf(row.endedAt), createdAt: dateOf(row.createdAt) };
}

export interface NewJob {
  kind: JobKind;
  task: string | null;
  client: string | null;
  level: Level | null;
  backupDay: string;
  savesetId?: number | null;
}

export type JobChange = Partial<{
  state: JobState;
  savesetId: number;
  startedAt: Date;
  endedAt: Date;
  files: number;
  bytes: number;
  errors: number;
  message: string;
}>;

/** Jobs: one backup or restore run, with its state, times and counts. */
export class JobStore {
  #sql: Statements;
  #clock: Clock;

  constructor(sql: Statements, clock: Clock) {
    this.#sql = sql;
    this.#clock = clock;
  }

  /** Queues a job. Throws CATALOG_NOT_FOUND for an unknown task, client or saveset. */
  addJob(j: NewJob): Job {
    checkOneOf("job kind", j.kind, ["backup", "restore", "command", "copy", "migration", "media"]);
    if (j.level !== null) checkOneOf("level", j.level, LEVELS);
    checkDay(j.backupDay);
    const purpose = `add a ${j.kind} job`;
    const taskId = j.task === null ? null : idByName(this.#sql, "tasks", j.task, purpose);
    const clientId = j.client === null ? null : idByName(this.#sql, "clients", j.client, purpose);
    const savesetId = j.savesetId ?? null;
    if (savesetId !== null) this.#requireSaveset(savesetId, purpose);
    const result = this.#sql
      .get("INSERT INTO jobs (kind, task_id, client_id, level, state, backup_day, saveset_id, created_at) VALUES (?, ?, ?, ?, 'queued', ?, ?, ?)")
      .run(j.kind, taskId, clientId, j.level, j.backupDay, savesetId, this.#clock.now().getTime());
    return this.getJob(Number(result.lastInsertRowid))!;
  }

  /** Changes a job's state, times and counts. Throws CATALOG_NOT_FOUND for an unknown job or saveset. */
  updateJob(id: number, change: JobChange): void {
    if (change.savesetId !== undefined) this.#requireSaveset(change.savesetId, `update job ${id}`);
    const columns = {
      state: change.state === undefined ? undefined : checkOneOf("job state", change.state, JOB_STATES),
      saveset_id: change.savesetId,
      started_at: change.startedAt === undefined ? undefined : msOf("start time", change.startedAt),
      ended_at: change.endedAt === undefined ? undefined : msOf("end time", change.endedAt),
      files: change.files === undefined ? undefined : checkCount("file count", change.files),
      bytes: change.bytes === undefined ? undefined : checkCount("byte count", change.bytes),
      errors: change.errors === undefined ? undefined : checkCount("error count", change.errors),
      message: change.message,
    };
    if (!this.#sql.updateById("jobs", id, columns)) throw catalogError("CATALOG_NOT_FOUND", `Cannot update job ${id}: no such job`, { jobId: id });
  }

  getJob(id: number): Job | null {
    const row = this.#sql.get<JobRow>(`${JOB_SELECT} WHERE j.id = ?`).get(id);
    return row === undefined ? null : jobOf(row);
  }

  /** Jobs, newest first. */
  listJobs(filter: { limit?: number; state?: JobState } = {}): Job[] {
    const limit = filter.limit === undefined ? -1 : checkCount("limit", filter.limit);
    return this.#sql
      .get<JobRow>(`${JOB_SELECT} WHERE (@state IS NULL OR j.state = @state) ORDER BY j.id DESC LIMIT @limit`)
      .all({ state: filter.state ?? null, limit })
      .map(jobOf);
  }

  #requireSaveset(id: number, purpose: string): void {
    if (this.#sql.get("SELECT 1 FROM savesets WHERE id = ?").get(id) === undefined) {
      throw catalogError("CATALOG_NOT_FOUND", `Cannot ${purpose}: no saveset ${id}`, { savesetId: id });
    }
  }
}
