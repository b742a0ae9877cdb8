import { resolve } from "node:path";
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { readPassphrase } from "../passphrase.js";
/** `reel archive verify`. */
export function archiveVerifyCommand(parent: Command, ctx: CliContext): void {
  parent
    .command("verify")
    .description("read the whole archive and check every checksum; exit 0 only if it is intact")
    .requiredOption("-f, --file <file>", "archive to read, - for standard input")
    .action(async (o: { file: string }) => {
      const { archiveProblems, blocksFromStream, displayPath, MediumFile, nodeCodecs, readSequentially } = await import("../../client/index.js");
      const { TerminalReporter } = await import("../render/terminal-reporter.js");
      const codecs = nodeCodecs();
      const hasPassphrase = (ctx.env["REEL_PASSPHRASE"] ?? "") !== "" || ctx.stdin.isTTY;
      const medium = o.file === "-" ? null : MediumFile.open(resolve(ctx.cwd, o.file), codecs);
      let entries = 0;
      const damaged = new Set<number>();
      const reporter = new TerminalReporter(ctx.stderr, ctx.nowMs);
      let names = new Map<number, string>();
      let result;
      try {
        result = await readSequentially(medium ?? blocksFromStream(ctx.stdin), {
          codecs,
          passphrase: () => (hasPassphrase ? readPassphrase(ctx.env, { confirm: false }) : null),
          skipEncrypted: !hasPassphrase,
          handlers: {
            entry: (e) => {
              entries++;
              names.set(e.number, displayPath(e.path));
              if (names.size > 1000) names = new Map([[e.number, displayPath(e.path)]]);
            },
            damage: (d) => {
              if (d.entryNumber !== null && !damaged.has(d.entryNumber)) {
                damaged.add(d.entryNumber);
                reporter.error(`"${names.get(d.entryNumber) ?? `entry ${d.entryNumber}`}": damaged (${d.message})`);
              }
            },
            lostEntry: (e) => reporter.error(`"${displayPath(e.path)}": lost, its entry lay in a damaged part of the archive`),
          },
        });
      } finally {
        reporter.stop();
        medium?.close();
      }
      const problems = archiveProblems(result);
      if (result.head?.encryption != null && !hasPassphrase) ctx.stderr.write("reel: encrypted archive checked by its block and record checksums only (no passphrase: contents and the keyed digest not checked)\n");
      for (const p of problems) ctx.stderr.write(`reel: ${p}\n`);
      if (problems.length > 0) {
        ctx.stderr.write(`reel: archive "${o.file}" is NOT intact\n`);
        ctx.exit(1);
      } else {
        ctx.stdout.write(`archive "${o.file}" is intact: ${result.trailer?.trailer.entryCount ?? entries} entries, ${result.trailer?.trailer.dataBytes ?? 0} data bytes, ${result.blocks} blocks\n`);
      }
    });
}
