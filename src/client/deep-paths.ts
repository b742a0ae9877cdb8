import { closeSync, constants, openSync } from "node:fs";

/** Above this many bytes a path is reached through an open directory descriptor (PATH_MAX is 4096). */
const DIRECT_LIMIT = 3800;
const SEGMENT_LIMIT = 3000;
const CACHE_SIZE = 16;

/**
 * Turns a relative path under a base directory into a path the system calls accept, however
 * deep: beyond about 3.8 KB it opens the directory of a prefix (O_NOFOLLOW, component by
 * segment) and returns `/proc/self/fd/N/rest`. Callers must have checked that the prefix holds
 * no symlinks (the restorer does, component by component).
 */
export class DeepPaths {
  readonly #base: Buffer;
  readonly #cache = new Map<string, number>();

  constructor(base: Buffer) {
    this.#base = base;
  }

  resolve(relative: Buffer): Buffer {
    if (relative.length === 0) return this.#base;
    if (this.#base.length + 1 + relative.length <= DIRECT_LIMIT) return Buffer.concat([this.#base, Buffer.from("/"), relative]);
    // Cut at the last "/" that keeps the rest under the limit, reach the prefix through its descriptor.
    let cut = relative.lastIndexOf(0x2f, relative.length - 1);
    while (cut > 0 && relative.length - cut - 1 < SEGMENT_LIMIT) {
      const earlier = relative.lastIndexOf(0x2f, cut - 1);
      if (earlier <= 0 || relative.length - earlier - 1 >= SEGMENT_LIMIT) break;
      cut = earlier;
    }
    if (cut <= 0) return Buffer.concat([this.#base, Buffer.from("/"), relative]);
    const prefix = relative.subarray(0, cut);
    const fd = this.#directory(prefix);
    return Buffer.concat([Buffer.from(`/proc/self/fd/${fd}/`), relative.subarray(cut + 1)]);
  }

  #directory(prefix: Buffer): number {
    const key = prefix.toString("latin1");
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached;
    const fd = openSync(this.resolve(prefix), constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    if (this.#cache.size >= CACHE_SIZE) {
      const [oldKey, oldFd] = this.#cache.entries().next().value as [string, number];
      this.#cache.delete(oldKey);
      closeSync(oldFd);
    }
    this.#cache.set(key, fd);
    return fd;
  }

  /** Forgets cached descriptors of `prefix` and everything under it (after a replace). */
  forget(prefix: Buffer): void {
    const key = prefix.toString("latin1");
    for (const [k, fd] of this.#cache) {
      if (k === key || k.startsWith(key + "/")) {
        this.#cache.delete(k);
        closeSync(fd);
      }
    }
  }

  close(): void {
    for (const fd of this.#cache.values()) closeSync(fd);
    this.#cache.clear();
  }
}
