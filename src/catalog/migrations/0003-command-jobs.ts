import type { Migration } from "./migration.js";

/** Version 3: jobs may also be commands run on a client agent (calendar command events). */
export const commandJobs: Migration = {
  version: 3,
  name: "command jobs",
  sql: `
CREATE TABLE jobs_v3 (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL CHECK (kind IN ('backup', 'restore', 'command')),
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
INSERT INTO jobs_v3 SELECT id, kind, task_id, client_id, level, state, backup_day, saveset_id, started_at, ended_at, files, bytes, errors, message, created_at FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_v3 RENAME TO jobs;
CREATE INDEX jobs_by_state ON jobs (state);
CREATE INDEX jobs_by_task ON jobs (task_id);
CREATE INDEX jobs_by_client ON jobs (client_id);
CREATE INDEX jobs_by_saveset ON jobs (saveset_id);
`,
};
