import { checkCount, checkDay, checkHex32, checkOneOf, msOf } from "./checks.js";
import { catalogError } from "./errors.js";
import { idByName } from "./id-by-name.js";
import { dateOf, type Statements } from "./statements.js";
import { LEVELS, SAVESET_STATUSES, type Clock, type Level, type Saveset, type SavesetStatus } from "./types.js";

const SAVESET_SELECT = `SELECT s.id, s.uuid, t.name AS task, c.name AS client, s.level, s.status, s.parent_id AS parentId,
  s.backup_day AS backupDay, s.started_at AS startedAt, s.ended_at AS endedAt, s.files, s.bytes, s.errors,
  s.end_of_life AS endOfLife, s.encrypted
  FROM savesets s JOIN tasks t ON t.id = s.task_id JOIN clients c ON c.id = s.client_id`;

interface SavesetRow extends Omit<Saveset, "startedAt" | "endedAt" | "endOfLife" | "encrypted"> {
  startedAt: number;
  endedAt: number | null;
  endOfLife: number;
  encrypted: number;
}

function savesetOf(row: SavesetRow): Saveset {
  return { ...row, startedAt: dateOf(row.startedAt), endedAt: dateOf(row.endedAt), endOfLife: dateOf(row.endOfLife), encrypted: row.encrypted === 1 };
}

/** Longest chain followed: far more incrementals than any schedule makes, and a stop for a damaged catalog. */
const MAX_CHAIN = 100_000;

export interface NewSaveset {
  uuid: string;
  task: string;
  client: string;
  level: Level;
  parentId: number | null;
  backupDay: string;
  endOfLife: Date;
  encrypted: boolean;
}

/** Savesets: one backup of one task, one stream; diffs and incrs name the saveset they build on. */
export class SavesetStore {
  #sql: Statements;
  #clock: Clock;

  constructor(sql: Statements, clock: Clock) {
    this.#sql = sql;
    this.#clock = clock;
  }

  /**
   * Records a running saveset started now. A full has no parent; a diff's parent is a full, an
   * incr's any saveset, of the same task. Throws CATALOG_NOT_FOUND, CATALOG_INVALID or
   * CATALOG_CONFLICT (the stream id is taken).
   */
  addSaveset(s: NewSaveset): Saveset {
    const uuid = checkHex32("stream id", s.uuid);
    checkOneOf("level", s.level, LEVELS);
    checkDay(s.backupDay);
    const endOfLife = msOf("end of life", s.endOfLife);
    const purpose = `add a ${s.level} saveset of task "${s.task}"`;
    const taskId = idByName(this.#sql, "tasks", s.task, purpose);
    const clientId = idByName(this.#sql, "clients", s.client, purpose);
    this.#checkParent(s, purpose);
    if (this.#sql.get("SELECT 1 FROM savesets WHERE uuid = ?").get(uuid) !== undefined) {
      throw catalogError("CATALOG_CONFLICT", `Cannot ${purpose}: stream id ${uuid} belongs to another saveset`, { uuid });
    }
    const result = this.#sql
      .get(
        `INSERT INTO savesets (uuid, task_id, client_id, level, status, parent_id, backup_day, started_at, end_of_life, encrypted)
         VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?, ?)`,
      )
      .run(uuid, taskId, clientId, s.level, s.parentId, s.backupDay, this.#clock.now().getTime(), endOfLife, s.encrypted ? 1 : 0);
    return this.getSaveset(Number(result.lastInsertRowid))!;
  }

  /** Ends a running saveset now with its outcome. Throws CATALOG_NOT_FOUND, or CATALOG_CONFLICT when it is not running. */
  finishSaveset(id: number, r: { status: SavesetStatus; files: number; bytes: number; errors?: number }): void {
    checkOneOf("saveset status", r.status, SAVESET_STATUSES);
    if (r.status === "running") throw catalogError("CATALOG_INVALID", `Cannot finish saveset ${id} as "running": give its final status`, { savesetId: id });
    const changes = this.#sql
      .get("UPDATE savesets SET status = ?, files = ?, bytes = ?, errors = ?, ended_at = ? WHERE id = ? AND status = 'running'")
      .run(r.status, checkCount("file count", r.files), checkCount("byte count", r.bytes), checkCount("error count", r.errors ?? 0), this.#clock.now().getTime(), id).changes;
    if (changes > 0) return;
    const current = this.getSaveset(id);
    if (current === null) throw catalogError("CATALOG_NOT_FOUND", `Cannot finish saveset ${id}: no such saveset`, { savesetId: id });
    throw catalogError("CATALOG_CONFLICT", `Cannot finish saveset ${id}: it is already ${current.status}`, { savesetId: id, status: current.status });
  }

  /** Moves a saveset's end of life later (a copy to a pool that keeps it longer); never earlier. */
  extendLife(id: number, endOfLife: Date): void {
    this.#sql.get("UPDATE savesets SET end_of_life = MAX(end_of_life, ?) WHERE id = ?").run(msOf("end of life", endOfLife), id);
  }

  getSaveset(idOrUuid: number | string): Saveset | null {
    const row =
      typeof idOrUuid === "number"
        ? this.#sql.get<SavesetRow>(`${SAVESET_SELECT} WHERE s.id = ?`).get(idOrUuid)
        : this.#sql.get<SavesetRow>(`${SAVESET_SELECT} WHERE s.uuid = ?`).get(idOrUuid.toLowerCase());
    return row === undefined ? null : savesetOf(row);
  }

  /** Savesets, newest first. */
  listSavesets(filter: { task?: string; status?: SavesetStatus; limit?: number } = {}): Saveset[] {
    const limit = filter.limit === undefined ? -1 : checkCount("limit", filter.limit);
    return this.#sql
      .get<SavesetRow>(`${SAVESET_SELECT} WHERE (@task IS NULL OR t.name = @task) AND (@status IS NULL OR s.status = @status) ORDER BY s.id DESC LIMIT @limit`)
      .all({ task: filter.task ?? null, status: filter.status ?? null, limit })
      .map(savesetOf);
  }

  /** The newest complete saveset of the task at one of `levels`, or null. */
  latestSaveset(task: string, levels: Level[]): Saveset | null {
    const wanted = levels.map((level) => checkOneOf("level", level, LEVELS));
    const row = this.#sql
      .get<SavesetRow>(`${SAVESET_SELECT} WHERE s.task_id = (SELECT id FROM tasks WHERE name = ?) AND s.status = 'complete'
         AND s.level IN (SELECT value FROM json_each(?)) ORDER BY s.id DESC LIMIT 1`)
      .get(task, JSON.stringify(wanted));
    return row === undefined ? null : savesetOf(row);
  }

  /** The saveset and those it builds on, oldest first: full, diff?, incr… ending with this one. */
  chainOf(savesetId: number): Saveset[] {
    return this.chainIds(savesetId).map((id) => this.getSaveset(id)!);
  }

  /** The ids of chainOf(savesetId), oldest first; each id is greater than the one before. Throws CATALOG_NOT_FOUND. */
  chainIds(savesetId: number): number[] {
    const ids = this.#sql
      .pluck<number>(
        `WITH RECURSIVE chain (id, parent_id, depth) AS (
           SELECT id, parent_id, 0 FROM savesets WHERE id = ?
           UNION ALL SELECT s.id, s.parent_id, chain.depth + 1 FROM savesets s JOIN chain ON s.id = chain.parent_id WHERE chain.depth < ?
         ) SELECT id FROM chain ORDER BY depth DESC`,
      )
      .all(savesetId, MAX_CHAIN);
    if (ids.length === 0) throw catalogError("CATALOG_NOT_FOUND", `Cannot read the chain of saveset ${savesetId}: no such saveset`, { savesetId });
    return ids;
  }

  /** Marks every running saveset incomplete, ended now (at server start, after a crash); returns how many. */
  markRunningSavesetsIncomplete(): number {
    return this.#sql.get("UPDATE savesets SET status = 'incomplete', ended_at = ? WHERE status = 'running'").run(this.#clock.now().getTime()).changes;
  }

  /**
   * Forgets a saveset with its copies and file index. Throws CATALOG_NOT_FOUND, or
   * CATALOG_CONFLICT while a diff or incr still builds on it (delete those first).
   */
  deleteSaveset(id: number): void {
    const child = this.#sql.pluck<number>("SELECT id FROM savesets WHERE parent_id = ? ORDER BY id LIMIT 1").get(id);
    if (child !== undefined) {
      throw catalogError("CATALOG_CONFLICT", `Cannot delete saveset ${id}: saveset ${child} builds on it, delete that first`, { savesetId: id, childId: child });
    }
    if (this.#sql.get("DELETE FROM savesets WHERE id = ?").run(id).changes === 0) {
      throw catalogError("CATALOG_NOT_FOUND", `Cannot delete saveset ${id}: no such saveset`, { savesetId: id });
    }
  }

  #checkParent(s: NewSaveset, purpose: string): void {
    if (s.level === "full") {
      if (s.parentId !== null) throw catalogError("CATALOG_INVALID", `Cannot ${purpose}: a full saveset builds on no other (parent ${s.parentId} given)`, { parentId: s.parentId });
      return;
    }
    if (s.parentId === null) throw catalogError("CATALOG_INVALID", `Cannot ${purpose}: a ${s.level} needs the saveset it builds on`, {});
    const parent = this.getSaveset(s.parentId);
    if (parent === null) throw catalogError("CATALOG_NOT_FOUND", `Cannot ${purpose}: no parent saveset ${s.parentId}`, { parentId: s.parentId });
    if (parent.task !== s.task) {
      throw catalogError("CATALOG_INVALID", `Cannot ${purpose}: parent saveset ${parent.id} belongs to task "${parent.task}"`, { parentId: parent.id, parentTask: parent.task });
    }
    if (s.level === "diff" && parent.level !== "full") {
      throw catalogError("CATALOG_INVALID", `Cannot ${purpose}: a diff builds on a full, saveset ${parent.id} is a ${parent.level}`, { parentId: parent.id });
    }
  }
}
