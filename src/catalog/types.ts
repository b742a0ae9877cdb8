/** The records the catalog stores, as plain objects: camelCase fields, times as Date, ids as numbers. */

/** Reads the time; only composition roots make one from the real clock (STYLE §2.3). */
export interface Clock {
  now(): Date;
}

export type Role = "admin" | "operator" | "viewer";
export type Level = "full" | "diff" | "incr";
export type SavesetStatus = "running" | "complete" | "incomplete" | "failed";
export type JobState = "queued" | "running" | "done" | "failed" | "aborted";
export type JobKind = "backup" | "restore" | "command" | "copy" | "migration" | "media";
export type DriveKind = "dir" | "vtl" | "tape";
export type EnrollKind = "node" | "client";
export type MediumState = "empty" | "appendable" | "full" | "expired" | "error" | "read-only";

export const ROLES: readonly Role[] = ["admin", "operator", "viewer"];
export const LEVELS: readonly Level[] = ["full", "diff", "incr"];
export const SAVESET_STATUSES: readonly SavesetStatus[] = ["running", "complete", "incomplete", "failed"];
export const JOB_STATES: readonly JobState[] = ["queued", "running", "done", "failed", "aborted"];
export const MEDIUM_STATES: readonly MediumState[] = ["empty", "appendable", "full", "expired", "error", "read-only"];

/**
 * One entry of a saveset's file index. `path` is raw bytes relative to "/" ("home/a/x"), `type`
 * an EntryType code of src/format, times in nanoseconds since the epoch. `chunkOffset` is the
 * stream offset of the CHUNK record holding the entry's ENTRY item, `itemOffset` the item's offset
 * in that chunk's plain body. `deleted` marks a tombstone: the path no longer existed at that backup.
 */
export interface FileRow {
  path: Uint8Array;
  type: number;
  size: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
  inode: number;
  mode: number;
  chunkOffset: number;
  itemOffset: number;
  deleted: boolean;
}

/** A file-index row as of a saveset, with the saveset of its chain it comes from. */
export interface BrowseRow extends FileRow {
  savesetId: number;
}

export interface Client {
  id: number;
  name: string;
  certFingerprint: string | null;
  createdAt: Date;
  lastSeen: Date | null;
}

export interface Node {
  id: number;
  name: string;
  dataAddress: string | null;
  certFingerprint: string | null;
  createdAt: Date;
  lastSeen: Date | null;
}

export interface Pool {
  id: number;
  name: string;
  retentionDays: number;
  driveGroup: string;
  mediumSize: number;
}

export interface Drive {
  id: number;
  name: string;
  node: string;
  kind: DriveKind;
  path: string;
  channels: number;
  driveGroup: string;
  /** Kind-specific settings (a vtl's slots, drives and tape size). */
  options: Record<string, unknown>;
}

export interface Medium {
  id: number;
  label: string;
  pool: string;
  /** The medium id of the label block, 32 lower-case hex digits. */
  mediumId: string;
  drive: string;
  blockSize: number;
  capacity: number;
  state: MediumState;
  bytesWritten: number;
  blocks: number;
  endOfLife: Date | null;
  createdAt: Date;
}

export interface Task {
  id: number;
  name: string;
  client: string;
  paths: string[];
  excludes: string[];
  pool: string;
  /** How the task's streams are compressed. */
  compression: "none" | "zstd";
  /** zstd level, 1–19. */
  compressionLevel: number;
  /** The mirror stages of the task's route, in chain order: pools written while the backup runs. */
  mirrors: string[];
}

export interface Job {
  id: number;
  kind: JobKind;
  task: string | null;
  client: string | null;
  level: Level | null;
  state: JobState;
  /** The backup day, "YYYY-MM-DD" (DESIGN §4). */
  backupDay: string;
  savesetId: number | null;
  startedAt: Date | null;
  endedAt: Date | null;
  files: number;
  bytes: number;
  errors: number;
  message: string | null;
  createdAt: Date;
}

export interface Saveset {
  id: number;
  /** The stream id, 32 lower-case hex digits. */
  uuid: string;
  task: string;
  client: string;
  level: Level;
  status: SavesetStatus;
  /** The saveset this diff or incr is based on; null for a full. */
  parentId: number | null;
  backupDay: string;
  startedAt: Date;
  endedAt: Date | null;
  files: number;
  bytes: number;
  errors: number;
  endOfLife: Date;
  encrypted: boolean;
}

/** A run of a copy's stream on one medium: blocks firstBlock..lastBlock, starting at streamOffset. */
export interface CopySegment {
  mediumId: number;
  firstBlock: number;
  lastBlock: number;
  streamOffset: number;
}

/** blockCount consecutive blocks of one medium holding this stream, the first at streamOffset. */
export interface CopyExtent {
  mediumId: number;
  firstBlock: number;
  blockCount: number;
  streamOffset: number;
}

/** Where one copy of a saveset's stream lies: segments (spanning media) and extents by stream offset. */
export interface Copy {
  id: number;
  savesetId: number;
  /** When this copy may be dropped (its pool's retention); null: with its saveset. */
  endOfLife: Date | null;
  segments: CopySegment[];
  extents: CopyExtent[];
}
