/** One step of the catalog's schema: applied once, in a transaction, in version order. */
export interface Migration {
  /** The PRAGMA user_version after this step: 1, 2, 3 … without gaps. */
  version: number;
  name: string;
  sql: string;
}
