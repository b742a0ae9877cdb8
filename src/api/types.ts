/** Resource shapes as the API sends them (JSON: times are RFC 3339 strings, ids are numbers). */
export type Role = "admin" | "operator" | "viewer";
export type Level = "full" | "diff" | "incr";
export type JobState = "queued" | "running" | "done" | "failed" | "aborted";
export type SavesetStatus = "running" | "complete" | "incomplete" | "failed";
export type Overwrite = "always" | "never" | "older";

export interface Health { status: "ok"; version: string; time: string }

export interface ClientView { name: string; connected: boolean; lastSeen: string | null; createdAt: string }
export interface NodeView { name: string; connected: boolean; dataAddress: string | null; lastSeen: string | null; createdAt: string }
export interface PoolView { name: string; retentionDays: number; driveGroup: string; mediumSize: number }
export interface DriveView { name: string; node: string; kind: string; path: string; channels: number; driveGroup: string; options: Record<string, unknown> }
export interface MediumView { id: number; label: string; pool: string; drive: string; state: string; bytesWritten: number; blocks: number; endOfLife: string | null; createdAt: string }
export interface TaskView { name: string; client: string; paths: string[]; excludes: string[]; pool: string; compression: "none" | "zstd"; level: number; mirrors: string[] }

export interface JobView {
  id: number;
  kind: "backup" | "restore" | "command" | "copy" | "migration" | "media";
  task: string | null;
  client: string | null;
  level: Level | null;
  state: JobState;
  backupDay: string;
  saveset: number | null;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  files: number;
  bytes: number;
  errors: number;
  message: string | null;
}

/** One copy of a saveset; `endOfLife`: when newday may drop it (its pool's retention, or the saveset's). */
export interface CopyView { id: number; pool: string; drive: string; node: string; kind: string; media: string[]; blocks: number; endOfLife: string }
export interface SavesetView {
  id: number;
  uuid: string;
  task: string;
  client: string;
  level: Level;
  status: SavesetStatus;
  parent: number | null;
  backupDay: string;
  startedAt: string;
  endedAt: string | null;
  files: number;
  bytes: number;
  errors: number;
  endOfLife: string;
  encrypted: boolean;
}

/** One entry of a saveset's file index as of that saveset. */
export interface FileView {
  /** The name for people: UTF-8 where valid, `\xNN` escapes otherwise. */
  name: string;
  /** The stored path's raw bytes, base64 (names need not be UTF-8). */
  path64: string;
  /** The full stored path for people (no leading slash). */
  path: string;
  type: "file" | "directory" | "symlink" | "hardlink" | "fifo" | "char" | "block" | "socket" | "other";
  size: number;
  mode: number;
  mtime: string;
  /** The saveset of the chain whose stream holds the entry. */
  saveset: number;
}

/**
 * A directory's entries as one array per field (`GET /savesets/:id/files?form=columns`): entry i
 * is the i-th element of every array. Cheaper to write and to read than one FileView per entry
 * for a directory of 100,000.
 */
export interface FileColumns {
  /** The directory for people (no leading or trailing slash; "" for the root) and its raw bytes in base64. */
  dir: string;
  dir64: string;
  count: number;
  /** As FileView.name. */
  name: string[];
  /** The raw name in base64 where it is not printable ASCII; null where `name` is the name's bytes. */
  name64: Array<string | null>;
  type: Array<FileView["type"]>;
  size: number[];
  mode: number[];
  /** Milliseconds since the epoch (FileView.mtime is the same time as RFC 3339). */
  mtime: number[];
  saveset: number[];
}

/** A live job event (server-sent events on /api/v1/events). */
export interface JobEvent {
  job: JobView;
  /** Progress while running. */
  progress?: { files: number; bytes: number };
  /** A log line of the job. */
  log?: string;
}

export interface BackupRequest { task: string; level?: Level; client?: string; paths?: string[]; excludes?: string[]; pool?: string; compression?: "none" | "zstd"; compressionLevel?: number; wait?: boolean }
export interface RestoreRequest { saveset: number; target?: string; client?: string; paths?: string[]; inPlace?: boolean; overwrite?: Overwrite; wait?: boolean; pool?: string }
export interface TokenRequest { for: "node" | "client" | "api"; name?: string; role?: Role; ttlMinutes?: number }
export interface TokenCreated { token: string; for: "node" | "client" | "api"; expiresAt: string | null }
export interface EnrollRequest { token: string; kind: "node" | "client"; name: string; csr: string; dataAddress?: string }
export interface EnrollResponse { certPem: string; caPem: string; agentAddress: string }
export interface DriveRequest { name: string; node: string; kind: "dir" | "vtl" | "tape"; path: string; channels?: number; driveGroup?: string; options?: Record<string, unknown> }
export interface TaskRequest { name: string; client: string; paths: string[]; excludes?: string[]; pool?: string; mirrors?: string[]; compression?: "none" | "zstd"; level?: number }
export interface OccurrenceView { time: string; backupDay: string; event: string; type: string; priority: number; status: string; by?: string; job?: number }
/** A copy job's selection (all given filters apply) and its route of copy stages; `move` makes it a migration. */
export interface CopyRequest { savesets?: number[]; task?: string; pool?: string; since?: string; until?: string; notCopiedTo?: string; alive?: boolean; to: string[]; mode?: "multiplex" | "demux"; move?: boolean; wait?: boolean }
export interface CompactionRequest { pool: string; threshold?: number; wait?: boolean }
/** `POST /media/label`: `pool` and `drive` (and `count`, default 1) add empty media; `label` with `force: true` re-initialises one. */
export interface MediaLabelRequest { pool?: string; drive?: string; count?: number; label?: string; force?: boolean }
export interface PoolRequest { name: string; retentionDays?: number; driveGroup?: string; mediumSize?: number }
export interface MediaCheckRequest { label: string; wait?: boolean }
export interface MediaScanRequest { drive: string; labels?: string[]; wait?: boolean }
