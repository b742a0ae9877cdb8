/** Catalog rows → the API's resource shapes (src/api/types.ts). */
import type { FileView, JobView, SavesetView } from "../api/index.js";
import type { BrowseRow, DirectoryListing, Job, Saveset } from "../catalog/index.js";
import { displayPath } from "../client/index.js";
import { EntryType, entryTypeNames } from "../format/index.js";
import { TextBytes } from "./text-bytes.js";

/** A time for the API, or null. */
export const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString());

export function jobView(job: Job): JobView {
  return {
    id: job.id, kind: job.kind, task: job.task, client: job.client, level: job.level, state: job.state, backupDay: job.backupDay,
    saveset: job.savesetId, createdAt: job.createdAt.toISOString(), startedAt: iso(job.startedAt), endedAt: iso(job.endedAt),
    files: job.files, bytes: job.bytes, errors: job.errors, message: job.message,
  };
}

export function savesetView(s: Saveset): SavesetView {
  return {
    id: s.id, uuid: s.uuid, task: s.task, client: s.client, level: s.level, status: s.status, parent: s.parentId, backupDay: s.backupDay,
    startedAt: s.startedAt.toISOString(), endedAt: iso(s.endedAt), files: s.files, bytes: s.bytes, errors: s.errors,
    endOfLife: s.endOfLife.toISOString(), encrypted: s.encrypted,
  };
}

const TYPE_NAMES: Record<string, FileView["type"]> = { file: "file", directory: "directory", symlink: "symlink", hardlink: "hardlink", fifo: "fifo", chardev: "char", blockdev: "block" };

/** Printable ASCII without backslashes: shown as it is (the usual name, and the fast path). */
function isPlain(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b < 0x20 || b > 0x7e || b === 0x5c) return false;
  }
  return true;
}

function show(bytes: Uint8Array): string {
  return isPlain(bytes) ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1") : displayPath(bytes);
}

/** The views of one directory's rows, one object per entry; the directory's own part of each path is shown once. The listing route writes the same text without the objects (fileViewsJson; views.test.ts holds the two to each other). */
export function fileViews(rows: readonly BrowseRow[]): FileView[] {
  let dirBytes: Uint8Array | null = null;
  let dirShown = "";
  return rows.map((row) => {
    const slash = row.path.lastIndexOf(0x2f);
    const name = slash < 0 ? row.path : row.path.subarray(slash + 1);
    if (slash >= 0 && (dirBytes === null || dirBytes.length !== slash || !Buffer.from(row.path.buffer, row.path.byteOffset, slash).equals(dirBytes))) {
      dirBytes = row.path.slice(0, slash);
      dirShown = `${show(dirBytes)}/`;
    }
    const shownName = show(name);
    return {
      name: shownName, path64: Buffer.from(row.path.buffer, row.path.byteOffset, row.path.byteLength).toString("base64"), path: slash < 0 ? shownName : dirShown + shownName,
      type: TYPE_NAMES[entryTypeNames[row.type] ?? ""] ?? "other", size: row.size, mode: row.mode,
      mtime: new Date(Number(row.mtimeNs / 1000000n)).toISOString(), saveset: row.savesetId,
    };
  });
}

const DAY_MS = 86_400_000;

/**
 * Writes many times, as `new Date(ms).toISOString()` or as `reel ls` shows them: the date part is
 * made once per day (by toISOString, so far years look the same), the time of day from digits.
 */
class IsoTimes {
  #day = Number.NaN;
  /** "YYYY-MM-DDT" of the day. */
  #prefix = "";
  /** "YYYY-MM-DD " of the day, as bytes. */
  #date = Buffer.alloc(0);

  #enter(ms: number): number {
    const day = Math.floor(ms / DAY_MS);
    if (day !== this.#day) {
      this.#prefix = new Date(day * DAY_MS).toISOString().slice(0, -13);
      this.#date = Buffer.from(`${this.#prefix.slice(0, -1)} `, "latin1");
      this.#day = day;
    }
    return ms - day * DAY_MS;
  }

  write(out: TextBytes, ms: number): void {
    let rest = this.#enter(ms);
    const milli = rest % 1000;
    rest = (rest - milli) / 1000;
    const second = rest % 60;
    rest = (rest - second) / 60;
    const minute = rest % 60;
    out.ascii(this.#prefix).two((rest - minute) / 60).byte(0x3a).two(minute).byte(0x3a).two(second).byte(0x2e).byte(0x30 + Math.floor(milli / 100)).two(milli % 100).byte(0x5a);
  }

  /** The time as `reel ls` shows it: the first 19 characters of the ISO time with a space for the T ("2026-01-31 23:59:59"). */
  writeSeconds(out: TextBytes, ms: number): void {
    const seconds = Math.floor(this.#enter(ms) / 1000);
    // Years of other than four digits (before 0, after 9999) are cut elsewhere: the slow way.
    if (this.#prefix.length !== 11) return void out.ascii(new Date(ms).toISOString().replace("T", " ").slice(0, 19));
    const minutes = Math.floor(seconds / 60);
    out.bytes(this.#date).two(Math.floor(minutes / 60)).byte(0x3a).two(minutes % 60).byte(0x3a).two(seconds % 60);
  }
}

/** TYPE_NAMES by EntryType value, padded as `reel ls` shows them ("file      "). */
const TYPE_LINE: Buffer[] = Array.from({ length: 256 }, (_, type) => Buffer.from(`${(TYPE_NAMES[entryTypeNames[type] ?? ""] ?? "other").padEnd(9)} `));

/** TYPE_NAMES by EntryType value, as JSON strings. */
const TYPE_JSON: Buffer[] = Array.from({ length: 256 }, (_, type) => Buffer.from(JSON.stringify(TYPE_NAMES[entryTypeNames[type] ?? ""] ?? "other")));

/** The keys of a FileView in JSON, with what comes between them, as bytes. */
const KEY = {
  name: Buffer.from('{"name":"'), nextName: Buffer.from(',{"name":"'), path64: Buffer.from(',"path64":"'), path: Buffer.from('","path":'), type: Buffer.from(',"type":'),
  size: Buffer.from(',"size":'), mode: Buffer.from(',"mode":'), mtime: Buffer.from(',"mtime":"'), saveset: Buffer.from('","saveset":'),
};

/** How names[start, end) is written: 0 escaped (not plain, see isPlain), 1 plain, 2 plain with a double quote. */
function plainness(names: Buffer, start: number, end: number): number {
  let kind = 1;
  for (let i = start; i < end; i++) {
    const b = names[i]!;
    if (b < 0x20 || b > 0x7e || b === 0x5c) return 0;
    if (b === 0x22) kind = 2;
  }
  return kind;
}

/** The JSON string of entry i's display name without its opening quote: a plain name is copied as it is. */
function writeNameRest(out: TextBytes, listing: DirectoryListing, i: number): void {
  const { names, nameStart } = listing;
  const start = nameStart[i]!;
  const end = nameStart[i + 1]!;
  const kind = plainness(names, start, end);
  if (kind === 1) out.bytes(names, start, end).byte(0x22);
  else out.utf8(JSON.stringify(kind === 2 ? names.toString("latin1", start, end) : displayPath(names.subarray(start, end))).slice(1));
}

/**
 * The text of `JSON.stringify(fileViews(rows))` for a listing, written without an object or a
 * string per entry (the default answer of `GET /savesets/:id/files`).
 */
export function fileViewsJson(listing: DirectoryListing): Buffer {
  const { dir, names, nameStart } = listing;
  const out = new TextBytes(listing.count * 200 + 64);
  // The path of each entry is the directory, a slash and the name: the first part made once.
  let longest = 0;
  for (let i = 0; i < listing.count; i++) longest = Math.max(longest, nameStart[i + 1]! - nameStart[i]!);
  const path = Buffer.allocUnsafe(dir.length + 1 + longest);
  path.set(dir, 0);
  path[dir.length] = 0x2f;
  const nameAt = dir.length === 0 ? 0 : dir.length + 1;
  const dirJson = Buffer.from(dir.length === 0 ? "" : JSON.stringify(`${show(dir)}/`).slice(0, -1));
  const times = new IsoTimes();
  out.byte(0x5b);
  for (let i = 0; i < listing.count; i++) {
    const start = nameStart[i]!;
    const end = nameStart[i + 1]!;
    for (let from = start, to = nameAt; from < end; from++, to++) path[to] = names[from]!;
    out.bytes(i === 0 ? KEY.name : KEY.nextName);
    writeNameRest(out, listing, i);
    out.bytes(KEY.path64).base64(path, 0, nameAt + end - start).bytes(KEY.path);
    if (dir.length === 0) out.byte(0x22);
    else out.bytes(dirJson);
    writeNameRest(out, listing, i);
    out.bytes(KEY.type).bytes(TYPE_JSON[listing.type[i]!]!).bytes(KEY.size).int(listing.size[i]!).bytes(KEY.mode).int(listing.mode[i]!).bytes(KEY.mtime);
    times.write(out, listing.mtimeMs[i]!);
    out.bytes(KEY.saveset).int(listing.savesetId[i]!).byte(0x7d);
  }
  return out.byte(0x5d).result();
}

/**
 * The columns form of a listing (`?form=columns`): the directory once, then one array per field.
 * `name64` holds the raw name in base64 where it is not printable ASCII (null for the others);
 * `mtime` is in milliseconds since the epoch.
 */
export function fileColumnsJson(listing: DirectoryListing): Buffer {
  const { dir, names, nameStart, count } = listing;
  const out = new TextBytes(count * 60 + 64);
  out.ascii('{"dir":').utf8(JSON.stringify(show(dir))).ascii(',"dir64":"').base64(Buffer.from(dir.buffer, dir.byteOffset, dir.byteLength), 0, dir.byteLength).ascii('","count":').int(count);
  out.ascii(',"name":[');
  for (let i = 0; i < count; i++) {
    out.ascii(i === 0 ? '"' : ',"');
    writeNameRest(out, listing, i);
  }
  out.ascii('],"name64":[');
  for (let i = 0; i < count; i++) {
    if (i > 0) out.byte(0x2c);
    if (plainness(names, nameStart[i]!, nameStart[i + 1]!) !== 0) out.ascii("null");
    else out.byte(0x22).base64(names, nameStart[i]!, nameStart[i + 1]!).byte(0x22);
  }
  out.ascii('],"type":[');
  for (let i = 0; i < count; i++) {
    if (i > 0) out.byte(0x2c);
    out.bytes(TYPE_JSON[listing.type[i]!]!);
  }
  const numbers = (key: string, column: ArrayLike<number>): void => {
    out.ascii(`],"${key}":[`);
    for (let i = 0; i < count; i++) {
      if (i > 0) out.byte(0x2c);
      out.int(column[i]!);
    }
  };
  numbers("size", listing.size);
  numbers("mode", listing.mode);
  numbers("mtime", listing.mtimeMs);
  numbers("saveset", listing.savesetId);
  return out.ascii("]}").result();
}

/**
 * The text form of a listing (`?form=text`), the lines `reel ls` prints: permission bits in four
 * octal digits, type, size, mtime in UTC to the second, name (directories end in a slash). The
 * command passes them through as they come: no parsing and no formatting on its side.
 */
export function fileLinesText(listing: DirectoryListing): Buffer {
  const { names, nameStart, count } = listing;
  const out = new TextBytes(count * 80 + 64);
  const times = new IsoTimes();
  for (let i = 0; i < count; i++) {
    const mode = listing.mode[i]!;
    const type = listing.type[i]!;
    out.byte(0x30 + ((mode >>> 9) & 7)).byte(0x30 + ((mode >>> 6) & 7)).byte(0x30 + ((mode >>> 3) & 7)).byte(0x30 + (mode & 7)).byte(0x20);
    out.bytes(TYPE_LINE[type]!).padded(listing.size[i]!, 12).byte(0x20);
    times.writeSeconds(out, listing.mtimeMs[i]!);
    out.byte(0x20);
    const start = nameStart[i]!;
    const end = nameStart[i + 1]!;
    if (plainness(names, start, end) !== 0) out.bytes(names, start, end);
    else out.utf8(displayPath(names.subarray(start, end)));
    if (TYPE_LINE[type] === TYPE_LINE[EntryType.directory]) out.byte(0x2f);
    out.byte(0x0a);
  }
  return out.result();
}
