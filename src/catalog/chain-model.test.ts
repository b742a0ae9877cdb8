/**
 * The chain merge against a model: a random file tree changes between backups, each backup
 * writes the rows a client would (new or changed paths, tombstones for paths gone — either one
 * per path, or only the topmost), and every saveset must then read back as the tree was when it
 * was taken: forEachFile, listDirectory of every directory ever seen, findEntry of every path.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { EntryType } from "../format/index.js";
import type { Catalog } from "./catalog.js";
import { withCatalog } from "./temp-catalog.js";
import type { FileRow, Level } from "./types.js";

interface Entry {
  isDirectory: boolean;
  size: number;
  version: number;
}
type Tree = Map<string, Entry>; // latin1 path → entry

function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ["a", "b", "c", "A", "\xff", "\xc3(", "caf\xe9", "z0", "a b"];
const parentOf = (path: string): string => (path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "");
const below = (path: string, dir: string): boolean => path.startsWith(`${dir}/`);

class World {
  tree: Tree = new Map();
  #next: () => number;
  #version = 0;

  constructor(seed: number) {
    this.#next = random(seed);
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.#next() * items.length)]!;
  }

  chance(p: number): boolean {
    return this.#next() < p;
  }

  #dirs(): string[] {
    return ["", ...[...this.tree].filter(([, e]) => e.isDirectory).map(([p]) => p)];
  }

  #remove(path: string): void {
    for (const p of [...this.tree.keys()]) if (p === path || below(p, path)) this.tree.delete(p);
  }

  add(isDirectory: boolean, at?: string): void {
    const parent = at ?? this.pick(this.#dirs());
    const path = parent === "" ? this.pick(NAMES) : `${parent}/${this.pick(NAMES)}`;
    if (!this.tree.has(path)) this.tree.set(path, { isDirectory, size: isDirectory ? 0 : Math.floor(this.#next() * 1000), version: ++this.#version });
  }

  mutate(): void {
    const paths = [...this.tree.keys()];
    const path = paths.length === 0 ? null : this.pick(paths);
    const entry = path === null ? undefined : this.tree.get(path);
    const op = Math.floor(this.#next() * 6);
    if (path === null || entry === undefined || op === 0) this.add(false);
    else if (op === 1) this.add(true);
    else if (op === 2 && !entry.isDirectory) this.tree.set(path, { ...entry, size: entry.size + 1, version: ++this.#version });
    else if (op === 3) this.#remove(path);
    else if (op === 4) {
      this.#remove(path); // replaced by the other kind
      this.tree.set(path, { isDirectory: !entry.isDirectory, size: 7, version: ++this.#version });
      if (!entry.isDirectory && this.chance(0.5)) this.add(false, path);
    } else this.add(this.chance(0.3));
  }
}

function rowOf(path: string, e: Entry, deleted = false): FileRow {
  const mtimeNs = 1_700_000_000_000_000_000n + BigInt(e.version);
  return {
    path: Buffer.from(path, "latin1"),
    type: e.isDirectory ? EntryType.directory : EntryType.file,
    size: e.size,
    mtimeNs,
    ctimeNs: mtimeNs,
    inode: e.version,
    mode: 0o644,
    chunkOffset: 0,
    itemOffset: 0,
    deleted,
  };
}

/** The rows a client writes for `now`, given the tree as of its base (null for a full). */
function rowsFor(base: Tree | null, now: Tree, topmostOnly: boolean): FileRow[] {
  const rows: FileRow[] = [];
  for (const [path, e] of now) {
    const old = base?.get(path);
    if (old === undefined || old.isDirectory !== e.isDirectory || old.version !== e.version) rows.push(rowOf(path, e));
  }
  for (const [path, e] of base ?? []) {
    if (now.has(path)) continue;
    const parent = parentOf(path);
    if (topmostOnly && parent !== "" && now.get(parent)?.isDirectory !== true) continue;
    rows.push(rowOf(path, e, true));
  }
  return rows;
}

interface Taken {
  id: number;
  tree: Tree;
}

function backUp(catalog: Catalog, level: Level, base: Taken | null, tree: Tree, topmostOnly: boolean, n: number): Taken {
  const { id } = catalog.addSaveset({
    uuid: n.toString(16).padStart(32, "0"), task: "t", client: "c", level, parentId: base?.id ?? null,
    backupDay: "2026-03-01", endOfLife: new Date(2e12), encrypted: false,
  });
  const writer = catalog.fileIndexWriter(id);
  for (const row of rowsFor(base?.tree ?? null, tree, topmostOnly)) writer.add(row);
  writer.finish();
  catalog.finishSaveset(id, { status: "complete", files: 0, bytes: 0 });
  return { id, tree: new Map(tree) };
}

const key = (path: Uint8Array): string => Buffer.from(path).toString("latin1");
const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a, "latin1"), Buffer.from(b, "latin1"));

function check(catalog: Catalog, taken: Taken, everyPath: Set<string>, label: string): void {
  const expected = [...taken.tree].map(([p, e]) => [p, e.isDirectory, e.size] as const).sort((a, b) => byBytes(a[0], b[0]));
  const walked: (readonly [string, boolean, number])[] = [];
  catalog.forEachFile(taken.id, (r) => walked.push([key(r.path), r.type === EntryType.directory, r.size]));
  assert.deepEqual(walked.sort((a, b) => byBytes(a[0], b[0])), expected, `${label}: forEachFile`);
  for (const dir of ["", ...everyPath]) {
    const isDir = dir === "" || taken.tree.get(dir)?.isDirectory === true;
    const children = isDir ? expected.filter(([p]) => parentOf(p) === dir).map(([p, , size]) => [p, size]) : [];
    const listed = catalog.listDirectory(taken.id, Buffer.from(dir, "latin1")).map((r) => [key(r.path), r.size]);
    assert.deepEqual(listed, children, `${label}: listDirectory ${JSON.stringify(dir)}`);
  }
  for (const path of everyPath) {
    const found = catalog.findEntry(taken.id, Buffer.from(path, "latin1"));
    assert.equal(found === null ? null : found.size, taken.tree.get(path)?.size ?? null, `${label}: findEntry ${JSON.stringify(path)}`);
  }
}

function scenario(catalog: Catalog, seed: number): void {
  catalog.putClient({ name: "c", certFingerprint: null });
  catalog.putPool({ name: "p", retentionDays: 1, driveGroup: "g", mediumSize: 1 });
  catalog.putTask({ name: "t", client: "c", paths: ["/"], excludes: [], pool: "p" });
  const world = new World(seed);
  for (let i = 0; i < 30; i++) world.add(world.chance(0.35));
  const everyPath = new Set<string>();
  const taken: Taken[] = [];
  let lastFull: Taken | null = null;
  for (let n = 1; n <= 7; n++) {
    if (n > 1) for (let k = Math.floor(world.pick([1, 2, 4, 8])); k > 0; k--) world.mutate();
    for (const p of world.tree.keys()) everyPath.add(p);
    const level: Level = n === 1 || world.chance(0.1) ? "full" : world.chance(0.3) ? "diff" : "incr";
    const base = level === "full" ? null : level === "diff" ? lastFull : taken[taken.length - 1]!;
    const saved = backUp(catalog, level, base, world.tree, world.chance(0.5), n);
    if (level === "full") lastFull = saved;
    taken.push(saved);
  }
  taken.forEach((t, i) => check(catalog, t, everyPath, `seed ${seed}, saveset ${i + 1}`));
}

test("listDirectory, findEntry and forEachFile read every saveset of random chains as its tree was", () => {
  for (let seed = 1; seed <= 24; seed++) withCatalog((catalog) => scenario(catalog, seed));
});
