import type { FileColumns } from "../../api/index.js";

const DAY_MS = 86_400_000;

/** `reel ls` times: "YYYY-MM-DD HH:MM:SS" in UTC, the first 19 characters of the ISO time with a space for the T. */
export function listingTime(iso: string): string {
  return iso.replace("T", " ").slice(0, 19);
}

/** The text of a listing's lines, written as bytes: 100,000 lines made as strings keep the garbage collector busy longer than the rest of `reel ls`. */
class LineBytes {
  #buffer: Buffer;
  #length = 0;

  constructor(capacity: number) {
    this.#buffer = Buffer.allocUnsafe(capacity);
  }

  #room(bytes: number): Buffer {
    if (this.#length + bytes > this.#buffer.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, this.#length + bytes));
      this.#buffer.copy(bigger, 0, 0, this.#length);
      this.#buffer = bigger;
    }
    return this.#buffer;
  }

  /** Text, byte by byte while it is ASCII (cheaper than the native UTF-8 writer for short names). */
  text(text: string): void {
    const b = this.#room(text.length * 3);
    let at = this.#length;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) {
        this.#length += b.write(text, this.#length, "utf8");
        return;
      }
      b[at++] = c;
    }
    this.#length = at;
  }

  byte(code: number): void {
    this.#room(1)[this.#length++] = code;
  }

  /** A non-negative integer right-aligned in `width` characters (wider numbers are not cut). */
  number(n: number, width: number): void {
    const digits = String(n);
    const b = this.#room(width + digits.length);
    for (let pad = width - digits.length; pad > 0; pad--) b[this.#length++] = 0x20;
    for (let i = 0; i < digits.length; i++) b[this.#length++] = digits.charCodeAt(i);
  }

  /** Two digits of 0..99. */
  two(n: number): void {
    const b = this.#room(2);
    b[this.#length++] = 0x30 + Math.floor(n / 10);
    b[this.#length++] = 0x30 + (n % 10);
  }

  result(): Buffer {
    return this.#buffer.subarray(0, this.#length);
  }
}

/** listingTime of many millisecond times: the date made once per day, the time of day from digits. */
class ListingTimes {
  #day = Number.NaN;
  #prefix: string | null = null;

  write(out: LineBytes, ms: number): void {
    const day = Math.floor(ms / DAY_MS);
    if (day !== this.#day) {
      const date = listingTime(new Date(day * DAY_MS).toISOString());
      // Years of other than four digits (before 0 or after 9999) are cut elsewhere: done the slow way.
      this.#prefix = date.length === 19 && date.endsWith(" 00:00:00") ? date.slice(0, 11) : null;
      this.#day = day;
    }
    if (this.#prefix === null) return out.text(listingTime(new Date(ms).toISOString()));
    const seconds = Math.floor((ms - this.#day * DAY_MS) / 1000);
    const minutes = Math.floor(seconds / 60);
    out.text(this.#prefix);
    out.two(Math.floor(minutes / 60));
    out.byte(0x3a);
    out.two(minutes % 60);
    out.byte(0x3a);
    out.two(seconds % 60);
  }
}

const MODES = Array.from({ length: 0o10000 }, (_, m) => `${m.toString(8).padStart(4, "0")} `);
const TYPES = new Map<string, string>();

/** The lines of `reel ls` for a listing in columns: mode, type, size, mtime, name (directories end in a slash). */
export function fileLines(list: FileColumns): Buffer {
  const out = new LineBytes(list.count * 64 + 64);
  const times = new ListingTimes();
  for (let i = 0; i < list.count; i++) {
    const type = list.type[i]!;
    let shownType = TYPES.get(type);
    if (shownType === undefined) TYPES.set(type, (shownType = `${type.padEnd(9)} `));
    out.text(MODES[list.mode[i]! & 0o7777]!);
    out.text(shownType);
    out.number(list.size[i]!, 12);
    out.byte(0x20);
    times.write(out, list.mtime[i]!);
    out.byte(0x20);
    out.text(list.name[i]!);
    if (type === "directory") out.byte(0x2f);
    out.byte(0x0a);
  }
  return out.result();
}
