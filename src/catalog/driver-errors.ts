import { ReelError } from "../errors/index.js";
import { catalogError } from "./errors.js";

/** The SQLite result code of a better-sqlite3 error (SQLITE_FULL, say), if any. */
export function sqliteCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error && typeof error.code === "string" && error.code.startsWith("SQLITE_")
    ? error.code
    : undefined;
}

/** A short reason for a driver error: SQLITE_FULL: database or disk is full. */
export function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = sqliteCode(error);
  return code === undefined ? error.message : `${code}: ${error.message}`;
}

/**
 * The error to throw for a failure of the SQLite driver while trying to `purpose` ("add medium
 * "V00001""): ReelErrors and bugs pass unchanged, constraint failures become CATALOG_CONFLICT,
 * everything else (disk full, I/O error, locked, corrupt) CATALOG_STORAGE_FAILED.
 */
export function driverError(error: unknown, purpose: string, where: string): unknown {
  const code = sqliteCode(error);
  if (code === undefined || error instanceof ReelError) return error;
  if (code.startsWith("SQLITE_CONSTRAINT")) return catalogError("CATALOG_CONFLICT", `Cannot ${purpose}: ${reasonOf(error)}`, { sqlite: code }, error);
  return catalogError("CATALOG_STORAGE_FAILED", `Cannot ${purpose} in catalog "${where}": ${reasonOf(error)}`, { path: where, sqlite: code }, error);
}
