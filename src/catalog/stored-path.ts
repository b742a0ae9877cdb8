import { catalogError } from "./errors.js";

const SLASH = 0x2f;
const DOT = 0x2e;
const EMPTY = new Uint8Array(0);

/** Why `path` breaks the rules of format.md §5.5 for stored paths, or null when it keeps them. */
function problemOf(path: Uint8Array): string | null {
  if (path.length === 1 && path[0] === DOT) return null;
  let start = 0;
  for (let i = 0; i <= path.length; i++) {
    const byte = i < path.length ? path[i] : SLASH;
    if (byte === 0) return "it contains a NUL byte";
    if (byte !== SLASH) continue;
    const length = i - start;
    if (length === 0) return i === 0 ? 'it is empty or starts with "/"' : 'it has an empty component (a "/" at the end or "//")';
    if (path[start] === DOT && (length === 1 || (length === 2 && path[start + 1] === DOT))) return 'it has a "." or ".." component';
    start = i + 1;
  }
  return null;
}

/** A path for messages: UTF-8 where it is, U+FFFD for bytes that are not. */
export function shownPath(path: Uint8Array): string {
  return JSON.stringify(Buffer.from(path.buffer, path.byteOffset, path.byteLength).toString("utf8"));
}

/** Throws CATALOG_BAD_PATH unless `path` is a stored path (relative, no empty, "." or ".." components; or "."). */
export function checkStoredPath(path: Uint8Array, purpose: string): void {
  if (!(path instanceof Uint8Array)) throw catalogError("CATALOG_BAD_PATH", `Cannot ${purpose}: the path is not bytes`, {});
  const problem = problemOf(path);
  if (problem !== null) {
    throw catalogError("CATALOG_BAD_PATH", `Cannot ${purpose} ${shownPath(path)}: ${problem}`, { path: Buffer.from(path).toString("hex") });
  }
}

/** Like checkStoredPath, but the empty path (the root directory) is allowed too. */
export function checkDirectoryPath(path: Uint8Array, purpose: string): void {
  if (path instanceof Uint8Array && path.length === 0) return;
  checkStoredPath(path, purpose);
}

/** Splits a stored path at its last "/": the directory ("" at the root) and the name. */
export function splitPath(path: Uint8Array): { dir: Uint8Array; name: Uint8Array } {
  const slash = path.lastIndexOf(SLASH);
  return slash < 0 ? { dir: EMPTY, name: path } : { dir: path.subarray(0, slash), name: path.subarray(slash + 1) };
}

/** The components of a directory path ("" has none), as views into it. */
export function componentsOf(dir: Uint8Array): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i <= dir.length; i++) {
    if (i === dir.length || dir[i] === SLASH) {
      if (i > start) parts.push(dir.subarray(start, i));
      start = i + 1;
    }
  }
  return parts;
}
