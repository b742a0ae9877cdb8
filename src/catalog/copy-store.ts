import { checkCount, checkPositive } from "./checks.js";
import { catalogError } from "./errors.js";
import type { Statements } from "./statements.js";
import type { Clock, Copy, CopyExtent, CopySegment } from "./types.js";

export interface NewCopy {
  segments: CopySegment[];
  extents: CopyExtent[];
  /** The copy's own end of life (its pool's retention); absent: with its saveset. */
  endOfLife?: Date;
}

/** Copies of saveset streams on media: the segments of each copy and its block extents. */
export class CopyStore {
  #sql: Statements;
  #clock: Clock;

  constructor(sql: Statements, clock: Clock) {
    this.#sql = sql;
    this.#clock = clock;
  }

  /**
   * Records a copy of a saveset's stream; returns its id. Segments are kept in the order given,
   * extents by stream offset. Throws CATALOG_NOT_FOUND for an unknown saveset or medium,
   * CATALOG_INVALID for a block range that ends before it starts.
   */
  addCopy(savesetId: number, copy: NewCopy): number {
    const purpose = `record a copy of saveset ${savesetId}`;
    if (this.#sql.get("SELECT 1 FROM savesets WHERE id = ?").get(savesetId) === undefined) {
      throw catalogError("CATALOG_NOT_FOUND", `Cannot ${purpose}: no such saveset`, { savesetId });
    }
    for (const s of copy.segments) {
      this.#checkMedium(s.mediumId, purpose);
      checkCount("first block", s.firstBlock);
      checkCount("stream offset", s.streamOffset);
      if (!Number.isSafeInteger(s.lastBlock) || s.lastBlock < s.firstBlock) {
        throw catalogError("CATALOG_INVALID", `Cannot ${purpose}: segment on medium ${s.mediumId} ends at block ${s.lastBlock}, before its first block ${s.firstBlock}`, { savesetId, ...s });
      }
    }
    for (const e of copy.extents) {
      this.#checkMedium(e.mediumId, purpose);
      checkCount("first block", e.firstBlock);
      checkPositive("block count", e.blockCount);
      checkCount("stream offset", e.streamOffset);
    }
    return this.#sql.transaction(() => this.#insert(savesetId, copy));
  }

  /** The copies of a saveset, oldest first. */
  copiesOf(savesetId: number): Copy[] {
    const rows = this.#sql.get<{ id: number; endOfLife: number | null }>("SELECT id, end_of_life AS endOfLife FROM copies WHERE saveset_id = ? ORDER BY id").all(savesetId);
    return rows.map(({ id, endOfLife }) => ({
      id,
      savesetId,
      endOfLife: endOfLife === null ? null : new Date(endOfLife),
      segments: this.#sql
        .get<CopySegment>("SELECT medium_id AS mediumId, first_block AS firstBlock, last_block AS lastBlock, stream_offset AS streamOffset FROM copy_segments WHERE copy_id = ? ORDER BY seq")
        .all(id),
      extents: this.#sql
        .get<CopyExtent>("SELECT medium_id AS mediumId, first_block AS firstBlock, block_count AS blockCount, stream_offset AS streamOffset FROM copy_extents WHERE copy_id = ? ORDER BY stream_offset, seq")
        .all(id),
    }));
  }

  /** The ids of the savesets with a copy on the medium (by segment or extent), ascending. */
  savesetsOnMedium(mediumId: number): number[] {
    return this.#sql
      .pluck<number>(
        `SELECT saveset_id FROM copies WHERE id IN (SELECT copy_id FROM copy_segments WHERE medium_id = @medium UNION SELECT copy_id FROM copy_extents WHERE medium_id = @medium)
         GROUP BY saveset_id ORDER BY saveset_id`,
      )
      .all({ medium: mediumId });
  }

  /**
   * Copies past their own end of life at `now` whose saveset keeps another copy that is not: they
   * may be dropped (the last copy of a saveset goes with the saveset, never alone, so that what
   * a living incremental builds on stays readable).
   */
  expiredCopies(now: Date): Array<{ id: number; savesetId: number }> {
    return this.#sql
      .get<{ id: number; savesetId: number }>(
        `SELECT c.id, c.saveset_id AS savesetId FROM copies c
         WHERE c.end_of_life IS NOT NULL AND c.end_of_life <= @now
           AND EXISTS (SELECT 1 FROM copies o WHERE o.saveset_id = c.saveset_id AND o.id <> c.id AND (o.end_of_life IS NULL OR o.end_of_life > @now))
         ORDER BY c.id`,
      )
      .all({ now: now.getTime() });
  }

  /** Forgets one copy (after migration dropped it from its media). False when there is none. */
  deleteCopy(copyId: number): boolean {
    return this.#sql.get("DELETE FROM copies WHERE id = ?").run(copyId).changes > 0;
  }

  #insert(savesetId: number, copy: NewCopy): number {
    const copyId = Number(
      this.#sql.get("INSERT INTO copies (saveset_id, created_at, end_of_life) VALUES (?, ?, ?)").run(savesetId, this.#clock.now().getTime(), copy.endOfLife?.getTime() ?? null).lastInsertRowid,
    );
    const segment = this.#sql.get("INSERT INTO copy_segments (copy_id, seq, medium_id, first_block, last_block, stream_offset) VALUES (?, ?, ?, ?, ?, ?)");
    copy.segments.forEach((s, seq) => segment.run(copyId, seq, s.mediumId, s.firstBlock, s.lastBlock, s.streamOffset));
    const extent = this.#sql.get("INSERT INTO copy_extents (copy_id, stream_offset, seq, medium_id, first_block, block_count) VALUES (?, ?, ?, ?, ?, ?)");
    copy.extents.forEach((e, seq) => extent.run(copyId, e.streamOffset, seq, e.mediumId, e.firstBlock, e.blockCount));
    return copyId;
  }

  #checkMedium(mediumId: number, purpose: string): void {
    if (this.#sql.get("SELECT 1 FROM media WHERE id = ?").get(mediumId) === undefined) {
      throw catalogError("CATALOG_NOT_FOUND", `Cannot ${purpose}: no medium ${mediumId}`, { mediumId });
    }
  }
}
