import type { Command } from "commander";
import type { JobView, MediumView } from "../../api/index.js";
import { ApiClient } from "../api-client.js";
import type { CliContext } from "../context.js";
import { runAndFollow } from "../render/job-follow.js";
import { withServer } from "./server-options.js";

type ServerFlags = { json: boolean; server?: string; token?: string };

/** The flags of a subcommand with those its parent took (`reel media --json scan` and `reel media scan --json` alike). */
function flagsOf<T extends ServerFlags>(command: Command): T {
  return command.optsWithGlobals<T>();
}

/**
 * `reel media check LABEL` and `reel media scan --drive DRIVE [LABEL...]`, added to the `media`
 * command: both run as media jobs on the node that owns the drive, and are followed to their end.
 */
export function mediaScanCommands(media: Command, ctx: CliContext): void {
  withServer(media.command("check"))
    .description("read every block of a medium and verify every checksum; damage marks the medium error (exit 1)")
    .argument("<label>", "the medium's label")
    .option("--json", "print the job and the medium as JSON", false)
    .action(async (label: string, _flags: ServerFlags, command: Command) => {
      const o = flagsOf(command);
      const api = ApiClient.from(ctx, o);
      const job = await runAndFollow(ctx, api, () => api.call<JobView>("POST", "/media/check", { label }), o.json);
      const medium = (await api.call<MediumView[]>("GET", "/media")).find((m) => m.label === label) ?? null;
      if (o.json) ctx.stdout.write(`${JSON.stringify({ job, medium })}\n`);
      else if (job.state === "done") ctx.stdout.write(`${job.message ?? ""}\n`);
      if (job.state === "done") return;
      ctx.stderr.write(`reel: media check job ${job.id} ${job.state}: ${job.message ?? ""}\n`);
      // Damage found is a check done with a finding; anything else stopped the check.
      ctx.exit(medium?.state === "error" ? 1 : 2);
    });
  withServer(media.command("scan"))
    .description("rebuild the catalog from a drive's volumes (all, or the LABELs given): media, savesets, copies and file index")
    .requiredOption("--drive <name>", "the drive whose volumes are read")
    .argument("[labels...]", "only these volumes")
    .option("--json", "print the job as JSON", false)
    .action(async (labels: string[], _flags: ServerFlags, command: Command) => {
      const o = flagsOf<ServerFlags & { drive: string }>(command);
      const api = ApiClient.from(ctx, o);
      const body = { drive: o.drive, ...(labels.length === 0 ? {} : { labels }) };
      const job = await runAndFollow(ctx, api, () => api.call<JobView>("POST", "/media/scan", body), o.json);
      if (o.json) ctx.stdout.write(`${JSON.stringify({ job })}\n`);
      else if (job.state === "done") ctx.stdout.write(`${job.message ?? ""}\n`);
      if (job.state !== "done") {
        ctx.stderr.write(`reel: media scan job ${job.id} ${job.state}: ${job.message ?? ""}\n`);
        ctx.exit(2);
      } else if (job.errors > 0) ctx.exit(1);
    });
}
