// An IANA time zone seen through Intl.DateTimeFormat: offsets of instants and the instant of a
// wall-clock time, with the DST rules of docs/calendar.md §"Time zones". Times are whole minutes.

const BUCKET_MINUTES = 15; // zone transitions fall on quarter hours

/** A time zone: converts between UTC minutes (since 1970) and local minutes (wall clock). */
export class Zone {
  readonly name: string;
  readonly #format: Intl.DateTimeFormat;
  readonly #offsets = new Map<number, number>();

  /** Throws a RangeError when `name` is not a time zone Intl knows. */
  constructor(name: string) {
    this.name = name;
    this.#format = new Intl.DateTimeFormat("en-US", {
      timeZone: name,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
    });
  }

  /** Offset from UTC in minutes in effect at `utcMinutes`. */
  offsetAt(utcMinutes: number): number {
    const bucket = Math.floor(utcMinutes / BUCKET_MINUTES);
    let offset = this.#offsets.get(bucket);
    if (offset === undefined) {
      offset = this.#computeOffset(bucket * BUCKET_MINUTES);
      this.#offsets.set(bucket, offset);
    }
    return offset;
  }

  /** Local wall-clock minutes of an instant. */
  toLocal(utcMinutes: number): number {
    return utcMinutes + this.offsetAt(utcMinutes);
  }

  /**
   * The instant of a wall-clock time. A time that occurs twice (fall back) gives the first
   * instant; a time that does not exist (spring forward) gives the first valid minute after it.
   */
  toUtc(localMinutes: number): number {
    const before = localMinutes - this.offsetAt(localMinutes - 1440);
    const after = localMinutes - this.offsetAt(localMinutes + 1440);
    const first = Math.min(before, after);
    if (this.toLocal(first) === localMinutes) return first;
    const second = Math.max(before, after);
    if (this.toLocal(second) === localMinutes) return second;
    // In a gap: the wall time lies between the last local minute before the transition and the
    // first one after; the answer is the transition instant, the first minute of the new offset.
    let low = first; // before the transition (old offset)
    let high = second; // after it
    if (this.offsetAt(low) === this.offsetAt(high)) return first; // not a gap after all; be safe
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if (this.offsetAt(middle) === this.offsetAt(low)) low = middle;
      else high = middle;
    }
    return high;
  }

  #computeOffset(utcMinutes: number): number {
    const parts = this.#format.formatToParts(new Date(utcMinutes * 60_000));
    const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((part) => part.type === type)?.value);
    const localMs = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"));
    return Math.round(localMs / 60_000 - utcMinutes);
  }
}
