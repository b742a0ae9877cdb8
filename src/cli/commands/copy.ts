import { Command } from "commander";
import type { JobView } from "../../api/index.js";
import { ReelError } from "../../errors/index.js";
import { ApiClient } from "../api-client.js";
import type { CliContext } from "../context.js";
import { runAndFollow } from "../render/job-follow.js";
import { withServer } from "./server-options.js";

interface SelectionOptions {
  to: string;
  task?: string;
  pool?: string;
  since?: string;
  until?: string;
  notCopiedTo?: string;
  alive: boolean;
  saveset?: string[];
  demux: boolean;
  json: boolean;
  server?: string;
  token?: string;
}

/** `reel copy`, `reel migrate`, `reel compact`: copy jobs, run now and waited for. */
export function copyCommands(program: Command, ctx: CliContext): void {
  program.addCommand(selectionCommand(ctx, "copy", "copy savesets to other pools (a chain of copy stages) and wait for it", false));
  program.addCommand(selectionCommand(ctx, "migrate", "move savesets to other pools: copy them, then drop the copies they were read from", true));
  program.addCommand(
    withServer(new Command("compact"))
      .description("move the live savesets off a pool's full media that hold less live data than the threshold, and expire those media")
      .requiredOption("--pool <name>", "the pool to compact")
      .option("--threshold <fraction>", "compact media whose live bytes are below this fraction of what they hold", "0.5")
      .option("--json", "print the job as JSON", false)
      .action(async (o: { pool: string; threshold: string; json: boolean; server?: string; token?: string }) => {
        const threshold = Number(o.threshold);
        if (!(threshold > 0 && threshold <= 1)) throw new ReelError("CLI_BAD_ARGUMENT", `--threshold "${o.threshold}" must be a fraction above 0 and at most 1 (for example 0.5)`);
        const api = ApiClient.from(ctx, o);
        report(ctx, "compaction", await runAndFollow(ctx, api, () => api.call<JobView>("POST", "/compactions", { pool: o.pool, threshold }), o.json), o.json);
      }),
  );
}

function selectionCommand(ctx: CliContext, name: "copy" | "migrate", description: string, move: boolean): Command {
  return withServer(new Command(name))
    .description(description)
    .requiredOption("--to <pools>", "the pools of the copy stages, in chain order: POOL[,POOL]")
    .option("--task <name>", "only savesets of this task")
    .option("--pool <name>", "only savesets with a copy in this pool (read from there)")
    .option("--since <day>", "only savesets of this backup day (YYYY-MM-DD) or later")
    .option("--until <day>", "only savesets of this backup day (YYYY-MM-DD) or earlier")
    .option("--not-copied-to <pool>", "only savesets with no copy in this pool yet")
    .option("--alive", "only savesets whose end of life has not passed", false)
    .option("--saveset <id...>", "only these savesets")
    .option("--demux", "write each saveset contiguously (one after another) instead of reading each volume once", false)
    .option("--json", "print the job as JSON", false)
    .action(async (o: SelectionOptions) => {
      const body = {
        to: o.to.split(",").map((p) => p.trim()).filter((p) => p !== ""),
        ...(o.task === undefined ? {} : { task: o.task }),
        ...(o.pool === undefined ? {} : { pool: o.pool }),
        ...(o.since === undefined ? {} : { since: o.since }),
        ...(o.until === undefined ? {} : { until: o.until }),
        ...(o.notCopiedTo === undefined ? {} : { notCopiedTo: o.notCopiedTo }),
        ...(o.alive ? { alive: true } : {}),
        ...(o.saveset === undefined ? {} : { savesets: o.saveset.flatMap((s) => s.split(",")).map(savesetId) }),
        mode: o.demux ? "demux" : "multiplex",
        move,
      };
      const api = ApiClient.from(ctx, o);
      report(ctx, name === "copy" ? "copy" : "migration", await runAndFollow(ctx, api, () => api.call<JobView>("POST", "/copies", body), o.json), o.json);
    });
}

function savesetId(text: string): number {
  const id = Number(text);
  if (!Number.isSafeInteger(id) || id < 1) throw new ReelError("CLI_BAD_ARGUMENT", `--saveset "${text}" is not a saveset id`);
  return id;
}

/** The job's summary line; exit 1 when some savesets were done and others failed, 2 when none was. */
function report(ctx: CliContext, what: string, job: JobView, json: boolean): void {
  if (json) ctx.stdout.write(`${JSON.stringify({ job })}\n`);
  else if (job.state === "done") ctx.stdout.write(`${what} job ${job.id}: ${job.message ?? ""}\n`);
  if (job.state !== "done") {
    ctx.stderr.write(`reel: ${what} job ${job.id} ${job.state}: ${job.message ?? ""}\n`);
    ctx.exit(job.files > 0 ? 1 : 2);
  }
}
