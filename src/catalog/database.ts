import Database from "better-sqlite3";
import { isReelError } from "../errors/index.js";
import { catalogError } from "./errors.js";
import { reasonOf } from "./driver-errors.js";
import { migrate, schemaVersion } from "./migrate.js";
import type { Migration } from "./migrations/migration.js";

/** PRAGMA application_id of a reel catalog: "reel" in ASCII. */
export const APPLICATION_ID = 0x7265656c;

/**
 * Opens (creating if needed) the SQLite file at `path`, checks that it is a reel catalog this
 * version can read, sets WAL, foreign keys and synchronous=NORMAL, and migrates it. One
 * connection per process: it is the catalog's only writer. Throws CATALOG_OPEN_FAILED,
 * CATALOG_TOO_NEW or CATALOG_MIGRATION_FAILED.
 */
export function openDatabase(path: string, migrations: readonly Migration[]): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(path, { timeout: 5000 });
  } catch (error) {
    throw catalogError("CATALOG_OPEN_FAILED", `Cannot open catalog "${path}": ${reasonOf(error)}`, { path }, error);
  }
  try {
    checkIdentity(db, path);
    configure(db, path);
    migrate(db, migrations, path);
    return db;
  } catch (error) {
    db.close();
    if (isReelError(error)) throw error;
    throw catalogError("CATALOG_OPEN_FAILED", `Cannot open catalog "${path}": ${reasonOf(error)}`, { path }, error);
  }
}

/** Refuses SQLite files that some other program made; stamps new files as reel catalogs. */
function checkIdentity(db: Database.Database, path: string): void {
  const applicationId = db.pragma("application_id", { simple: true }) as number;
  const version = schemaVersion(db);
  if (applicationId === APPLICATION_ID) return;
  const tables = db.prepare("SELECT count(*) FROM sqlite_schema").pluck().get() as number;
  if (applicationId !== 0 || version !== 0 || tables !== 0) {
    throw catalogError("CATALOG_OPEN_FAILED", `Cannot open catalog "${path}": it is an SQLite file of another program (application id ${applicationId})`, {
      path,
      applicationId,
    });
  }
  db.pragma(`application_id = ${APPLICATION_ID}`);
}

function configure(db: Database.Database, path: string): void {
  const mode = db.pragma("journal_mode = WAL", { simple: true }) as string;
  if (mode !== "wal" && !db.memory) {
    throw catalogError("CATALOG_OPEN_FAILED", `Cannot open catalog "${path}": the file system refused WAL mode (journal mode "${mode}")`, { path, mode });
  }
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  // 64 MiB of page cache: a file-index batch and the pages of a large directory stay in memory.
  db.pragma("cache_size = -65536");
  db.pragma("temp_store = MEMORY");
}
