import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Catalog } from "./catalog.js";
import type { Clock } from "./types.js";

/** Test support: a clock that stands still until told to move. */
export class FakeClock implements Clock {
  #ms: number;

  constructor(start: Date | string) {
    this.#ms = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.#ms);
  }

  advance(ms: number): void {
    this.#ms += ms;
  }
}

/** Test support: a directory in the system's temp dir, removed by `dispose()`. */
export function tempDir(): { path: string; dispose(): void } {
  const path = mkdtempSync(join(tmpdir(), "reel-"));
  return { path, dispose: () => rmSync(path, { recursive: true, force: true }) };
}

/** Test support: runs `fn` with a new catalog in a temp dir, then closes and removes it. */
export function withCatalog<T>(fn: (catalog: Catalog, clock: FakeClock, path: string) => T, clock = new FakeClock("2026-03-01T12:00:00Z")): T {
  const dir = tempDir();
  const path = join(dir.path, "catalog.db");
  const catalog = Catalog.open(path, clock);
  try {
    return fn(catalog, clock, path);
  } finally {
    catalog.close();
    dir.dispose();
  }
}
