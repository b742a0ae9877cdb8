import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The POSIX calls Node's fs lacks, from the native addon built from native/reel_posix.c
 * (see docs/decisions/0002-native-posix-addon.md). Paths and xattr names are raw bytes.
 * System call failures throw an Error shaped like Node's: `code` ("ENOENT"), `errno`
 * (negative), `syscall` and `path`; bad arguments throw a TypeError or RangeError.
 */
export interface PosixAddon {
  /** CRC-32C of data continuing from previous (0 for a fresh start); present only on x86-64 CPUs with SSE4.2. */
  crc32c?: (data: Uint8Array, previous: number) => number;
  /** utimensat(AT_FDCWD, path, …, AT_SYMLINK_NOFOLLOW): exact times, symlinks not followed. Seconds may be negative. */
  lutimens(path: Buffer, atimeSec: number, atimeNsec: number, mtimeSec: number, mtimeNsec: number): void;
  /** futimens(fd, …). */
  futimens(fd: number, atimeSec: number, atimeNsec: number, mtimeSec: number, mtimeNsec: number): void;
  /** close(2) of a descriptor, without Node's bookkeeping (for descriptors another thread opened). */
  closeFd(fd: number): void;
  /** The bytes to skip from the start of buffer's memory to an address that is a multiple of alignment (a power of two). */
  alignmentOffset(buffer: Uint8Array, alignment: number): number;
  /** mknod(path, mode, makedev(major, minor)); mode carries the type (S_IFIFO, S_IFCHR, S_IFBLK) and permission bits. */
  mknod(path: Buffer, mode: number, major: number, minor: number): void;
  /** Attribute names of path (symlinks not followed), without NULs; [] when none or the filesystem has no xattrs. */
  llistxattr(path: Buffer): Buffer[];
  /** The value of one attribute (symlinks not followed). */
  lgetxattr(path: Buffer, name: Buffer): Buffer;
  /** Creates or replaces one attribute (symlinks not followed). */
  lsetxattr(path: Buffer, name: Buffer, value: Buffer): void;
  /** lseek(fd, offset, SEEK_DATA): start of the next data at or after offset, or -1 when none (ENXIO). */
  seekData(fd: number, offset: number): number;
  /** lseek(fd, offset, SEEK_HOLE): start of the next hole (EOF counts as one), or -1 when offset is past the end. */
  seekHole(fd: number, offset: number): number;
  /** getpwuid_r: the user's name, or null when there is no such user. */
  userName(uid: number): string | null;
  /** getgrgid_r: the group's name, or null when there is no such group. */
  groupName(gid: number): string | null;
  /** getpwnam_r: the user's uid, or null when there is no such user. */
  userId(name: string): number | null;
  /** getgrnam_r: the group's gid, or null when there is no such group. */
  groupId(name: string): number | null;
  /** Every entry of a directory except . and .., lstat'ed, packed for {@link decodeScan}. */
  scanDir(path: Buffer): Buffer;
  /**
   * Opens path (O_NOFOLLOW: a symlink throws ELOOP; O_NOATIME when permitted), reads up to
   * length bytes into target at offset, closes; returns the number of bytes read.
   */
  readFileInto(path: Buffer, target: Uint8Array, offset: number, length: number): number;
  /**
   * Creates path (O_EXCL|O_NOFOLLOW, 0600), writes all of data, chowns if setOwner, chmods to
   * mode & 0o7777, sets times, closes. On failure after the create the file is removed.
   */
  writeFileAt(
    path: Buffer,
    data: Uint8Array,
    mode: number,
    uid: number,
    gid: number,
    setOwner: boolean,
    atimeSec: number,
    atimeNsec: number,
    mtimeSec: number,
    mtimeNsec: number,
  ): void;
}

/** One directory entry from {@link PosixAddon.scanDir}. When errno is not 0 the lstat failed and every other number is 0. */
export interface ScannedEntry {
  /** Raw name bytes (a view into the scan buffer). */
  name: Buffer;
  /** 0, or the positive errno of the failed lstat. */
  errno: number;
  dev: number;
  ino: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  /** In 512-byte units. */
  blocks: number;
  atimeSec: number;
  atimeNsec: number;
  mtimeSec: number;
  mtimeNsec: number;
  ctimeSec: number;
  ctimeNsec: number;
  /** Length of the extended-attribute name list (0: the entry has none; non-zero: ask). */
  xattrBytes: number;
}

const ADDON = join("build", "Release", "reel_posix.node");

function findAddon(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, ADDON);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(
        `reel's native addon is missing (no ${ADDON} above ${dirname(fileURLToPath(import.meta.url))}); ` +
          "run `npm ci` (or `npx node-gyp rebuild`) to build it",
      );
    }
    dir = parent;
  }
}

const require = createRequire(import.meta.url);

/** The loaded addon. */
export const posix: PosixAddon = require(findAddon()) as PosixAddon;

/** Fixed bytes of a scan record after the name: errno + the stat fields. */
const FIXED = 100;
const TWO32 = 4294967296;

/** Unpacks a {@link PosixAddon.scanDir} buffer into entries, in readdir order. */
export function decodeScan(buf: Buffer): ScannedEntry[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const end = buf.byteLength;
  const out: ScannedEntry[] = [];
  let o = 0;
  while (o < end) {
    if (end - o < 4) throw new Error(`scan buffer truncated at byte ${o}`);
    const nameLength = view.getUint32(o, true);
    const n = o + 4;
    o = n + nameLength;
    if (o + FIXED > end) throw new Error(`scan buffer truncated at byte ${n - 4}`);
    out.push({
      name: buf.subarray(n, o),
      errno: view.getInt32(o, true),
      dev: view.getUint32(o + 4, true) + view.getUint32(o + 8, true) * TWO32,
      ino: view.getUint32(o + 12, true) + view.getUint32(o + 16, true) * TWO32,
      mode: view.getUint32(o + 20, true),
      nlink: view.getUint32(o + 24, true),
      uid: view.getUint32(o + 28, true),
      gid: view.getUint32(o + 32, true),
      rdev: view.getUint32(o + 36, true) + view.getUint32(o + 40, true) * TWO32,
      size: view.getUint32(o + 44, true) + view.getUint32(o + 48, true) * TWO32,
      blocks: view.getUint32(o + 52, true) + view.getUint32(o + 56, true) * TWO32,
      atimeSec: view.getUint32(o + 60, true) + view.getInt32(o + 64, true) * TWO32,
      atimeNsec: view.getUint32(o + 68, true),
      mtimeSec: view.getUint32(o + 72, true) + view.getInt32(o + 76, true) * TWO32,
      mtimeNsec: view.getUint32(o + 80, true),
      ctimeSec: view.getUint32(o + 84, true) + view.getInt32(o + 88, true) * TWO32,
      ctimeNsec: view.getUint32(o + 92, true),
      xattrBytes: view.getUint32(o + 96, true),
    });
    o += FIXED;
  }
  return out;
}
