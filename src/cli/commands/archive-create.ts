import { closeSync, fstatSync, unlinkSync } from "node:fs";
import { resolve } from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import { ReelError } from "../../errors/index.js";
import type { CliContext } from "../context.js";
import { readPassphrase } from "../passphrase.js";

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function integer(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
    return n;
  };
}


/** `reel archive create`. */
export function archiveCreateCommand(parent: Command, ctx: CliContext): void {
  parent
    .command("create")
    .description("archive PATHs (stored as given, relative to -C, like tar)")
    .requiredOption("-f, --file <file>", "archive to write, - for standard output")
    .option("-C, --directory <dir>", "change to DIR before reading PATHs", ".")
    .addOption(new Option("--compress <algorithm>", "compression of chunks").choices(["zstd", "none"]).default("zstd"))
    .option("--level <n>", "zstd level (1 fast … 19 small)", integer(1, 19), 3)
    .option("--encrypt", "encrypt with a passphrase (REEL_PASSPHRASE or asked)", false)
    .option("--exclude <pattern>", "leave out matching names (glob; repeatable)", collect, [])
    .option("--block-size <bytes>", "block size of the medium", integer(4096, 16 * 1024 * 1024), 64 * 1024)
    .argument("<path...>", "files and directories to archive")
    .action(async (paths: string[], o: { file: string; directory: string; compress: "zstd" | "none"; level: number; encrypt: boolean; exclude: string[]; blockSize: number }) => {
      const { BufferRecycler, createArchive, FileBlockOutput, openArchiveFile, StreamBlockOutput } = await import("../../client/index.js");
      const { TerminalReporter } = await import("../render/terminal-reporter.js");
      const { isValidBlockSize } = await import("../../format/index.js");
      if (!isValidBlockSize(o.blockSize)) throw new ReelError("CLI_BAD_ARGUMENT", `Cannot use block size ${o.blockSize}: it must be a multiple of 4096`);
      const passphrase = o.encrypt ? readPassphrase(ctx.env, { confirm: true }) : null;
      const toStdout = o.file === "-";
      const target = resolve(ctx.cwd, o.file);
      let fd = -1;
      let isDirect = false;
      if (!toStdout) {
        try {
          // Around the page cache (O_DIRECT) unless REEL_NO_DIRECT_IO=1: the cache's copy of the data costs more CPU than reel's work.
          ({ fd, isDirect } = openArchiveFile(target, { direct: ctx.env["REEL_NO_DIRECT_IO"] !== "1" }));
        } catch (error) {
          throw new ReelError("CLI_CANNOT_WRITE", `Cannot create archive "${o.file}": ${(error as Error).message}`);
        }
      }
      const blocks = new BufferRecycler(o.blockSize, { aligned: isDirect });
      const output = toStdout
        ? new StreamBlockOutput(ctx.stdout, "standard output")
        : new FileBlockOutput(fd, `archive "${o.file}"`, (memory) => blocks.give(memory), { direct: isDirect });
      const reporter = new TerminalReporter(ctx.stderr, ctx.nowMs);
      try {
        const summary = await createArchive({
          root: resolve(ctx.cwd, o.directory), paths, excludes: o.exclude, compression: o.compress, level: o.level, passphrase,
          blockSize: o.blockSize, output, reporter, now: ctx.now(), randomId: ctx.randomId, threads: ctx.threads,
          estimateTotals: ctx.stderr.isTTY === true, blockRecycler: blocks,
          ...(fd >= 0 ? { skip: (({ dev, ino }) => ({ dev, ino }))(fstatSync(fd)) } : {}),
        });
        reporter.stop();
        if (summary.errors > 0) {
          ctx.stderr.write(`reel: ${summary.errors} file(s) could not be read completely; the archive holds the rest\n`);
          ctx.exit(1);
        }
      } catch (error) {
        reporter.stop();
        // A half-written archive is not an archive: remove it rather than leave it looking whole.
        if (!toStdout) {
          try { closeSync(fd); } catch { /* closed already */ }
          try { unlinkSync(target); } catch { /* gone already */ }
        }
        throw error;
      }
    });
}
