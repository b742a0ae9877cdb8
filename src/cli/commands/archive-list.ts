import { resolve } from "node:path";
import type { Command } from "commander";
import type { Entry } from "../../format/index.js";
import type { CliContext } from "../context.js";
import { readPassphrase } from "../passphrase.js";
/** `reel archive list`. */
export function archiveListCommand(parent: Command, ctx: CliContext): void {
  parent
    .command("list")
    .description("list the entries of an archive")
    .requiredOption("-f, --file <file>", "archive to read, - for standard input")
    .option("--json", "print a JSON array of entries", false)
    .option("-v, --verbose", "long listing (mode, owner, size, time)", false)
    .action(async (o: { file: string; json: boolean; verbose: boolean }) => {
      const { archiveProblems, blocksFromStream, MediumFile, nodeCodecs, readIndex, readSequentially } = await import("../../client/index.js");
      const { listJson, listText } = await import("../render/entry-list.js");
      const codecs = nodeCodecs();
      const passphrase = (): string => readPassphrase(ctx.env, { confirm: false });
      const entries: Entry[] = [];
      const medium = o.file === "-" ? null : MediumFile.open(resolve(ctx.cwd, o.file), codecs);
      try {
        const index = medium === null ? null : readIndex(medium, codecs, passphrase);
        if (index !== null) {
          for (const row of index.rows) entries.push(row.entry);
        } else {
          const result = await readSequentially(medium ?? blocksFromStream(ctx.stdin), { codecs, passphrase, handlers: { entry: (e) => void entries.push(e) } });
          for (const p of archiveProblems(result)) {
            ctx.stderr.write(`reel: ${p}\n`);
            ctx.exit(1);
          }
        }
      } finally {
        medium?.close();
      }
      ctx.stdout.write(o.json ? listJson(entries) : listText(entries, o.verbose));
    });
}
