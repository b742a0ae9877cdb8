/**
 * Records in the catalog where one stage wrote a stream, from that node's `stream.done`: the
 * copy's segments and extents on its volumes, and what those volumes now hold and until when.
 * Shared by backups (each stage of a task's route) and copy jobs (each copy stage).
 */
import type { Catalog } from "../catalog/index.js";
import type { StreamDone } from "../transfer/index.js";
import { serverError } from "./errors.js";

/** Adds the copy a node reported; returns its id, or null when nothing of the stream was written. */
export function recordCopy(catalog: Catalog, savesetId: number, done: StreamDone): number | null {
  if (done.segments.length === 0) return null;
  // Every extent lies in one of the segments' volumes: each is looked up once.
  const media = new Map(done.segments.map((s) => [s.label, catalog.getMedium(s.label)]));
  const idOf = (label: string): number => {
    const medium = media.get(label);
    if (medium === undefined || medium === null) throw serverError("SERVER_BAD_MESSAGE", `The node reported unknown volume "${label}"`);
    return medium.id;
  };
  // What the volumes hold now, and until when (the latest end of life of their savesets).
  const endOfLife = catalog.getSaveset(savesetId)?.endOfLife ?? null;
  for (const segment of done.segments) {
    const medium = media.get(segment.label);
    if (medium === undefined || medium === null) continue;
    const blocks = Math.max(medium.blocks, segment.lastBlock + 1);
    const later = endOfLife !== null && (medium.endOfLife === null || endOfLife > medium.endOfLife) ? { endOfLife } : {};
    catalog.updateMedium(medium.id, { blocks, bytesWritten: blocks * medium.blockSize, ...later });
  }
  return catalog.addCopy(savesetId, {
    segments: done.segments.map((s) => ({ mediumId: idOf(s.label), firstBlock: s.firstBlock, lastBlock: s.lastBlock, streamOffset: s.streamOffset })),
    extents: done.extents.map((e) => ({ mediumId: idOf(e.label), firstBlock: e.firstBlock, blockCount: e.blockCount, streamOffset: e.streamOffset })),
  });
}
