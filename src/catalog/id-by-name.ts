import { catalogError } from "./errors.js";
import type { Statements } from "./statements.js";

export type NamedTable = "clients" | "nodes" | "pools" | "drives" | "tasks";

const WHAT: Record<NamedTable, string> = { clients: "client", nodes: "node", pools: "pool", drives: "drive", tasks: "task" };

/** The id of the record called `name`; throws CATALOG_NOT_FOUND saying what could not be done. */
export function idByName(sql: Statements, table: NamedTable, name: string, purpose: string): number {
  const id = sql.pluck<number>(`SELECT id FROM ${table} WHERE name = ?`).get(name);
  if (id === undefined) {
    const what = WHAT[table];
    throw catalogError("CATALOG_NOT_FOUND", `Cannot ${purpose}: no ${what} "${name}"`, { [what]: name });
  }
  return id;
}
