import { Command } from "commander";
import type { ClientView, JobView, NodeView, SavesetView } from "../../api/index.js";
import { ReelError } from "../../errors/index.js";
import { ApiClient } from "../api-client.js";
import type { CliContext } from "../context.js";
import { humanBytes } from "../render/job-follow.js";
import { withServer } from "./server-options.js";

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")).join("\n") + "\n";
}

const when = (iso: string | null): string => (iso === null ? "-" : iso.replace("T", " ").slice(0, 19));

/** `reel savesets`, `reel ls`, `reel jobs`, `reel clients`, `reel nodes`: what the catalog knows. */
export function browseCommands(program: Command, ctx: CliContext): void {
  withServer(program.command("savesets"))
    .description("list savesets, newest first")
    .option("--task <name>", "only this task's")
    .option("--json", "print JSON", false)
    .action(async (o: { task?: string; json: boolean; server?: string; token?: string }) => {
      const list = await ApiClient.from(ctx, o).call<SavesetView[]>("GET", `/savesets${o.task === undefined ? "" : `?task=${encodeURIComponent(o.task)}`}`);
      if (o.json) return void ctx.stdout.write(`${JSON.stringify(list)}\n`);
      ctx.stdout.write(table([["ID", "TASK", "LEVEL", "STATUS", "STARTED", "FILES", "SIZE", "PARENT"], ...list.map((s) => [String(s.id), s.task, s.level, s.status, when(s.startedAt), String(s.files), humanBytes(s.bytes), s.parent === null ? "-" : String(s.parent)])]));
    });
  withServer(program.command("ls"))
    .description("list a directory of a saveset as it was at that saveset")
    .argument("<saveset>", "saveset id")
    .argument("[path]", "directory (absolute, as backed up)", "/")
    .option("--json", "print JSON", false)
    .action(async (saveset: string, path: string, o: { json: boolean; server?: string; token?: string }) => {
      if (!/^\d+$/.test(saveset)) throw new ReelError("CLI_BAD_ARGUMENT", `Saveset "${saveset}" is not a saveset id (see reel savesets)`);
      const files = `/savesets/${saveset}/files?path=${encodeURIComponent(path)}`;
      const api = ApiClient.from(ctx, o);
      // Printed as it arrives, bytes untouched: the JSON, or the server's lines for people (form=text).
      const print = (chunk: Buffer): void => void ctx.stdout.write(chunk);
      if (!o.json) return api.pipe("GET", `${files}&form=text`, print);
      await api.pipe("GET", files, print);
      ctx.stdout.write("\n");
    });
  withServer(program.command("jobs"))
    .description("list jobs, newest first")
    .option("--limit <n>", "how many", "50")
    .option("--json", "print JSON", false)
    .action(async (o: { limit: string; json: boolean; server?: string; token?: string }) => {
      const list = await ApiClient.from(ctx, o).call<JobView[]>("GET", `/jobs?limit=${encodeURIComponent(o.limit)}`);
      if (o.json) return void ctx.stdout.write(`${JSON.stringify(list)}\n`);
      ctx.stdout.write(table([["ID", "KIND", "TASK", "LEVEL", "STATE", "DAY", "FILES", "SIZE", "MESSAGE"], ...list.map((j) => [String(j.id), j.kind, j.task ?? "-", j.level ?? "-", j.state, j.backupDay, String(j.files), humanBytes(j.bytes), j.message ?? ""])]));
    });
  withServer(program.command("clients"))
    .description("list client agents")
    .option("--json", "print JSON", false)
    .action(async (o: { json: boolean; server?: string; token?: string }) => {
      const list = await ApiClient.from(ctx, o).call<ClientView[]>("GET", "/clients");
      if (o.json) return void ctx.stdout.write(`${JSON.stringify(list)}\n`);
      ctx.stdout.write(table([["NAME", "CONNECTED", "LAST SEEN"], ...list.map((c) => [c.name, c.connected ? "yes" : "no", when(c.lastSeen)])]));
    });
  withServer(program.command("nodes"))
    .description("list storage nodes")
    .option("--json", "print JSON", false)
    .action(async (o: { json: boolean; server?: string; token?: string }) => {
      const list = await ApiClient.from(ctx, o).call<NodeView[]>("GET", "/nodes");
      if (o.json) return void ctx.stdout.write(`${JSON.stringify(list)}\n`);
      ctx.stdout.write(table([["NAME", "CONNECTED", "DATA ADDRESS"], ...list.map((n) => [n.name, n.connected ? "yes" : "no", n.dataAddress ?? "-"])]));
    });
}
