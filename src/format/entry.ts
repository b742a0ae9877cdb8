import { ByteReader, copyOf, setI64, setU64, viewOf } from "./bytes.js";
import { formatError } from "./errors.js";

// format.md §5.2
export const EntryType = {
  file: 1,
  directory: 2,
  symlink: 3,
  hardlink: 4,
  fifo: 5,
  charDevice: 6,
  blockDevice: 7,
} as const;
export type EntryTypeCode = (typeof EntryType)[keyof typeof EntryType];
export const entryTypeNames: Readonly<Record<number, string>> = {
  1: "file",
  2: "directory",
  3: "symlink",
  4: "hardlink",
  5: "fifo",
  6: "chardev",
  7: "blockdev",
};

export const ENTRY_FIXED_SIZE = 56;
export const EntryFlag = { sparse: 1 } as const;
export const EntryTag = { path: 1, linkTarget: 2, userName: 3, groupName: 4, device: 5, xattr: 6 } as const;

export interface ExtendedAttribute {
  name: Uint8Array;
  value: Uint8Array;
}

/** The metadata of one file-system object in a stream. */
export interface Entry {
  number: number;
  type: EntryTypeCode;
  isSparse: boolean;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeSec: number;
  mtimeNsec: number;
  atimeSec: number;
  atimeNsec: number;
  path: Uint8Array;
  linkTarget: Uint8Array | null;
  userName: Uint8Array | null;
  groupName: Uint8Array | null;
  device: { major: number; minor: number } | null;
  xattrs: ExtendedAttribute[];
  /** Critical field tags this reader does not know (format.md §5.2); the entry must not be restored. */
  unknownCriticalTags: number[];
}

const FIELD_HEADER = 5;

/** The encoded length of an entry body, with or without its extended attributes. */
export function entryBodyLength(entry: Entry, withXattrs: boolean): number {
  let n = ENTRY_FIXED_SIZE + FIELD_HEADER + entry.path.length;
  if (entry.linkTarget !== null) n += FIELD_HEADER + entry.linkTarget.length;
  if (entry.userName !== null) n += FIELD_HEADER + entry.userName.length;
  if (entry.groupName !== null) n += FIELD_HEADER + entry.groupName.length;
  if (entry.device !== null) n += FIELD_HEADER + 8;
  if (withXattrs) for (const x of entry.xattrs) n += FIELD_HEADER + x.name.length + 1 + x.value.length;
  return n;
}

function putField(target: Uint8Array, view: DataView, offset: number, tag: number, value: Uint8Array): number {
  view.setUint8(offset, tag);
  view.setUint32(offset + 1, value.length, true);
  target.set(value, offset + FIELD_HEADER);
  return offset + FIELD_HEADER + value.length;
}

/** Writes an entry body at `offset` of `target`; returns the offset after it. */
export function writeEntryBody(target: Uint8Array, offset: number, entry: Entry, withXattrs: boolean): number {
  const view = viewOf(target);
  setU64(view, offset, entry.number);
  view.setUint8(offset + 8, entry.type);
  view.setUint8(offset + 9, entry.isSparse ? EntryFlag.sparse : 0);
  view.setUint16(offset + 10, 0, true);
  view.setUint32(offset + 12, entry.mode & 0o7777, true);
  view.setUint32(offset + 16, entry.uid, true);
  view.setUint32(offset + 20, entry.gid, true);
  setU64(view, offset + 24, entry.size);
  setI64(view, offset + 32, entry.mtimeSec);
  view.setUint32(offset + 40, entry.mtimeNsec, true);
  view.setUint32(offset + 44, entry.atimeNsec, true);
  setI64(view, offset + 48, entry.atimeSec);
  let at = putField(target, view, offset + ENTRY_FIXED_SIZE, EntryTag.path, entry.path);
  if (entry.linkTarget !== null) at = putField(target, view, at, EntryTag.linkTarget, entry.linkTarget);
  if (entry.userName !== null) at = putField(target, view, at, EntryTag.userName, entry.userName);
  if (entry.groupName !== null) at = putField(target, view, at, EntryTag.groupName, entry.groupName);
  if (entry.device !== null) {
    view.setUint8(at, EntryTag.device);
    view.setUint32(at + 1, 8, true);
    view.setUint32(at + 5, entry.device.major, true);
    view.setUint32(at + 9, entry.device.minor, true);
    at += FIELD_HEADER + 8;
  }
  if (withXattrs) {
    for (const x of entry.xattrs) {
      view.setUint8(at, EntryTag.xattr);
      view.setUint32(at + 1, x.name.length + 1 + x.value.length, true);
      target.set(x.name, at + FIELD_HEADER);
      target[at + FIELD_HEADER + x.name.length] = 0;
      target.set(x.value, at + FIELD_HEADER + x.name.length + 1);
      at += FIELD_HEADER + x.name.length + 1 + x.value.length;
    }
  }
  return at;
}

export function encodeEntryBody(entry: Entry, withXattrs: boolean): Uint8Array {
  const out = new Uint8Array(entryBodyLength(entry, withXattrs));
  writeEntryBody(out, 0, entry, withXattrs);
  return out;
}

/** Decodes an entry body (format.md §5.2); throws FORMAT_MALFORMED or FORMAT_TRUNCATED. */
export function decodeEntryBody(bytes: Uint8Array, start = 0, end = bytes.length): Entry {
  const r = new ByteReader(bytes, "entry", start, end);
  const number = r.u64();
  const type = r.u8();
  if (type < 1 || type > 7) throw formatError("FORMAT_MALFORMED", `Cannot read entry ${number}: unknown entry type ${type}`, { entry: number });
  const flags = r.u8();
  r.u16();
  const entry: Entry = {
    number,
    type: type as EntryTypeCode,
    isSparse: (flags & EntryFlag.sparse) !== 0,
    mode: r.u32() & 0o7777,
    uid: r.u32(),
    gid: r.u32(),
    size: r.u64(),
    mtimeSec: r.i64(),
    mtimeNsec: r.u32(),
    atimeNsec: r.u32(),
    atimeSec: r.i64(),
    path: new Uint8Array(0),
    linkTarget: null,
    userName: null,
    groupName: null,
    device: null,
    xattrs: [],
    unknownCriticalTags: [],
  };
  if (entry.mtimeNsec > 999_999_999 || entry.atimeNsec > 999_999_999) {
    throw formatError("FORMAT_MALFORMED", `Cannot read entry ${number}: nanoseconds out of range`, { entry: number });
  }
  let hasPath = false;
  while (r.remaining > 0) {
    const tag = r.u8();
    // A copy: entries outlive the chunk buffers they were decoded from.
    const value = copyOf(r.take(r.u32()));
    switch (tag) {
      case EntryTag.path:
        if (hasPath) throw formatError("FORMAT_MALFORMED", `Cannot read entry ${number}: two paths`, { entry: number });
        entry.path = value;
        hasPath = true;
        break;
      case EntryTag.linkTarget:
        entry.linkTarget = value;
        break;
      case EntryTag.userName:
        entry.userName = value;
        break;
      case EntryTag.groupName:
        entry.groupName = value;
        break;
      case EntryTag.device: {
        if (value.length !== 8) throw formatError("FORMAT_MALFORMED", `Cannot read entry ${number}: device field of ${value.length} bytes`, { entry: number });
        const v = viewOf(value);
        entry.device = { major: v.getUint32(0, true), minor: v.getUint32(4, true) };
        break;
      }
      case EntryTag.xattr: {
        const zero = value.indexOf(0);
        if (zero <= 0) throw formatError("FORMAT_MALFORMED", `Cannot read entry ${number}: extended attribute without a name`, { entry: number });
        entry.xattrs.push({ name: value.subarray(0, zero), value: value.subarray(zero + 1) });
        break;
      }
      default:
        if ((tag & 0x80) === 0) entry.unknownCriticalTags.push(tag);
    }
  }
  if (!hasPath) throw formatError("FORMAT_MALFORMED", `Cannot read entry ${number}: no path`, { entry: number });
  return entry;
}

/**
 * Says what is wrong with a stored path (format.md §5.5), or null if it is acceptable.
 * Readers refuse such entries; they must never write outside their destination.
 */
export function pathProblem(path: Uint8Array): string | null {
  if (path.length === 0) return "empty path";
  if (path.length === 1 && path[0] === 0x2e) return null;
  if (path[0] === 0x2f) return "absolute path";
  let start = 0;
  for (let i = 0; i <= path.length; i++) {
    const b = i < path.length ? path[i] : 0x2f;
    if (b === 0) return "NUL byte in path";
    if (b !== 0x2f) continue;
    const len = i - start;
    if (len === 0) return "empty path component";
    if (len === 1 && path[start] === 0x2e) return "\".\" component";
    if (len === 2 && path[start] === 0x2e && path[start + 1] === 0x2e) return "\"..\" component";
    start = i + 1;
  }
  return null;
}

/** The path of an encoded entry body without decoding the rest (for filtering index rows); null if malformed. */
export function entryPathOf(body: Uint8Array): Uint8Array | null {
  const view = viewOf(body);
  let at = ENTRY_FIXED_SIZE;
  while (at + FIELD_HEADER <= body.length) {
    const length = view.getUint32(at + 1, true);
    if (at + FIELD_HEADER + length > body.length) return null;
    if (body[at] === EntryTag.path) return body.subarray(at + FIELD_HEADER, at + FIELD_HEADER + length);
    at += FIELD_HEADER + length;
  }
  return null;
}
