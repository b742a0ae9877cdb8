import type Database from "better-sqlite3";
import { BugError } from "../errors/index.js";
import { catalogError } from "./errors.js";
import { reasonOf } from "./driver-errors.js";
import type { Migration } from "./migrations/migration.js";

/** The version a catalog has: PRAGMA user_version (0 for a new file). */
export function schemaVersion(db: Database.Database): number {
  return db.pragma("user_version", { simple: true }) as number;
}

/**
 * Brings the schema up to the last of `migrations`, each step in its own transaction (a failed
 * step leaves the catalog at the step before). Throws CATALOG_TOO_NEW for a catalog written by a
 * newer reel, CATALOG_MIGRATION_FAILED when a step fails. Returns the versions applied.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[], where: string): number[] {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new BugError(`migration "${m.name}" has version ${m.version}, expected ${i + 1}`);
  });
  const known = migrations.length;
  const current = schemaVersion(db);
  if (current > known) {
    throw catalogError(
      "CATALOG_TOO_NEW",
      `Cannot open catalog "${where}": its schema version ${current} is newer than this reel knows (${known}); use a newer reel`,
      { path: where, version: current, supported: known },
    );
  }
  const applied: number[] = [];
  for (const m of migrations.slice(current)) {
    try {
      db.transaction(() => {
        db.exec(m.sql);
        db.pragma(`user_version = ${m.version}`);
      }).immediate();
    } catch (error) {
      throw catalogError(
        "CATALOG_MIGRATION_FAILED",
        `Cannot migrate catalog "${where}" to schema version ${m.version} (${m.name}): ${reasonOf(error)}`,
        { path: where, version: m.version, from: current },
        error,
      );
    }
    applied.push(m.version);
  }
  return applied;
}
