/**
 * Helpers of the end-to-end tests of `reel archive`: run the real CLI as a child process, make
 * temporary trees, compare trees field by field, and write archives holding exactly the entries a
 * test wants (hostile ones included) with the project's own format encoder.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { type BigIntStats, closeSync, constants, existsSync, lstatSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { newStreamEncryption, nodeCodecs } from "../../src/client/node-codecs.js";
import { BlockPacker, type Entry, EntryType, type EntryTypeCode, idToString, makeLabelBlock, SealingSink, StreamEncoder } from "../../src/format/index.js";

/** The repository root (the compiled test lives in dist/test/e2e/). */
export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
export const reelMain = join(repoRoot, "dist/src/cli/main.js");

export interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
  input?: Buffer;
}

/** Runs `reel ARGS` as a child process. */
export function reel(args: string[], options: RunOptions = {}): Run {
  const r = spawnSync(process.execPath, [reelMain, ...args], {
    cwd: options.cwd, env: { ...process.env, ...options.env }, encoding: "utf8", maxBuffer: 256 * 1024 * 1024,
    ...(options.input === undefined ? { stdio: ["ignore", "pipe", "pipe"] } : { input: options.input }),
  });
  if (r.error !== undefined) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a bash line; `$REEL` stands for the reel command. */
export function shell(line: string, options: RunOptions = {}): Run {
  const r = spawnSync("bash", ["-c", line], {
    cwd: options.cwd, env: { ...process.env, REEL: `${process.execPath} ${reelMain}`, ...options.env }, encoding: "utf8", maxBuffer: 256 * 1024 * 1024,
    ...(options.input === undefined ? { stdio: ["ignore", "pipe", "pipe"] } : { input: options.input }),
  });
  if (r.error !== undefined) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a child to its end without blocking, so that independent runs overlap. */
function spawnAsync(command: string, args: string[], options: RunOptions, extraEnv: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...extraEnv, ...options.env }, stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    const out: Buffer[] = [], err: Buffer[] = [];
    child.stdout!.on("data", (b: Buffer) => out.push(b));
    child.stderr!.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (code) => resolve({ status: code ?? -1, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }));
    if (options.input !== undefined) child.stdin!.end(options.input);
  });
}

/** reel(), without blocking: start several with Promise.all. */
export const reelAsync = (args: string[], options: RunOptions = {}): Promise<Run> => spawnAsync(process.execPath, [reelMain, ...args], options, {});

/** shell(), without blocking. */
export const shellAsync = (line: string, options: RunOptions = {}): Promise<Run> => spawnAsync("bash", ["-c", line], options, { REEL: `${process.execPath} ${reelMain}` });

/** Runs a bash line that must succeed (test set-up). */
export function sh(line: string, cwd?: string): string {
  const r = shell(line, cwd === undefined ? {} : { cwd });
  if (r.status !== 0) throw new Error(`set-up failed (${r.status}): ${line}\n${r.stderr}`);
  return r.stdout;
}

/** A temporary directory, removed when the test ends (by GNU rm, which handles trees deeper than PATH_MAX). */
export function tempDir(t: TestContext, name = "reel-e2e-"): string {
  const dir = mkdtempSync(join(tmpdir(), name));
  t.after(() => void spawnSync("rm", ["-rf", "--one-file-system", dir]));
  return dir;
}

export const isRoot = process.geteuid?.() === 0;
export const hasCommand = (name: string): boolean => spawnSync("sh", ["-c", `command -v ${name}`]).status === 0;
export const hasPython = hasCommand("python3");

/** An archive and what happened making it; fails the test when create does not exit 0. */
export function create(archive: string, root: string, paths: string[], extra: string[] = [], env: Record<string, string> = {}): Run {
  const run = reel(["archive", "create", ...extra, "-f", archive, "-C", root, ...paths], { env });
  if (run.status !== 0) throw new Error(`reel archive create exited ${run.status}: ${run.stderr}`);
  return run;
}

export function extract(archive: string, dest: string, extra: string[] = [], env: Record<string, string> = {}): Run {
  return reel(["archive", "extract", "-f", archive, "-C", dest, ...extra], { env });
}

const verifyTreeScript = join(repoRoot, "../shared/bench/verify-tree.sh");
export const hasVerifyTree = existsSync(verifyTreeScript);

/** The peer harness's tree comparison (`verify-tree.sh A B`); null when the script is absent. */
export function verifyTree(a: string, b: string): Run | null {
  if (!hasVerifyTree) return null;
  const r = spawnSync("bash", [verifyTreeScript, a, b], { encoding: "utf8" });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

// ---------------------------------------------------------------------------------------------
// Tree comparison

/** What the Python helper does that Node cannot: extended attributes and SEEK_DATA/SEEK_HOLE. */
const PYTHON = String.raw`
import json, os, sys
def segments(fd, size):
    out, at = [], 0
    while at < size:
        try:
            d = os.lseek(fd, at, os.SEEK_DATA)
        except OSError:
            break
        h = os.lseek(fd, d, os.SEEK_HOLE)
        out.append((d, min(h, size)))
        at = h
    return out
if sys.argv[1] == "xattrs":
    result = []
    for p in sys.stdin.buffer.read().split(b"\0"):
        if not p:
            continue
        try:
            names = sorted(os.listxattr(p, follow_symlinks=False))
            result.append({n: os.getxattr(p, n, follow_symlinks=False).hex() for n in names})
        except OSError as e:
            result.append({"<error>": str(e)})
    print(json.dumps(result))
elif sys.argv[1] == "same-content":
    a, b = os.open(sys.argv[2], os.O_RDONLY), os.open(sys.argv[3], os.O_RDONLY)
    size = os.fstat(a).st_size
    if os.fstat(b).st_size != size:
        print("sizes differ"); sys.exit(0)
    merged = []
    for s, e in sorted(segments(a, size) + segments(b, size)):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    for s, e in merged:
        at = s
        while at < e:
            n = min(1 << 20, e - at)
            if os.pread(a, n, at) != os.pread(b, n, at):
                print("content differs at byte %d" % at); sys.exit(0)
            at += n
    print("same")
`;

function python(args: string[], input?: Buffer): string {
  const r = spawnSync("python3", ["-c", PYTHON, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, ...(input === undefined ? {} : { input }) });
  if (r.status !== 0) throw new Error(`python3 helper failed: ${r.stderr}`);
  return r.stdout.trim();
}

interface TreeItem {
  /** The path relative to the root, as raw bytes ("." for the root). */
  rel: Buffer;
  /** A path system calls (and child processes) accept, however deep: under /proc/PID/fd/N when long. */
  access: Buffer;
  st: BigIntStats;
}

const DEEP = 3000;

/** Lists a tree with lstat (bigint), never following symlinks; deep directories are reached through descriptors. */
function walkTree(root: string, fds: number[]): Map<string, TreeItem> {
  const items = new Map<string, TreeItem>();
  const visit = (rel: Buffer, access: Buffer): void => {
    const st = lstatSync(access, { bigint: true });
    items.set(rel.toString("latin1"), { rel, access, st });
    if (!st.isDirectory()) return;
    let dirAccess = access;
    if (access.length > DEEP) {
      const fd = openSync(access, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
      fds.push(fd);
      dirAccess = Buffer.from(`/proc/${process.pid}/fd/${fd}`);
    }
    const names = readdirSync(dirAccess, { encoding: "buffer" }).sort((x, y) => Buffer.compare(x, y));
    for (const name of names) {
      const childRel = rel.equals(Buffer.from(".")) ? name : Buffer.concat([rel, Buffer.from("/"), name]);
      visit(childRel, Buffer.concat([dirAccess, Buffer.from("/"), name]));
    }
  };
  visit(Buffer.from("."), Buffer.from(root));
  return items;
}

const show = (rel: Buffer): string => JSON.stringify(rel.toString("latin1")).slice(0, 120);
const typeName = (st: BigIntStats): string =>
  st.isFile() ? "file" : st.isDirectory() ? "dir" : st.isSymbolicLink() ? "symlink" : st.isFIFO() ? "fifo" : st.isCharacterDevice() ? "chardev" : st.isBlockDevice() ? "blockdev" : "other";

function sameContent(a: TreeItem, b: TreeItem): string | null {
  const size = a.st.size;
  if (size !== b.st.size) return `size ${size} != ${b.st.size}`;
  const isSparse = a.st.blocks * 512n < size || b.st.blocks * 512n < size;
  if (size > 64n * 1024n * 1024n || isSparse) {
    // Holes are read by neither side: only the union of both files' data ranges is compared.
    if (!hasPython) throw new Error("python3 is needed to compare sparse files without reading their holes");
    const fa = openSync(a.access, constants.O_RDONLY | constants.O_NOFOLLOW);
    const fb = openSync(b.access, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const verdict = python(["same-content", `/proc/${process.pid}/fd/${fa}`, `/proc/${process.pid}/fd/${fb}`]);
      return verdict === "same" ? null : verdict;
    } finally {
      closeSync(fa);
      closeSync(fb);
    }
  }
  return readFileSync(a.access).equals(readFileSync(b.access)) ? null : "content differs";
}

function xattrsOf(items: TreeItem[]): Array<Record<string, string>> {
  if (!hasPython) throw new Error("python3 is needed to read extended attributes");
  return JSON.parse(python(["xattrs"], Buffer.concat(items.flatMap((i) => [i.access, Buffer.from([0])])))) as Array<Record<string, string>>;
}

export interface CompareOptions {
  /** Compare extended attributes and ACLs (default true). */
  xattrs?: boolean;
  /** Compare the roots themselves (mode, owner, time) too (default true). */
  root?: boolean;
  /** Compare mtimes (default true). */
  mtimes?: boolean;
  /** Compare owners (default true). */
  owners?: boolean;
}

/** The differences between two objects at the same path, hard links aside. */
function itemDifferences(x: TreeItem, y: TreeItem, options: CompareOptions): string[] {
  const p = show(x.rel);
  if (typeName(x.st) !== typeName(y.st)) return [`${p}: type ${typeName(x.st)} != ${typeName(y.st)}`];
  const diffs: string[] = [];
  const mode = (st: BigIntStats): string => (st.mode & 0o7777n).toString(8);
  if (!x.st.isSymbolicLink() && mode(x.st) !== mode(y.st)) diffs.push(`${p}: mode ${mode(x.st)} != ${mode(y.st)}`);
  if (options.owners !== false && (x.st.uid !== y.st.uid || x.st.gid !== y.st.gid)) diffs.push(`${p}: owner ${x.st.uid}:${x.st.gid} != ${y.st.uid}:${y.st.gid}`);
  if (options.mtimes !== false && x.st.mtimeNs !== y.st.mtimeNs) diffs.push(`${p}: mtime ${x.st.mtimeNs} != ${y.st.mtimeNs} ns`);
  if (x.st.isSymbolicLink()) {
    const ta = readlinkSync(x.access, { encoding: "buffer" }), tb = readlinkSync(y.access, { encoding: "buffer" });
    if (!ta.equals(tb)) diffs.push(`${p}: symlink target ${show(ta)} != ${show(tb)}`);
  }
  if ((x.st.isCharacterDevice() || x.st.isBlockDevice()) && x.st.rdev !== y.st.rdev) diffs.push(`${p}: device ${x.st.rdev} != ${y.st.rdev}`);
  if (x.st.isFile()) diffs.push(...fileDifferences(x, y));
  return diffs;
}

/** Content, holes and link count of two regular files. */
function fileDifferences(x: TreeItem, y: TreeItem): string[] {
  const p = show(x.rel);
  const diffs: string[] = [];
  const problem = sameContent(x, y);
  if (problem !== null) diffs.push(`${p}: ${problem}`);
  // Holes must stay holes: the copy may not hold much more than the original.
  if (x.st.blocks * 512n < x.st.size / 2n && y.st.blocks * 512n > x.st.blocks * 512n + 65536n) {
    diffs.push(`${p}: holes not restored: ${y.st.blocks * 512n} bytes allocated, the original ${x.st.blocks * 512n}`);
  }
  if (x.st.nlink !== y.st.nlink) diffs.push(`${p}: link count ${x.st.nlink} != ${y.st.nlink}`);
  return diffs;
}

/** Hard links: each group of names of one inode in `a` is one inode in `b`, and groups stay apart. */
function hardLinkDifferences(pairs: Array<[TreeItem, TreeItem]>, a: string): string[] {
  const diffs: string[] = [];
  const groups = new Map<bigint, Set<bigint>>();
  const groupOfB = new Map<bigint, bigint>();
  for (const [x, y] of pairs) {
    if (!x.st.isFile() || !y.st.isFile() || x.st.nlink < 2n) continue;
    const group = groups.get(x.st.ino) ?? new Set<bigint>();
    group.add(y.st.ino);
    groups.set(x.st.ino, group);
    const other = groupOfB.get(y.st.ino);
    if (other !== undefined && other !== x.st.ino) diffs.push(`${show(x.rel)}: hard-linked to a file it is not linked to in ${a}`);
    groupOfB.set(y.st.ino, x.st.ino);
  }
  for (const [ino, inB] of groups) if (inB.size !== 1) diffs.push(`hard-link group of inode ${ino} split into ${inB.size} inodes`);
  return diffs;
}

/**
 * Every difference between tree `a` and tree `b`: missing and extra entries, type, mode, uid,
 * gid, size, content, symlink target, mtime (ns, directories and symlinks too), device numbers,
 * hard-link grouping and link counts, extended attributes and ACLs, and lost holes of sparse files.
 */
export function treeDifferences(a: string, b: string, options: CompareOptions = {}): string[] {
  const fds: number[] = [];
  try {
    const A = walkTree(a, fds);
    const B = walkTree(b, fds);
    const diffs: string[] = [];
    for (const [k, x] of A) if (!B.has(k)) diffs.push(`missing in ${b}: ${show(x.rel)} (${typeName(x.st)})`);
    for (const [k, y] of B) if (!A.has(k)) diffs.push(`extra in ${b}: ${show(y.rel)} (${typeName(y.st)})`);
    const pairs = [...A.keys()].filter((k) => B.has(k) && (options.root !== false || k !== ".")).map((k): [TreeItem, TreeItem] => [A.get(k)!, B.get(k)!]);
    for (const [x, y] of pairs) diffs.push(...itemDifferences(x, y, options));
    diffs.push(...hardLinkDifferences(pairs, a));
    if (options.xattrs !== false) {
      const xa = xattrsOf(pairs.map(([x]) => x));
      const xb = xattrsOf(pairs.map(([, y]) => y));
      pairs.forEach(([x], i) => {
        const ja = JSON.stringify(xa[i]), jb = JSON.stringify(xb[i]);
        if (ja !== jb) diffs.push(`${show(x.rel)}: xattrs ${ja} != ${jb}`);
      });
    }
    return diffs;
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

/** Fails with the list of differences unless tree `b` reproduces tree `a`. */
export function assertSameTree(a: string, b: string, options: CompareOptions = {}): void {
  const diffs = treeDifferences(a, b, options);
  if (diffs.length > 0) throw new Error(`${diffs.length} difference(s) between ${a} and ${b}:\n  ${diffs.slice(0, 40).join("\n  ")}`);
}

/** Everything below `dir`, one line each: relative path, type, inode, links, size, mode, owner, mtime (sorted). */
export function listing(dir: string): string[] {
  const r = spawnSync("find", [dir, "-mindepth", "1", "-printf", "%P %y %i %n %s %m %U:%G %T@\\n"], { encoding: "utf8" });
  return r.stdout.split("\n").filter((l) => l !== "").sort();
}

// ---------------------------------------------------------------------------------------------
// Archives written entry by entry

export interface EntrySpec {
  path: string | Buffer;
  type?: EntryTypeCode;
  linkTarget?: string | Buffer;
  data?: string | Buffer;
  mode?: number;
  uid?: number;
  gid?: number;
  userName?: string;
  groupName?: string;
  mtime?: [number, number];
  /** Sparse files: the size and the data pieces. */
  size?: number;
  pieces?: Array<[number, Buffer]>;
  device?: { major: number; minor: number };
}

export interface ArchiveOptions {
  blockSize?: number;
  compress?: boolean;
  passphrase?: string;
}

const bytesOf = (v: string | Buffer): Buffer => (typeof v === "string" ? Buffer.from(v, "utf8") : v);

function entryOf(s: EntrySpec, data: Buffer | undefined): Entry {
  const type = s.type ?? EntryType.file;
  const [mtimeSec, mtimeNsec] = s.mtime ?? [1700000000, 0];
  return {
    number: 0, type, isSparse: s.pieces !== undefined, mode: s.mode ?? (type === EntryType.directory ? 0o755 : 0o644), uid: s.uid ?? 0, gid: s.gid ?? 0,
    size: s.size ?? data?.length ?? 0, mtimeSec, mtimeNsec, atimeSec: 1700000000, atimeNsec: 0,
    path: bytesOf(s.path), linkTarget: s.linkTarget === undefined ? null : bytesOf(s.linkTarget),
    userName: s.userName === undefined ? null : Buffer.from(s.userName), groupName: s.groupName === undefined ? null : Buffer.from(s.groupName),
    device: s.device ?? null, xattrs: [], unknownCriticalTags: [],
  };
}

/** The bytes of an archive holding exactly the given entries, in order, whatever they are: no walk, no checks. */
export async function writeArchive(file: string, specs: EntrySpec[], options: ArchiveOptions = {}): Promise<Buffer> {
  const codecs = nodeCodecs();
  const blockSize = options.blockSize ?? 4096;
  const mediumId = randomBytes(16), streamId = randomBytes(16);
  const blocks: Uint8Array[] = [makeLabelBlock({ mediumId, blockSize, checksum: codecs.checksum, label: { label: "archive", pool: null, createdAt: "2026-01-01T00:00:00Z", writer: "e2e test" } })];
  let next = 1;
  const packer = new BlockPacker({ mediumId, streamId, blockSize, checksum: codecs.checksum, nextBlockNumber: () => next++, emit: (b) => blocks.push(Uint8Array.from(b)) });
  const encryption = options.passphrase === undefined ? null : newStreamEncryption(options.passphrase, streamId, { logN: 10 });
  const encoder = new StreamEncoder({
    head: { format: 1, streamId: idToString(streamId), createdAt: "2026-01-01T00:00:00Z", compression: options.compress === true ? "zstd" : "none", encryption: encryption?.parameters ?? null, descriptor: {} },
    sink: new SealingSink(codecs, { compress: options.compress === true, key: encryption?.key ?? null }, (r) => packer.append(r)),
  });
  for (const s of specs) {
    const data = s.data === undefined ? undefined : bytesOf(s.data);
    encoder.addEntry(entryOf(s, data));
    if (data !== undefined && data.length > 0) encoder.addData(0, data);
    for (const [offset, piece] of s.pieces ?? []) encoder.addData(offset, piece);
  }
  await encoder.finish();
  packer.finish();
  const bytes = Buffer.concat(blocks);
  writeFileSync(file, bytes);
  return bytes;
}

/** XORs one byte of a file. */
export function flipByte(file: string, offset: number, mask = 0x55): void {
  const bytes = readFileSync(file);
  if (offset < 0 || offset >= bytes.length) throw new Error(`offset ${offset} outside ${file} (${bytes.length} bytes)`);
  bytes[offset]! ^= mask;
  writeFileSync(file, bytes);
}

/** Lines of stderr that match `pattern`. */
export const linesMatching = (text: string, pattern: RegExp): string[] => text.split("\n").filter((l) => pattern.test(l));
