import { resolve } from "node:path";
import { Command } from "commander";
import type { JobView } from "../../api/index.js";
import { ReelError } from "../../errors/index.js";
import { ApiClient } from "../api-client.js";
import type { CliContext } from "../context.js";
import { humanBytes, runAndFollow } from "../render/job-follow.js";
import { withServer } from "./server-options.js";

/** `reel restore`: restores a saveset as of that saveset (its chain resolved), and waits. */
export function restoreCommand(ctx: CliContext): Command {
  return withServer(new Command("restore"))
    .description("restore a saveset (full → diff → incr resolved) under --target, or --in-place")
    .argument("<saveset>", "saveset id")
    .argument("[paths...]", "absolute paths as backed up (a directory selects its subtree); default everything")
    .option("--target <dir>", "restore root: /home/a/x goes to DIR/home/a/x")
    .option("--in-place", "restore to the original paths", false)
    .option("--overwrite <when>", "existing files: never | older | always (default: always under --target, older in place)")
    .option("--client <name>", "restore on another client agent")
    .option("--pool <name>", "read the copy in this pool (default: the best copy, others filling in what it lost)")
    .option("--json", "print the job as JSON", false)
    .action(async (saveset: string, paths: string[], o: { target?: string; inPlace: boolean; overwrite?: string; client?: string; pool?: string; json: boolean; server?: string; token?: string }) => {
      const id = Number(saveset);
      if (!Number.isSafeInteger(id) || id < 1) throw new ReelError("CLI_BAD_ARGUMENT", `Saveset "${saveset}" is not a saveset id (see reel savesets)`);
      if (o.target === undefined && !o.inPlace) throw new ReelError("CLI_BAD_ARGUMENT", "Give --target DIR, or --in-place to restore to the original paths");
      const api = ApiClient.from(ctx, o);
      const body = {
        saveset: id, paths, inPlace: o.inPlace, ...(o.target === undefined ? {} : { target: resolve(ctx.cwd, o.target) }),
        ...(o.overwrite === undefined ? {} : { overwrite: o.overwrite }), ...(o.client === undefined ? {} : { client: o.client }),
        ...(o.pool === undefined ? {} : { pool: o.pool }),
      };
      const job = await runAndFollow(ctx, api, () => api.call<JobView>("POST", "/restores", body), o.json);
      if (o.json) ctx.stdout.write(`${JSON.stringify({ job })}\n`);
      else if (job.state === "done") ctx.stdout.write(`restored ${job.files} files, ${humanBytes(job.bytes)}\n`);
      if (job.state !== "done") {
        ctx.stderr.write(`reel: restore job ${job.id} ${job.state}: ${job.message ?? ""}\n`);
        ctx.exit(job.files > 0 ? 1 : 2);
      }
    });
}
