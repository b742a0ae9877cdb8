import type Database from "better-sqlite3";

/** Prepared statements by SQL text, prepared on first use and kept for the connection's life. */
export class Statements {
  readonly db: Database.Database;
  #cache = new Map<string, Database.Statement<unknown[], unknown>>();

  constructor(db: Database.Database) {
    this.db = db;
  }

  /** The statement for `sql`, typed with the row shape the caller selects. */
  get<Row = unknown>(sql: string): Database.Statement<unknown[], Row> {
    let statement = this.#cache.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.#cache.set(sql, statement);
    }
    return statement as Database.Statement<unknown[], Row>;
  }

  /**
   * Sets the given columns of the row with that id (undefined values are left alone); false when
   * there is no such row. Column names come from the caller's code, never from input.
   */
  updateById(table: string, id: number, columns: Record<string, unknown>): boolean {
    const names = Object.keys(columns).filter((name) => columns[name] !== undefined);
    if (names.length === 0) return this.get(`SELECT 1 FROM ${table} WHERE id = ?`).get(id) !== undefined;
    const values = names.map((name) => columns[name]);
    return this.get(`UPDATE ${table} SET ${names.map((name) => `${name} = ?`).join(", ")} WHERE id = ?`).run(...values, id).changes > 0;
  }

  /** Runs `fn` in a transaction (a savepoint when one is already open). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}

export function dateOf(ms: number): Date;
export function dateOf(ms: number | null): Date | null;
/** The Date of a stored millisecond time (null stays null). */
export function dateOf(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms);
}
