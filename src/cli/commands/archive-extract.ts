import { mkdirSync, realpathSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { readPassphrase } from "../passphrase.js";
/** `reel archive extract`. */
export function archiveExtractCommand(parent: Command, ctx: CliContext): void {
  parent
    .command("extract")
    .description("extract the whole archive, or the named PATHs (a directory selects its subtree)")
    .requiredOption("-f, --file <file>", "archive to read, - for standard input")
    .option("-C, --directory <dir>", "extract under DIR", ".")
    .option("--numeric-owner", "restore owners by number, not by name", false)
    .argument("[path...]", "members to extract")
    .action(async (paths: string[], o: { file: string; directory: string; numericOwner: boolean }) => {
      const { blocksFromStream, extractArchive, MediumFile, nodeCodecs } = await import("../../client/index.js");
      const { TerminalReporter } = await import("../render/terminal-reporter.js");
      const codecs = nodeCodecs();
      const destPath = resolve(ctx.cwd, o.directory);
      mkdirSync(destPath, { recursive: true });
      const dest = Buffer.from(realpathSync(destPath));
      const reporter = new TerminalReporter(ctx.stderr, ctx.nowMs);
      const medium = o.file === "-" ? null : MediumFile.open(resolve(ctx.cwd, o.file), codecs);
      try {
        const summary = await extractArchive({
          source: medium ?? blocksFromStream(ctx.stdin), dest, paths, numericOwner: o.numericOwner, isRoot: ctx.isRoot,
          passphrase: () => readPassphrase(ctx.env, { confirm: false }), reporter, codecs, writerThreads: ctx.threads,
        });
        reporter.stop();
        for (const p of summary.notFound) {
          ctx.stderr.write(`reel: "${p}": not found in archive\n`);
          ctx.exit(1);
        }
        for (const p of summary.problems) ctx.stderr.write(`reel: ${p}\n`);
        if (summary.problems.length > 0 || summary.counts.damaged > 0 || summary.counts.failed > 0 || summary.lostEntries > 0) {
          ctx.stderr.write(`reel: extraction incomplete: ${summary.counts.restored} restored, ${summary.counts.damaged} damaged, ${summary.lostEntries} lost, ${summary.counts.failed} failed\n`);
          ctx.exit(1);
        }
      } finally {
        reporter.stop();
        medium?.close();
      }
    });
}
