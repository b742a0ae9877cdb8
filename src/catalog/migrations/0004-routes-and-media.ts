import type { Migration } from "./migration.js";

/**
 * Version 4: a task's route may name mirror pools (each written as the backup runs, by a drive of
 * its group); drives carry kind-specific options (a vtl's slots and tape size); jobs may also be
 * copy, migration and media jobs.
 */
export const routesAndMedia: Migration = {
  version: 4,
  name: "routes and media jobs",
  sql: `
ALTER TABLE tasks ADD COLUMN mirror_pools TEXT NOT NULL DEFAULT '[]' CHECK (json_type(mirror_pools) = 'array');
ALTER TABLE drives ADD COLUMN options TEXT NOT NULL DEFAULT '{}' CHECK (json_type(options) = 'object');
CREATE TABLE jobs_v4 (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL CHECK (kind IN ('backup', 'restore', 'command', 'copy', 'migration', 'media')),
  task_id INTEGER REFERENCES tasks (id),
  client_id INTEGER REFERENCES clients (id),
  level TEXT CHECK (level IN ('full', 'diff', 'incr')),
  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'aborted')),
  backup_day TEXT NOT NULL,
  saveset_id INTEGER REFERENCES savesets (id) ON DELETE SET NULL,
  started_at INTEGER,
  ended_at INTEGER,
  files INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0,
  errors INTEGER NOT NULL DEFAULT 0,
  message TEXT,
  created_at INTEGER NOT NULL
);
INSERT INTO jobs_v4 SELECT id, kind, task_id, client_id, level, state, backup_day, saveset_id, started_at, ended_at, files, bytes, errors, message, created_at FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_v4 RENAME TO jobs;
CREATE INDEX jobs_by_state ON jobs (state);
CREATE INDEX jobs_by_task ON jobs (task_id);
CREATE INDEX jobs_by_client ON jobs (client_id);
CREATE INDEX jobs_by_saveset ON jobs (saveset_id);
`,
};
