#!/usr/bin/env node
/**
 * The `reel` command's composition root: the only place that reads argv, the environment and
 * the clock, and turns errors into messages and exit codes (0 ok, 1 done with problems, 2 failed).
 */
import { randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import { Command, CommanderError } from "commander";
import { isReelError } from "../errors/index.js";
import { archiveCommand } from "./commands/archive.js";
import { backupCommand } from "./commands/backup.js";
import { browseCommands } from "./commands/browse.js";
import { copyCommands } from "./commands/copy.js";
import { applyCommand, calendarCommand, startCommand } from "./commands/calendar.js";
import { daemonCommands } from "./commands/daemons.js";
import { driveCommand } from "./commands/drive.js";
import { mediaCommand } from "./commands/media.js";
import { mediaScanCommands } from "./commands/media-scan.js";
import { poolCommands } from "./commands/pools.js";
import { restoreCommand } from "./commands/restore.js";
import { taskCommands } from "./commands/tasks.js";
import { tokenCommand } from "./commands/token.js";
import { tourCommand } from "./commands/tour.js";
import type { CliContext } from "./context.js";

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
    randomId: () => randomBytes(16),
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
  program.addCommand(archiveCommand(ctx));
  program.addCommand(tourCommand(ctx));
  daemonCommands(program, ctx);
  program.addCommand(tokenCommand(ctx));
  program.addCommand(backupCommand(ctx));
  program.addCommand(restoreCommand(ctx));
  browseCommands(program, ctx);
  poolCommands(program, ctx);
  copyCommands(program, ctx);
  taskCommands(program, ctx);
  program.addCommand(driveCommand(ctx));
  const media = mediaCommand(ctx);
  mediaScanCommands(media, ctx);
  program.addCommand(media);
  program.addCommand(calendarCommand(ctx));
  program.addCommand(applyCommand(ctx));
  program.addCommand(startCommand(ctx));
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
