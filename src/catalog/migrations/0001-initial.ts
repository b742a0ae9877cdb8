import type { Migration } from "./migration.js";

/**
 * The first schema. Times are INTEGER milliseconds since the epoch, except the file index's
 * nanoseconds. Names are unique per kind; records refer to each other by id.
 */
export const initial: Migration = {
  version: 1,
  name: "initial",
  sql: `
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
  token_hash BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  created_at INTEGER NOT NULL
);

CREATE TABLE enroll_tokens (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('node', 'client')),
  name TEXT,
  token_hash BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  expires_at INTEGER NOT NULL,
  used_at INTEGER,
  created_at INTEGER NOT NULL
);

CREATE TABLE clients (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  cert_fingerprint TEXT,
  created_at INTEGER NOT NULL,
  last_seen INTEGER
);

CREATE TABLE nodes (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  data_address TEXT,
  cert_fingerprint TEXT,
  created_at INTEGER NOT NULL,
  last_seen INTEGER
);

CREATE TABLE pools (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  retention_days INTEGER NOT NULL CHECK (retention_days >= 0),
  drive_group TEXT NOT NULL,
  medium_size INTEGER NOT NULL CHECK (medium_size > 0),
  next_label INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE drives (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  node_id INTEGER NOT NULL REFERENCES nodes (id),
  kind TEXT NOT NULL CHECK (kind IN ('dir', 'vtl', 'tape')),
  path TEXT NOT NULL,
  channels INTEGER NOT NULL CHECK (channels >= 1),
  drive_group TEXT NOT NULL
);
CREATE INDEX drives_by_node ON drives (node_id);

CREATE TABLE media (
  id INTEGER PRIMARY KEY,
  label TEXT NOT NULL UNIQUE,
  pool_id INTEGER NOT NULL REFERENCES pools (id),
  medium_id TEXT NOT NULL UNIQUE CHECK (length(medium_id) = 32),
  drive_id INTEGER NOT NULL REFERENCES drives (id),
  block_size INTEGER NOT NULL CHECK (block_size > 0),
  capacity INTEGER NOT NULL CHECK (capacity >= 0),
  state TEXT NOT NULL DEFAULT 'empty'
    CHECK (state IN ('empty', 'appendable', 'full', 'expired', 'error', 'read-only')),
  bytes_written INTEGER NOT NULL DEFAULT 0,
  blocks INTEGER NOT NULL DEFAULT 0,
  end_of_life INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX media_by_pool ON media (pool_id, state);
CREATE INDEX media_by_drive ON media (drive_id);

CREATE TABLE tasks (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  client_id INTEGER NOT NULL REFERENCES clients (id),
  pool_id INTEGER NOT NULL REFERENCES pools (id),
  paths TEXT NOT NULL CHECK (json_type(paths) = 'array'),
  excludes TEXT NOT NULL CHECK (json_type(excludes) = 'array')
);
CREATE INDEX tasks_by_client ON tasks (client_id);
CREATE INDEX tasks_by_pool ON tasks (pool_id);

CREATE TABLE savesets (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  uuid TEXT NOT NULL UNIQUE CHECK (length(uuid) = 32),
  task_id INTEGER NOT NULL REFERENCES tasks (id),
  client_id INTEGER NOT NULL REFERENCES clients (id),
  level TEXT NOT NULL CHECK (level IN ('full', 'diff', 'incr')),
  status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'incomplete', 'failed')),
  parent_id INTEGER REFERENCES savesets (id),
  backup_day TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at INTEGER,
  files INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0,
  errors INTEGER NOT NULL DEFAULT 0,
  end_of_life INTEGER NOT NULL,
  encrypted INTEGER NOT NULL CHECK (encrypted IN (0, 1)),
  CHECK ((level = 'full') = (parent_id IS NULL))
);
CREATE INDEX savesets_by_task ON savesets (task_id, status, id);
CREATE INDEX savesets_by_parent ON savesets (parent_id);
CREATE INDEX savesets_by_client ON savesets (client_id);
CREATE INDEX savesets_by_status ON savesets (status);

CREATE TABLE jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL CHECK (kind IN ('backup', 'restore')),
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
CREATE INDEX jobs_by_state ON jobs (state);
CREATE INDEX jobs_by_task ON jobs (task_id);
CREATE INDEX jobs_by_client ON jobs (client_id);
CREATE INDEX jobs_by_saveset ON jobs (saveset_id);

-- A copy of a saveset's stream; its segments say which media hold it, in stream order (a copy
-- may span media), its extents which block runs hold the stream's records.
CREATE TABLE copies (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  saveset_id INTEGER NOT NULL REFERENCES savesets (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL
);
CREATE INDEX copies_by_saveset ON copies (saveset_id);

CREATE TABLE copy_segments (
  copy_id INTEGER NOT NULL REFERENCES copies (id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  medium_id INTEGER NOT NULL REFERENCES media (id),
  first_block INTEGER NOT NULL CHECK (first_block >= 0),
  last_block INTEGER NOT NULL CHECK (last_block >= first_block),
  stream_offset INTEGER NOT NULL CHECK (stream_offset >= 0),
  PRIMARY KEY (copy_id, seq)
) WITHOUT ROWID;
CREATE INDEX copy_segments_by_medium ON copy_segments (medium_id);

CREATE TABLE copy_extents (
  copy_id INTEGER NOT NULL REFERENCES copies (id) ON DELETE CASCADE,
  stream_offset INTEGER NOT NULL CHECK (stream_offset >= 0),
  seq INTEGER NOT NULL,
  medium_id INTEGER NOT NULL REFERENCES media (id),
  first_block INTEGER NOT NULL CHECK (first_block >= 0),
  block_count INTEGER NOT NULL CHECK (block_count >= 1),
  PRIMARY KEY (copy_id, stream_offset, seq)
) WITHOUT ROWID;
CREATE INDEX copy_extents_by_medium ON copy_extents (medium_id);

-- The file index (docs/decisions/0004-catalog.md). dirs is a dictionary of directory paths shared
-- by all savesets: id 0 is the root (""), every other row names one component under its parent,
-- and a parent's id is always lower than its children's (parents are inserted first).
CREATE TABLE dirs (
  id INTEGER PRIMARY KEY,
  parent_id INTEGER NOT NULL REFERENCES dirs (id),
  name BLOB NOT NULL
);
CREATE UNIQUE INDEX dirs_by_parent ON dirs (parent_id, name);
INSERT INTO dirs (id, parent_id, name) VALUES (0, 0, x'');

-- One row per entry of a saveset: name is the last path component (raw bytes), ctime is kept as
-- its difference to mtime (usually 0, which SQLite stores in no bytes), deleted marks a tombstone.
CREATE TABLE files (
  saveset_id INTEGER NOT NULL REFERENCES savesets (id) ON DELETE CASCADE,
  dir_id INTEGER NOT NULL REFERENCES dirs (id),
  name BLOB NOT NULL,
  type INTEGER NOT NULL,
  size INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  ctime_delta INTEGER NOT NULL,
  inode INTEGER NOT NULL,
  mode INTEGER NOT NULL,
  chunk_offset INTEGER NOT NULL,
  item_offset INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  PRIMARY KEY (saveset_id, dir_id, name)
) WITHOUT ROWID;
`,
};
