/** Helpers of the end-to-end tests: run the real `reel` binary, make temp dirs, compare trees. */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const main = join(repoRoot, "dist/src/cli/main.js");

export interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `reel ARGS` (or a shell line with `$REEL` standing for it) and returns its outcome. */
export function reel(args: string[], options: { cwd?: string; env?: Record<string, string>; input?: Buffer } = {}): Run {
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [main, ...args], {
    cwd: options.cwd, env: { ...process.env, ...options.env }, encoding: "utf8", input: options.input, maxBuffer: 256 * 1024 * 1024,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function shell(line: string, options: { cwd?: string; env?: Record<string, string> } = {}): Run {
  const r = spawnSync("bash", ["-c", line], { cwd: options.cwd, env: { ...process.env, REEL: `${process.execPath} ${main}`, ...options.env }, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A temporary directory removed when the test ends. */
export function tempDir(t: TestContext, name = "reel-e2e-"): string {
  const dir = mkdtempSync(join(tmpdir(), name));
  // GNU rm walks trees deeper than PATH_MAX, which fs.rmSync cannot.
  t.after(() => void spawnSync("rm", ["-rf", dir]));
  return dir;
}

export const isRoot = process.getuid?.() === 0;
export const hasCommand = (name: string): boolean => spawnSync("sh", ["-c", `command -v ${name}`]).status === 0;

const verifyTree = join(repoRoot, "../shared/bench/verify-tree.sh");

/** The peer harness's tree comparison (type, mode, owner, content, links, ns times, hard links, sparseness); null if absent. */
export function verifyTrees(a: string, b: string, ignore = ""): Run | null {
  if (!existsSync(verifyTree)) return null;
  const r = spawnSync("bash", [verifyTree, a, b], { encoding: "utf8", env: { ...process.env, VERIFY_IGNORE: ignore } });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Extended attributes (all namespaces) and ACLs of every entry under `dir`, as getfattr prints them. */
export function attributes(dir: string): string {
  const r = spawnSync("bash", ["-c", "getfattr -R -P -h -d -m - --absolute-names . 2>/dev/null | sed '/^$/d'"], { cwd: dir, encoding: "utf8" });
  return r.stdout;
}
