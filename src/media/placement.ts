/** Where a stream lies on media, as the catalog keeps it. */
export interface StreamPlacement {
  /** Stream bytes written. */
  bytes: number;
  /** True when the stream's TRAILER was written (the stream is complete). */
  isComplete: boolean;
  /** One segment per volume the stream touched, in order (a stream spans volumes when one fills). */
  segments: { label: string; firstBlock: number; lastBlock: number; streamOffset: number }[];
  /** Runs of consecutive blocks of this stream (for seeking: which block holds stream offset X). */
  extents: { label: string; firstBlock: number; blockCount: number; streamOffset: number }[];
}

export type StreamExtent = StreamPlacement["extents"][number];

/** Builds a stream's placement block by block, in the order its blocks are placed. */
export class PlacementBuilder {
  readonly #segments: StreamPlacement["segments"] = [];
  readonly #extents: StreamExtent[] = [];
  #bytes = 0;

  /** A block of the stream: on volume `label`, number `block`, holding `payloadLength` bytes. */
  add(label: string, block: number, payloadLength: number): void {
    const streamOffset = this.#bytes;
    this.#bytes += payloadLength;
    const extent = this.#extents.at(-1);
    if (extent !== undefined && extent.label === label && extent.firstBlock + extent.blockCount === block) extent.blockCount++;
    else this.#extents.push({ label, firstBlock: block, blockCount: 1, streamOffset });
    const segment = this.#segments.at(-1);
    if (segment !== undefined && segment.label === label) segment.lastBlock = block;
    else this.#segments.push({ label, firstBlock: block, lastBlock: block, streamOffset });
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** A copy of the placement so far. */
  placement(isComplete: boolean): StreamPlacement {
    return {
      bytes: this.#bytes,
      isComplete,
      segments: this.#segments.map((segment) => ({ ...segment })),
      extents: this.#extents.map((extent) => ({ ...extent })),
    };
  }
}

/**
 * Merges extents of the same volume whose gap is at most `maxGapBlocks` blocks (of other
 * streams) into one, for a catalog that keeps fewer, coarser runs: a reader of coarse extents
 * reads the blocks in the gaps too and skips them by their header.
 */
export function coarsenExtents(extents: StreamExtent[], maxGapBlocks: number): StreamExtent[] {
  const coarse: StreamExtent[] = [];
  for (const extent of extents) {
    const last = coarse.at(-1);
    const gap = last === undefined ? -1 : extent.firstBlock - (last.firstBlock + last.blockCount);
    if (last !== undefined && last.label === extent.label && gap >= 0 && gap <= maxGapBlocks) last.blockCount = extent.firstBlock + extent.blockCount - last.firstBlock;
    else coarse.push({ ...extent });
  }
  return coarse;
}
