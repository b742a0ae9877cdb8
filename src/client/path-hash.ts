/** Hashes of stored paths the restorer keys on (no strings kept per file). */
/** Picks a writer thread by parent directory, so that one directory is written by one thread. */
export function directoryKey(rel: Buffer): number {
  const end = rel.lastIndexOf(0x2f);
  let hash = 2166136261;
  for (let i = 0; i < end; i++) hash = Math.imul(hash ^ rel[i]!, 16777619);
  return hash >>> 0;
}

/** A 53-bit hash of a path (two FNV-1a variants): a collision needs about 10^8 paths to be likely. */
export function pathHash(path: Uint8Array): number {
  let a = 2166136261;
  let b = 0x9747b28c;
  for (let i = 0; i < path.length; i++) {
    a = Math.imul(a ^ path[i]!, 16777619);
    b = Math.imul(b ^ path[i]!, 0x5bd1e995);
  }
  return (a >>> 0) * 0x200000 + ((b >>> 0) >>> 11);
}
