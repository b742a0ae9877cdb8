import { Command } from "commander";
import type { JobView, SavesetView } from "../../api/index.js";
import { ApiClient } from "../api-client.js";
import type { CliContext } from "../context.js";
import { humanBytes, runAndFollow } from "../render/job-follow.js";
import { withServer } from "./server-options.js";

/** `reel backup`: runs a task's backup now and waits for it. */
export function backupCommand(ctx: CliContext): Command {
  return withServer(new Command("backup"))
    .description("back up a task now and wait for it (with PATHs, creates the task if it does not exist)")
    .requiredOption("--task <name>", "the task")
    .option("--client <name>", "the client agent (for a new task; default localhost)")
    .option("--level <level>", "full | diff | incr", "full")
    .option("--exclude <pattern...>", "exclude patterns (for a new task)")
    .option("--compress <how>", "zstd | none (for a new task)", "none")
    .option("--compress-level <n>", "zstd level 1–19 (for a new task)", "3")
    .option("--json", "print the saveset as JSON", false)
    .argument("[paths...]", "absolute paths to back up (for a new task)")
    .action(async (paths: string[], o: { task: string; client?: string; level: string; exclude?: string[]; compress: string; compressLevel: string; json: boolean; server?: string; token?: string }) => {
      const api = ApiClient.from(ctx, o);
      const body = {
        task: o.task, level: o.level, ...(o.client === undefined ? {} : { client: o.client }),
        ...(paths.length === 0 ? {} : { paths: paths.map((p) => (p.startsWith("/") ? p : `${ctx.cwd}/${p}`)) }),
        ...(o.exclude === undefined ? {} : { excludes: o.exclude }),
        ...(paths.length === 0 ? {} : { compression: o.compress, compressionLevel: Number(o.compressLevel) }),
      };
      const job = await runAndFollow(ctx, api, () => api.call<JobView>("POST", "/backups", body), o.json);
      const saveset = job.saveset === null ? null : await api.call<SavesetView>("GET", `/savesets/${job.saveset}`);
      if (o.json) ctx.stdout.write(`${JSON.stringify({ saveset, job })}\n`);
      else if (job.state === "done" && saveset !== null) ctx.stdout.write(`saveset ${saveset.id} (${saveset.level}, task ${saveset.task}): ${saveset.files} files, ${humanBytes(saveset.bytes)}${job.errors > 0 ? `, ${job.errors} errors` : ""}\n`);
      if (job.state !== "done") {
        ctx.stderr.write(`reel: backup job ${job.id} ${job.state}: ${job.message ?? ""}\n`);
        ctx.exit(job.state === "failed" && saveset !== null && saveset.status === "complete" ? 1 : 2);
      } else if (job.errors > 0) ctx.exit(1);
    });
}
