#!/usr/bin/env node
/**
 * The `reel` command's composition root: the only place that reads argv, the environment and
 * the clock, and turns errors into messages and exit codes (0 ok, 1 done with problems, 2 failed).
 */
import nodeModule from "node:module";
import { availableParallelism } from "node:os";
import { Command, CommanderError } from "commander";
import { isReelError } from "../errors/index.js";
import type { CliContext } from "./context.js";
import { addVerbs } from "./verbs.js";

// Node 22+ keeps compiled code between runs (the verbs' modules load after this line); older Node lacks it.
(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();

function threadsFrom(setting: string | undefined): number {
  const n = Number(setting);
  return setting !== undefined && setting !== "" && Number.isInteger(n) && n >= 0 ? Math.min(n, 16) : Math.max(1, Math.min(4, availableParallelism()));
}

async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const ctx: CliContext = {
    env: process.env,
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
    now: () => new Date(),
    nowMs: () => Date.now(),
    // Web Crypto: loaded on first use, not at start-up like node:crypto.
    randomId: () => crypto.getRandomValues(new Uint8Array(16)),
    isRoot: process.geteuid?.() === 0,
    // REEL_THREADS tunes the helper threads (0: everything on the main thread).
    threads: threadsFrom(process.env["REEL_THREADS"]),
    exit: (code) => (exitCode = Math.max(exitCode, code)),
  };
  const program = new Command("reel")
    .description("network backup and recovery on an open, documented media format")
    .version("0.1.0")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  // Only the module of the verb that runs is loaded (verbs.ts).
  await addVerbs(program, ctx, argv[2]);
  for (const c of program.commands) {
    c.exitOverride();
    for (const sub of c.commands) sub.exitOverride();
  }
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (isReelError(error)) {
      // The code is how docs/errors.md is searched.
      process.stderr.write(`reel: ${error.message} [${error.code}]\n`);
      return 2;
    }
    process.stderr.write(`reel: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 2;
  }
  return exitCode;
}

process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
});
const code = await main(process.argv);
process.exitCode = code;
