/**
 * Records in the catalog where one stage wrote a stream, from that node's `stream.done`: the
 * copy's segments and extents on its volumes, and what those volumes now hold and until when.
 * Shared by backups (each stage of a task's route) and copy jobs (each copy stage).
 */
import type { Catalog } from "../catalog/index.js";
import type { StreamDone } from "../transfer/index.js";
import { serverError } from "./errors.js";

/** Milliseconds in a day: retention is counted in days. */
export const DAY_MS = 24 * 60 * 60 * 1000;

/** Adds the copy a node reported; returns its id, or null when nothing of the stream was written. */
export function recordCopy(catalog: Catalog, savesetId: number, done: StreamDone, since: Date): number | null {
  if (done.segments.length === 0) return null;
  // Every extent lies in one of the segments' volumes: each is looked up once.
  const media = new Map(done.segments.map((s) => [s.label, catalog.getMedium(s.label)]));
  const idOf = (label: string): number => {
    const medium = media.get(label);
    if (medium === undefined || medium === null) throw serverError("SERVER_BAD_MESSAGE", `The node reported unknown volume "${label}"`);
    return medium.id;
  };
  // The copy ends with the retention of the pool it was written to, counted from `since` (the
  // backup's start for the copies a backup writes, the copy job's time for later copies: as a
  // volume's retention counts from when it was written); a pool that keeps it beyond the
  // saveset's end of life so far extends that.
  const endOfLife = copyEndOfLife(catalog, savesetId, media.get(done.segments[0]!.label)?.pool ?? "", since);
  // What the volumes hold now, and until when (the latest end of life of their copies).
  for (const segment of done.segments) {
    const medium = media.get(segment.label);
    if (medium === undefined || medium === null) continue;
    const blocks = Math.max(medium.blocks, segment.lastBlock + 1);
    const later = endOfLife !== null && (medium.endOfLife === null || endOfLife > medium.endOfLife) ? { endOfLife } : {};
    catalog.updateMedium(medium.id, { blocks, bytesWritten: blocks * medium.blockSize, ...later });
  }
  return catalog.addCopy(savesetId, {
    ...(endOfLife === null ? {} : { endOfLife }),
    segments: done.segments.map((s) => ({ mediumId: idOf(s.label), firstBlock: s.firstBlock, lastBlock: s.lastBlock, streamOffset: s.streamOffset })),
    extents: done.extents.map((e) => ({ mediumId: idOf(e.label), firstBlock: e.firstBlock, blockCount: e.blockCount, streamOffset: e.streamOffset })),
  });
}

/** When a copy to pool `poolName` ends, counted from `since`; the saveset lives at least as long. */
function copyEndOfLife(catalog: Catalog, savesetId: number, poolName: string, since: Date): Date | null {
  const saveset = catalog.getSaveset(savesetId);
  if (saveset === null) return null;
  const pool = catalog.getPool(poolName);
  if (pool === null) return saveset.endOfLife;
  const endOfLife = new Date(since.getTime() + pool.retentionDays * DAY_MS);
  if (endOfLife > saveset.endOfLife) catalog.extendSavesetLife(savesetId, endOfLife);
  return endOfLife;
}
