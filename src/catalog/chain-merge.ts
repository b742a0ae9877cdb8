import { EntryType } from "../format/index.js";
import type { BrowseRow } from "./types.js";

/*
 * The rules for reading a path "as of" a saveset whose chain is full → diff? → incr… (positions
 * 0, 1, 2 … oldest first):
 * 1. For each path, the row of the newest saveset of the chain that has one wins; a winning
 *    tombstone means the path is absent.
 * 2. A path's row at position p hides what older savesets recorded beneath that path when it is
 *    a tombstone, or a non-directory where the chain also has a directory (a directory deleted or
 *    replaced by a file). Rows under a directory come only from positions after the newest such
 *    row of the directory or of any directory above it (its "cutoff"). This holds whether the
 *    client recorded a tombstone for every path under a deleted directory or for the directory only.
 */

/** A row at a chain position. */
export interface Placed {
  position: number;
  row: BrowseRow;
}

/** The newest position whose row for this path hides older rows beneath it (rule 2), or -1. */
export function hidingPosition(rows: readonly Placed[]): number {
  let hasDirectory = false;
  for (const { row } of rows) if (!row.deleted && row.type === EntryType.directory) hasDirectory = true;
  let position = -1;
  for (const p of rows) {
    const hides = p.row.deleted || (hasDirectory && p.row.type !== EntryType.directory);
    if (hides && p.position > position) position = p.position;
  }
  return position;
}

/** The winning row of one path (rule 1), considering positions after `cutoff` only; null when absent. */
export function winnerOf(rows: readonly Placed[], cutoff: number): BrowseRow | null {
  let winner: Placed | null = null;
  for (const p of rows) if (p.position > cutoff && (winner === null || p.position > winner.position)) winner = p;
  return winner === null || winner.row.deleted ? null : winner.row;
}

/** Merges lists sorted by path, oldest position first; on equal paths the later list wins. Keeps tombstones. */
function mergeTwo(older: BrowseRow[], newer: BrowseRow[]): BrowseRow[] {
  const out: BrowseRow[] = [];
  let i = 0;
  let j = 0;
  while (i < older.length && j < newer.length) {
    const order = Buffer.compare(older[i]!.path, newer[j]!.path);
    if (order < 0) out.push(older[i++]!);
    else if (order > 0) out.push(newer[j++]!);
    else {
      out.push(newer[j++]!);
      i++;
    }
  }
  while (i < older.length) out.push(older[i++]!);
  while (j < newer.length) out.push(newer[j++]!);
  return out;
}

/** The live rows of one directory: `lists` holds each chain position's rows by path, oldest first. */
export function mergeNewest(lists: readonly BrowseRow[][]): BrowseRow[] {
  let merged: BrowseRow[] = [];
  for (const list of lists) merged = merged.length === 0 ? list : list.length === 0 ? merged : mergeTwo(merged, list);
  return merged.filter((row) => !row.deleted);
}
