/** Catalog rows → the API's resource shapes (src/api/types.ts). */
import type { FileView, JobView, SavesetView } from "../api/index.js";
import type { BrowseRow, Job, Saveset } from "../catalog/index.js";
import { displayPath } from "../client/index.js";
import { entryTypeNames } from "../format/index.js";

/** A time for the API, or null. */
export const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString());

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

/** Printable ASCII without backslashes: shown as it is (the usual name, and the fast path). */
function isPlain(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b < 0x20 || b > 0x7e || b === 0x5c) return false;
  }
  return true;
}

function show(bytes: Uint8Array): string {
  return isPlain(bytes) ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1") : displayPath(bytes);
}

/** The views of one directory's rows; the directory's own part of each path is shown once. */
export function fileViews(rows: readonly BrowseRow[]): FileView[] {
  let dirBytes: Uint8Array | null = null;
  let dirShown = "";
  return rows.map((row) => {
    const slash = row.path.lastIndexOf(0x2f);
    const name = slash < 0 ? row.path : row.path.subarray(slash + 1);
    if (slash >= 0 && (dirBytes === null || dirBytes.length !== slash || !Buffer.from(row.path.buffer, row.path.byteOffset, slash).equals(dirBytes))) {
      dirBytes = row.path.slice(0, slash);
      dirShown = `${show(dirBytes)}/`;
    }
    const shownName = show(name);
    return {
      name: shownName, path64: Buffer.from(row.path.buffer, row.path.byteOffset, row.path.byteLength).toString("base64"), path: slash < 0 ? shownName : dirShown + shownName,
      type: TYPE_NAMES[entryTypeNames[row.type] ?? ""] ?? "other", size: row.size, mode: row.mode,
      mtime: new Date(Number(row.mtimeNs / 1000000n)).toISOString(), saveset: row.savesetId,
    };
  });
}
