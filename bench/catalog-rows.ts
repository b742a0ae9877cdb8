/**
 * The synthetic file index of the catalog benchmarks (bench/catalog-index.ts, bench/net-browse.ts):
 * a home server's tree of `rows` entries with one directory of `bigDir` files, and an incremental
 * that changes, deletes and adds files in that directory.
 */
import type { FileRow } from "../src/catalog/index.js";

const BASE_NS = 1_700_000_000_000_000_000n;

export function fileRow(path: string, index: number, isDirectory: boolean): FileRow {
  const mtimeNs = BASE_NS + BigInt(index) * 1_234_567_891n + BigInt((index * 7919) % 1_000_000_000);
  return {
    path: Buffer.from(path),
    type: isDirectory ? 2 : 1,
    size: isDirectory ? 4096 : (index * 2654435761) % 200_000,
    mtimeNs,
    ctimeNs: index % 3 === 0 ? mtimeNs + 86_400_000_000_000n : mtimeNs,
    inode: 5_000_000 + index,
    mode: isDirectory ? 0o40755 : 0o100644,
    chunkOffset: Math.floor(index / 40) * 1_050_000,
    itemOffset: (index % 40) * 180,
    deleted: false,
  };
}

/** A tree like a home server's: one directory of BIG_DIR_ENTRIES files, then users' projects. */
export function* fullRows(ROWS: number, BIG_DIR_ENTRIES: number): Generator<FileRow> {
  let i = 0;
  yield fileRow("srv", i++, true);
  yield fileRow("srv/big", i++, true);
  for (let k = 0; k < BIG_DIR_ENTRIES; k++) yield fileRow(`srv/big/photo-${String(k).padStart(6, "0")}.jpg`, i++, false);
  yield fileRow("home", i++, true);
  for (let user = 0; i < ROWS; user++) {
    const home = `home/user${user}`;
    yield fileRow(home, i++, true);
    for (let project = 0; project < 12 && i < ROWS; project++) {
      const root = `${home}/project-${project}`;
      yield fileRow(root, i++, true);
      yield fileRow(`${root}/src`, i++, true);
      for (let f = 0; f < 30 && i < ROWS; f++) yield fileRow(`${root}/src/module_${f}_${(f * 7919) % 1000}.ts`, i++, false);
      if (i < ROWS) yield fileRow(`${root}/README.md`, i++, false);
    }
  }
}

/** An incremental: files changed, deleted and added in the big directory. */
export function* incrementalRows(ROWS: number): Generator<FileRow> {
  for (let k = 0; k < 5000; k++) yield { ...fileRow(`srv/big/photo-${String(k * 7).padStart(6, "0")}.jpg`, ROWS + k, false), size: 1 };
  for (let k = 0; k < 1000; k++) yield { ...fileRow(`srv/big/photo-${String(k * 11 + 3).padStart(6, "0")}.jpg`, 0, false), deleted: true };
  for (let k = 0; k < 4000; k++) yield fileRow(`srv/big/new-${String(k).padStart(5, "0")}.jpg`, ROWS + 5000 + k, false);
}

