import type Database from "better-sqlite3";

/** Prepared statements by SQL text, prepared on first use and kept for the connection's life. */
export class Statements {
  readonly db: Database.Database;
  #cache = new Map<string, Database.Statement<unknown[], unknown>>();

  constructor(db: Database.Database) {
    this.db = db;
  }

  /** The statement for `sql`, typed with the row shape the caller selects; rows as objects. */
  get<Row = unknown>(sql: string): Database.Statement<unknown[], Row> {
    return this.#prepared<Row>("row", sql, (s) => s);
  }

  /** The statement for `sql` giving the first column's value instead of a row. */
  pluck<Value = unknown>(sql: string): Database.Statement<unknown[], Value> {
    return this.#prepared<Value>("pluck", sql, (s) => s.pluck());
  }

  /** The statement for `sql` giving rows as arrays of bigints (integers beyond 2^53 stay exact). */
  rawBig(sql: string): Database.Statement<unknown[], bigint[]> {
    return this.#prepared<bigint[]>("rawBig", sql, (s) => s.raw().safeIntegers());
  }

  /** A statement's mode is part of its cache key, so that one SQL text can serve in two modes. */
  #prepared<Row>(mode: string, sql: string, setUp: (s: Database.Statement<unknown[], unknown>) => Database.Statement<unknown[], unknown>): Database.Statement<unknown[], Row> {
    const key = `${mode}:${sql}`;
    let statement = this.#cache.get(key);
    if (statement === undefined) {
      statement = setUp(this.db.prepare(sql));
      this.#cache.set(key, statement);
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
