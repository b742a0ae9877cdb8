import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { isReelError } from "../errors/index.js";
import { Catalog } from "./catalog.js";
import { driverError } from "./driver-errors.js";
import { APPLICATION_ID, openDatabase } from "./database.js";
import { migrate } from "./migrate.js";
import { MIGRATIONS } from "./migrations/list.js";
import type { Migration } from "./migrations/migration.js";
import { FakeClock, tempDir } from "./temp-catalog.js";

const clock = new FakeClock("2026-03-01T12:00:00Z");

function withDir(fn: (dir: string) => void): void {
  const dir = tempDir();
  try {
    fn(dir.path);
  } finally {
    dir.dispose();
  }
}

function raw(path: string): Database.Database {
  return new Database(path);
}

test("Catalog.open() creates a migrated WAL catalog with foreign keys on, and re-opens it with its data", () => {
  withDir((dir) => {
    const path = join(dir, "catalog.db");
    const catalog = Catalog.open(path, clock);
    catalog.setSetting("server.id", "s1");
    catalog.putClient({ name: "web1", certFingerprint: "ab:cd" });
    catalog.close();

    const db = raw(path);
    assert.equal(db.pragma("user_version", { simple: true }), MIGRATIONS.length);
    assert.equal(db.pragma("application_id", { simple: true }), APPLICATION_ID);
    assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
    db.close();

    const again = Catalog.open(path, clock);
    assert.equal(again.getSetting("server.id"), "s1");
    assert.equal(again.getClient("web1")?.certFingerprint, "ab:cd");
    again.close();
  });
});

test("openDatabase() sets foreign_keys=ON and synchronous=NORMAL on its connection", () => {
  withDir((dir) => {
    const db = openDatabase(join(dir, "catalog.db"), MIGRATIONS);
    assert.equal(db.pragma("foreign_keys", { simple: true }), 1);
    assert.equal(db.pragma("synchronous", { simple: true }), 1);
    db.close();
  });
});

test("Catalog.open() refuses a catalog whose schema is newer than this reel knows, and leaves it alone", () => {
  withDir((dir) => {
    const path = join(dir, "catalog.db");
    Catalog.open(path, clock).close();
    const db = raw(path);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    assert.throws(
      () => Catalog.open(path, clock),
      (error: unknown) => isReelError(error, "CATALOG_TOO_NEW") && error.details.version === MIGRATIONS.length + 1 && error.message.includes(path),
    );
    const after = raw(path);
    assert.equal(after.pragma("user_version", { simple: true }), MIGRATIONS.length + 1);
    after.close();
  });
});

test("Catalog.open() refuses files that are not reel catalogs", () => {
  withDir((dir) => {
    const text = join(dir, "notes.txt");
    writeFileSync(text, "this is not a database, it is a text file of some length ".repeat(200));
    assert.throws(() => Catalog.open(text, clock), (error: unknown) => isReelError(error, "CATALOG_OPEN_FAILED") && error.message.includes(text));

    const other = join(dir, "other.db");
    const db = raw(other);
    db.exec("CREATE TABLE t (x)");
    db.close();
    assert.throws(() => Catalog.open(other, clock), (error: unknown) => isReelError(error, "CATALOG_OPEN_FAILED") && /another program/.test(error.message));

    assert.throws(() => Catalog.open(join(dir, "missing", "catalog.db"), clock), (error: unknown) => isReelError(error, "CATALOG_OPEN_FAILED"));
  });
});

test("migrate() applies only the steps a catalog lacks, each in a transaction; a failing step leaves the version before it", () => {
  withDir((dir) => {
    const path = join(dir, "m.db");
    const one: Migration = { version: 1, name: "one", sql: "CREATE TABLE a (x INTEGER)" };
    const two: Migration = { version: 2, name: "two", sql: "CREATE TABLE b (y INTEGER); INSERT INTO a VALUES (2)" };
    const broken: Migration = { version: 3, name: "broken", sql: "CREATE TABLE c (z INTEGER); INSERT INTO nowhere VALUES (1)" };
    const db = raw(path);
    assert.deepEqual(migrate(db, [one], path), [1]);
    assert.deepEqual(migrate(db, [one], path), []);
    assert.deepEqual(migrate(db, [one, two], path), [2]);
    assert.throws(() => migrate(db, [one, two, broken], path), (error: unknown) => isReelError(error, "CATALOG_MIGRATION_FAILED") && error.details.version === 3);
    assert.equal(db.pragma("user_version", { simple: true }), 2);
    assert.equal(db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'c'").pluck().get(), 0);
    assert.deepEqual(db.prepare("SELECT x FROM a").pluck().all(), [2]);
    assert.throws(() => migrate(db, [one], path), (error: unknown) => isReelError(error, "CATALOG_TOO_NEW"));
    db.close();
  });
});

test("the schema's foreign keys hold: rows that point nowhere are refused by SQLite itself", () => {
  withDir((dir) => {
    const db = openDatabase(join(dir, "catalog.db"), MIGRATIONS);
    const fails = (sql: string): void => assert.throws(() => db.exec(sql), /FOREIGN KEY constraint failed/);
    fails("INSERT INTO tasks (name, client_id, pool_id, paths, excludes) VALUES ('t', 99, 99, '[]', '[]')");
    fails("INSERT INTO files VALUES (42, 0, x'61', 1, 0, 0, 0, 0, 0, 0, 0, 0)");
    fails("INSERT INTO dirs (parent_id, name) VALUES (77, x'61')");
    db.exec("INSERT INTO nodes (name, created_at) VALUES ('n', 0)");
    db.exec("INSERT INTO drives (name, node_id, kind, path, channels, drive_group) VALUES ('d', 1, 'dir', '/x', 1, 'g')");
    fails("DELETE FROM nodes");
    db.close();
  });
});

test("driverError() turns SQLite failures into catalog errors and passes everything else through", () => {
  const full = Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });
  const mapped = driverError(full, "add a job", "/var/reel/catalog.db");
  assert.ok(isReelError(mapped, "CATALOG_STORAGE_FAILED"));
  assert.equal(mapped.message, 'Cannot add a job in catalog "/var/reel/catalog.db": SQLITE_FULL: database or disk is full');
  const unique = Object.assign(new Error("UNIQUE constraint failed: media.label"), { code: "SQLITE_CONSTRAINT_UNIQUE" });
  assert.ok(isReelError(driverError(unique, "add medium", "x"), "CATALOG_CONFLICT"));
  const bug = new TypeError("not a function");
  assert.equal(driverError(bug, "x", "y"), bug);
});
