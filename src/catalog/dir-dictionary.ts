import type { Statements } from "./statements.js";
import { componentsOf } from "./stored-path.js";

/** The root directory's id: the dictionary's row for "". */
export const ROOT_DIR = 0;

/** One directory on the way down a path: its id, its parent's id and its name. */
export interface DirStep {
  id: number;
  parentId: number;
  name: Uint8Array;
}

/**
 * The dictionary of directory paths that file-index rows point into, shared by every saveset so
 * that a daily incremental stores no directory path again. A directory is one row (id, parent,
 * name); a parent always has a lower id than its children.
 */
export class DirDictionary {
  #sql: Statements;

  constructor(sql: Statements) {
    this.#sql = sql;
  }

  /** The id of the directory `name` under `parentId`, if the dictionary has it. */
  find(parentId: number, name: Uint8Array): number | undefined {
    return this.#sql.pluck<number>("SELECT id FROM dirs WHERE parent_id = ? AND name = ?").get(parentId, name);
  }

  /** The id of the directory `name` under `parentId`, added if new (call inside a transaction). */
  ensure(parentId: number, name: Uint8Array): number {
    const id = this.find(parentId, name);
    if (id !== undefined) return id;
    return Number(this.#sql.get("INSERT INTO dirs (parent_id, name) VALUES (?, ?)").run(parentId, name).lastInsertRowid);
  }

  /** The parent and name of a directory id. */
  entry(id: number): { parentId: number; name: Buffer } | undefined {
    return this.#sql.get<{ parentId: number; name: Buffer }>("SELECT parent_id AS parentId, name FROM dirs WHERE id = ?").get(id);
  }

  /** The steps from the root down to `dir` (none for the root), or null when the dictionary lacks one of them. */
  lookup(dir: Uint8Array): DirStep[] | null {
    const steps: DirStep[] = [];
    let id = ROOT_DIR;
    for (const name of componentsOf(dir)) {
      const next = this.find(id, name);
      if (next === undefined) return null;
      steps.push({ id: next, parentId: id, name });
      id = next;
    }
    return steps;
  }
}
