// An in-memory CalendarHistory: for tests, and for a server without a catalog table for it yet.
import type { CalendarHistory, OccurrenceRecord } from "./types.js";

/** The key of a record or an occurrence: its event and its instant (offsets may be written differently). */
export function occurrenceKey(item: { event: string; time: string }): string {
  return `${item.event}\u0000${Date.parse(item.time)}`;
}

function byTimeThenEvent(a: OccurrenceRecord, b: OccurrenceRecord): number {
  return Date.parse(a.time) - Date.parse(b.time) || (a.event < b.event ? -1 : a.event > b.event ? 1 : 0);
}

/** Keeps records in a Map keyed by event and instant; a record replaces the one with the same key. */
export class MemoryHistory implements CalendarHistory {
  readonly #records = new Map<string, OccurrenceRecord>();

  list(from: Date, to: Date): OccurrenceRecord[] {
    const low = from.getTime();
    const high = to.getTime();
    const out: OccurrenceRecord[] = [];
    for (const record of this.#records.values()) {
      const instant = Date.parse(record.time);
      if (instant >= low && instant < high) out.push({ ...record });
    }
    return out.sort(byTimeThenEvent);
  }

  record(r: OccurrenceRecord): void {
    this.#records.set(occurrenceKey(r), { ...r });
  }

  /** Every record, sorted by time then event. */
  all(): OccurrenceRecord[] {
    return [...this.#records.values()].map((record) => ({ ...record })).sort(byTimeThenEvent);
  }
}
