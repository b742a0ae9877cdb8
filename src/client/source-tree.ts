import { closeSync, constants, lstatSync, openSync, readlinkSync } from "node:fs";
import { resolve } from "node:path";
import type { EntryTypeCode } from "../format/index.js";
import { EntryType } from "../format/index.js";
import { clientError, displayPath, reasonOf } from "./errors.js";
import { ExcludeMatcher } from "./exclude.js";
import { decodeScan, posix, type ScannedEntry } from "./posix.js";

const S_IFMT = 0o170000;
const S_IFREG = 0o100000, S_IFDIR = 0o040000, S_IFLNK = 0o120000, S_IFIFO = 0o010000, S_IFCHR = 0o020000, S_IFBLK = 0o060000, S_IFSOCK = 0o140000;
/** Above this many bytes, a directory's path is replaced by /proc/self/fd/N of an open descriptor (PATH_MAX is 4096). */
const DEEP_PATH_BYTES = 3000;
const SLASH = Buffer.from("/");

/** One file-system object found by the walk. */
export interface SourceItem {
  /** The path stored in the archive (relative, normalised; format.md §5.5). */
  path: Buffer;
  /** A path the system calls accept for this object (absolute, or under /proc/self/fd/N). */
  fsPath: Buffer;
  stat: ScannedEntry;
  type: EntryTypeCode;
  /** For hard links: the stored path of the first link of the inode. */
  hardlinkTarget: Buffer | null;
}

export interface WalkWarnings {
  /** One warning per kind (the caller collapses repeats). */
  warn(kind: string, message: string): void;
  /** An object that could not be read; the walk goes on. */
  error(path: Buffer, message: string): void;
}

export interface WalkOptions {
  root: string;
  paths: readonly string[];
  excludes: readonly string[];
  warnings: WalkWarnings;
  /** An inode never to archive: the archive being written (tar: "file is the archive; not dumped"). */
  skip?: { dev: number; ino: number };
}

/** Normalises a command-line path to a stored path: strips leading "/", "./" and "../" (format.md §5.5). */
export function storedPathOf(arg: string, warnings: WalkWarnings): Buffer {
  let p = arg.replace(/\/+/g, "/");
  if (p.startsWith("/")) {
    warnings.warn("leading-slash", "Removing leading \"/\" from member names");
    p = p.replace(/^\/+/, "");
  }
  while (p.startsWith("./")) p = p.slice(2);
  if (p.startsWith("../") || p === "..") {
    warnings.warn("leading-dotdot", "Removing leading \"../\" from member names");
    while (p.startsWith("../")) p = p.slice(3);
    if (p === "..") p = "";
  }
  p = p.replace(/\/$/, "");
  if (p === "" || p === ".") return Buffer.from(".");
  if (p.split("/").some((c) => c === "." || c === "..")) {
    throw clientError("CLIENT_BAD_PATH", `Cannot archive "${arg}": "." or ".." inside a path is not supported, give the path without them`);
  }
  return Buffer.from(p, "utf8");
}

function typeOf(mode: number): EntryTypeCode | null {
  switch (mode & S_IFMT) {
    case S_IFREG: return EntryType.file;
    case S_IFDIR: return EntryType.directory;
    case S_IFLNK: return EntryType.symlink;
    case S_IFIFO: return EntryType.fifo;
    case S_IFCHR: return EntryType.charDevice;
    case S_IFBLK: return EntryType.blockDevice;
    default: return null;
  }
}

function statOfTop(fsPath: Buffer): ScannedEntry {
  const s = lstatSync(fsPath, { bigint: true });
  const sec = (ns: bigint): number => Number(ns / 1_000_000_000n - (ns % 1_000_000_000n < 0n ? 1n : 0n));
  const nsec = (ns: bigint): number => Number(((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n);
  return {
    name: fsPath, errno: 0, dev: Number(s.dev), ino: Number(s.ino), mode: Number(s.mode), nlink: Number(s.nlink), uid: Number(s.uid), gid: Number(s.gid),
    rdev: Number(s.rdev), size: Number(s.size), blocks: Number(s.blocks),
    atimeSec: sec(s.atimeNs), atimeNsec: nsec(s.atimeNs), mtimeSec: sec(s.mtimeNs), mtimeNsec: nsec(s.mtimeNs), ctimeSec: sec(s.ctimeNs), ctimeNsec: nsec(s.ctimeNs), xattrBytes: 1,
  };
}

/**
 * Walks the given paths depth-first, each directory before its contents, names in byte order;
 * never follows symlinks. Hard links after the first of an inode come as type hardlink.
 */
export function* walkSources(options: WalkOptions): Generator<SourceItem> {
  const excludes = new ExcludeMatcher(options.excludes);
  const links = new Map<string, Buffer>();
  const root = resolve(options.root);
  for (const arg of options.paths) {
    const path = storedPathOf(arg, options.warnings);
    const name = path.subarray(path.lastIndexOf(0x2f) + 1);
    // As in tar, exclusions apply to the names given too (`--exclude '*.o' *`).
    if (!(path.length === 1 && path[0] === 0x2e) && excludes.matches(path, name)) continue;
    const fsPath = Buffer.from(resolve(root, arg), "utf8");
    let stat: ScannedEntry;
    try {
      stat = statOfTop(fsPath);
    } catch (error) {
      options.warnings.error(path, `Cannot stat "${arg}": ${reasonOf(error)}`);
      continue;
    }
    yield* visit(path, fsPath, stat, { excludes, links, warnings: options.warnings, skip: options.skip ?? null });
  }
}

interface WalkState {
  excludes: ExcludeMatcher;
  links: Map<string, Buffer>;
  warnings: WalkWarnings;
  skip: { dev: number; ino: number } | null;
}

function* visit(path: Buffer, fsPath: Buffer, stat: ScannedEntry, state: WalkState): Generator<SourceItem> {
  const { excludes, links, warnings, skip } = state;
  if (skip !== null && stat.ino === skip.ino && stat.dev === skip.dev) {
    warnings.warn("archive-itself", `"${displayPath(path)}": file is the archive; not archived`);
    return;
  }
  const type = typeOf(stat.mode);
  if (type === null) {
    if ((stat.mode & S_IFMT) === S_IFSOCK) warnings.warn("socket", `Sockets are not archived (first: "${displayPath(path)}")`);
    return;
  }
  let hardlinkTarget: Buffer | null = null;
  if (type === EntryType.file && stat.nlink > 1) {
    const key = `${stat.dev}:${stat.ino}`;
    const first = links.get(key);
    if (first === undefined) links.set(key, path);
    else hardlinkTarget = first;
  }
  yield { path, fsPath, stat, type: hardlinkTarget === null ? type : EntryType.hardlink, hardlinkTarget };
  if (type !== EntryType.directory) return;

  let dirPath = fsPath;
  let fd = -1;
  if (fsPath.length > DEEP_PATH_BYTES) {
    try {
      fd = openSync(fsPath, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    } catch (error) {
      warnings.error(path, `Cannot open directory "${displayPath(path)}": ${reasonOf(error)}`);
      return;
    }
    dirPath = Buffer.from(`/proc/self/fd/${fd}`);
  }
  try {
    let children: ScannedEntry[];
    try {
      children = decodeScan(posix.scanDir(dirPath));
    } catch (error) {
      warnings.error(path, `Cannot read directory "${displayPath(path)}": ${reasonOf(error)}`);
      return;
    }
    children.sort((a, b) => Buffer.compare(a.name, b.name));
    const prefix = path.length === 1 && path[0] === 0x2e ? null : Buffer.concat([path, SLASH]);
    const fsPrefix = Buffer.concat([dirPath, SLASH]);
    for (const child of children) {
      const name = Buffer.from(child.name);
      const childPath = prefix === null ? name : Buffer.concat([prefix, name]);
      if (excludes.matches(childPath, name)) continue;
      if (child.errno !== 0) {
        if (child.errno === 2) continue; // ENOENT: vanished since readdir
        warnings.error(childPath, `Cannot stat "${displayPath(childPath)}": errno ${child.errno}`);
        continue;
      }
      yield* visit(childPath, Buffer.concat([fsPrefix, name]), child, state);
    }
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/** Reads a symlink's target as raw bytes. */
export function readLinkTarget(fsPath: Buffer): Buffer {
  return readlinkSync(fsPath, { encoding: "buffer" });
}

/** The major and minor numbers of a device (glibc's encoding of dev_t). */
export function deviceNumbers(rdev: number): { major: number; minor: number } {
  const r = BigInt(rdev);
  const major = Number(((r >> 8n) & 0xfffn) | ((r >> 32n) & ~0xfffn));
  const minor = Number((r & 0xffn) | ((r >> 12n) & ~0xffn));
  return { major, minor };
}

export { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG };
