/** How often a tape drive positioned its head, and how much it read (VtlDrive.stats(), TapeDrive.stats()). */
export interface TapeStats {
  /** Tapes put into a drive (a tape already in a drive that another reader shares is not loaded again). */
  loads: number;
  /** Rewinds to the beginning of the tape to read a block before the head. */
  rewinds: number;
  /** Forward-space operations over blocks not wanted. */
  forwardSpaces: number;
  /** Blocks read by readBlocks() (the label read at load is not counted). */
  blocksRead: number;
}

export function emptyTapeStats(): TapeStats {
  return { loads: 0, rewinds: 0, forwardSpaces: 0, blocksRead: 0 };
}

/**
 * What a tape drive does to move its head from block `head` to block `first`: nothing when they
 * are equal (sequential reading), a forward space over the blocks between when `first` is ahead,
 * else a rewind and, unless `first` is 0, a forward space from the beginning of the tape.
 */
export function positioning(head: number, first: number): { isRewind: boolean; forwardBlocks: number } {
  if (first === head) return { isRewind: false, forwardBlocks: 0 };
  if (first > head) return { isRewind: false, forwardBlocks: first - head };
  return { isRewind: true, forwardBlocks: first };
}

/** Adds one positioning to the counters. */
export function countPositioning(stats: TapeStats, move: { isRewind: boolean; forwardBlocks: number }): void {
  if (move.isRewind) stats.rewinds++;
  if (move.forwardBlocks > 0) stats.forwardSpaces++;
}
