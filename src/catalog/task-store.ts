import { checkName } from "./checks.js";
import { catalogError } from "./errors.js";
import { idByName } from "./id-by-name.js";
import type { Statements } from "./statements.js";
import type { Task } from "./types.js";

const TASK_SELECT = `SELECT t.id, t.name, c.name AS client, t.paths, t.excludes, p.name AS pool, t.compression, t.compression_level AS compressionLevel, t.mirror_pools AS mirrors
  FROM tasks t JOIN clients c ON c.id = t.client_id JOIN pools p ON p.id = t.pool_id`;

interface TaskRow extends Omit<Task, "paths" | "excludes" | "mirrors"> {
  paths: string;
  excludes: string;
  mirrors: string;
}

function taskOf(row: TaskRow): Task {
  return { ...row, paths: JSON.parse(row.paths) as string[], excludes: JSON.parse(row.excludes) as string[], mirrors: JSON.parse(row.mirrors) as string[] };
}

function checkStrings(what: string, task: string, values: string[]): string {
  if (!Array.isArray(values) || values.some((v) => typeof v !== "string" || v.length === 0)) {
    throw catalogError("CATALOG_INVALID", `Invalid ${what} of task "${task}": give a list of non-empty strings`, { task, what });
  }
  return JSON.stringify(values);
}

/** Tasks: what to back up (paths, excludes) of which client, into which pool. */
export class TaskStore {
  #sql: Statements;

  constructor(sql: Statements) {
    this.#sql = sql;
  }

  /** Adds a task or replaces the one with that name. Throws CATALOG_NOT_FOUND for an unknown client or pool. */
  putTask(t: { name: string; client: string; paths: string[]; excludes: string[]; pool: string; compression?: "none" | "zstd"; compressionLevel?: number; mirrors?: string[] }): Task {
    checkName("task", t.name);
    const paths = checkStrings("paths", t.name, t.paths);
    const excludes = checkStrings("excludes", t.name, t.excludes);
    const purpose = `save task "${t.name}"`;
    const clientId = idByName(this.#sql, "clients", t.client, purpose);
    const poolId = idByName(this.#sql, "pools", t.pool, purpose);
    const mirrors = t.mirrors ?? [];
    for (const pool of mirrors) idByName(this.#sql, "pools", pool, purpose);
    if (new Set([t.pool, ...mirrors]).size !== mirrors.length + 1) {
      throw catalogError("CATALOG_INVALID", `Invalid route of task "${t.name}": each pool may be a stage once (pool "${t.pool}", mirrors ${mirrors.map((m) => `"${m}"`).join(", ")})`, { task: t.name });
    }
    const compression = t.compression ?? "none";
    const level = t.compressionLevel ?? 3;
    if ((compression !== "none" && compression !== "zstd") || !Number.isInteger(level) || level < 1 || level > 19) {
      throw catalogError("CATALOG_INVALID", `Invalid compression of task "${t.name}": none, or zstd at a level from 1 to 19`, { task: t.name });
    }
    this.#sql
      .get(
        `INSERT INTO tasks (name, client_id, pool_id, paths, excludes, compression, compression_level, mirror_pools) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET client_id = excluded.client_id, pool_id = excluded.pool_id,
           paths = excluded.paths, excludes = excluded.excludes, compression = excluded.compression,
           compression_level = excluded.compression_level, mirror_pools = excluded.mirror_pools`,
      )
      .run(t.name, clientId, poolId, paths, excludes, compression, level, JSON.stringify(mirrors));
    return this.getTask(t.name)!;
  }

  getTask(name: string): Task | null {
    const row = this.#sql.get<TaskRow>(`${TASK_SELECT} WHERE t.name = ?`).get(name);
    return row === undefined ? null : taskOf(row);
  }

  listTasks(): Task[] {
    return this.#sql.get<TaskRow>(`${TASK_SELECT} ORDER BY t.name`).all().map(taskOf);
  }
}
