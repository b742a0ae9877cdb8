/** Catalog rows → the API's resource shapes (src/api/types.ts). */
import type { FileView, JobView, SavesetView } from "../api/index.js";
import type { BrowseRow, Job, Saveset } from "../catalog/index.js";
import { displayPath } from "../client/index.js";
import { entryTypeNames } from "../format/index.js";

const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString());

export function jobView(job: Job): JobView {
  return {
    id: job.id, kind: job.kind, task: job.task, client: job.client, level: job.level, state: job.state, backupDay: job.backupDay,
    saveset: job.savesetId, createdAt: job.createdAt.toISOString(), startedAt: iso(job.startedAt), endedAt: iso(job.endedAt),
    files: job.files, bytes: job.bytes, errors: job.errors, message: job.message,
  };
}

export function savesetView(s: Saveset): SavesetView {
  return {
    id: s.id, uuid: s.uuid, task: s.task, client: s.client, level: s.level, status: s.status, parent: s.parentId, backupDay: s.backupDay,
    startedAt: s.startedAt.toISOString(), endedAt: iso(s.endedAt), files: s.files, bytes: s.bytes, errors: s.errors,
    endOfLife: s.endOfLife.toISOString(), encrypted: s.encrypted,
  };
}

const TYPE_NAMES: Record<string, FileView["type"]> = { file: "file", directory: "directory", symlink: "symlink", hardlink: "hardlink", fifo: "fifo", chardev: "char", blockdev: "block" };

export function fileView(row: BrowseRow): FileView {
  const slash = row.path.lastIndexOf(0x2f);
  const name = slash < 0 ? row.path : row.path.subarray(slash + 1);
  const ms = Number(row.mtimeNs / 1000000n);
  return {
    name: displayPath(name), path64: Buffer.from(row.path).toString("base64"), path: displayPath(row.path),
    type: TYPE_NAMES[entryTypeNames[row.type] ?? ""] ?? "other", size: row.size, mode: row.mode,
    mtime: new Date(ms).toISOString(), saveset: row.savesetId,
  };
}
