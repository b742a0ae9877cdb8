import type { ItemLocation, StreamLedger } from "../format/index.js";

/** One row of a saveset's file index, as the catalog keeps it: what a later incremental compares and where a restore seeks. */
export interface IndexedFile {
  /** The stored path (format.md §5.5): relative, no leading "/". */
  path: Uint8Array;
  /** Entry type (format.md §5.2); for a deletion, the type the path had in the base (0 if unknown). */
  type: number;
  /** The entry's size: a file's length (a hard link: its target's), otherwise 0. */
  size: number;
  /** Permission bits (0o7777). */
  mode: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
  inode: number;
  /** Stream offset of the CHUNK record that holds the ENTRY item (a deletion: its DELETED item, or its deleted ancestor's). */
  chunkOffset: number;
  /** Offset of that item in the chunk's plain body. */
  itemOffset: number;
  /** The path is gone since the base saveset (a tombstone); every number but the type is 0. */
  deleted: boolean;
  /** A hard link's target (so that a restore of the link can select its target too). */
  linkTarget?: Uint8Array;
}

/**
 * Rows waiting for their chunk to be sealed: a chunk's stream offset is known only then (the
 * ledger records it). Rows come in stream order, so they leave in the same order.
 */
export class PendingRows {
  readonly #ledger: StreamLedger;
  #rows: Array<{ row: IndexedFile; sequence: number }> = [];
  #head = 0;

  constructor(ledger: StreamLedger) {
    this.#ledger = ledger;
  }

  /** Adds a row whose item is at `at`; rows come in stream order (a deletion may point back at an earlier item). */
  add(row: IndexedFile, at: ItemLocation): void {
    row.itemOffset = at.itemOffset;
    this.#rows.push({ row, sequence: at.sequence });
  }

  /** True when at least `count` rows have their chunk sealed (the ready rows are a prefix: rows come in stream order). */
  hasReady(count: number): boolean {
    const row = this.#rows[this.#head + count - 1];
    return row !== undefined && row.sequence < this.#ledger.recordCount;
  }

  /** Takes the rows whose chunks are sealed, with their chunk offsets filled in. */
  take(): IndexedFile[] {
    const sealed = this.#ledger.recordCount;
    const out: IndexedFile[] = [];
    while (this.#head < this.#rows.length && this.#rows[this.#head]!.sequence < sealed) {
      const { row, sequence } = this.#rows[this.#head++]!;
      row.chunkOffset = this.#ledger.offsetOf(sequence);
      out.push(row);
    }
    if (this.#head === this.#rows.length) {
      this.#rows = [];
      this.#head = 0;
    }
    return out;
  }
}
