import type { Command } from "commander";
import type { CopyView, TaskView } from "../../api/index.js";
import { ReelError } from "../../errors/index.js";
import { ApiClient } from "../api-client.js";
import type { CliContext } from "../context.js";
import { withServer } from "./server-options.js";

type ServerFlags = { server?: string; token?: string };
const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** `reel tasks`, `reel task set`: what is backed up, and its route (backup pool, mirror pools); `reel copies`: where a saveset lies. */
export function taskCommands(program: Command, ctx: CliContext): void {
  withServer(program.command("tasks"))
    .description("list backup tasks with their routes")
    .option("--json", "print JSON", false)
    .action(async (o: { json: boolean } & ServerFlags) => {
      const list = await ApiClient.from(ctx, o).call<TaskView[]>("GET", "/tasks");
      if (o.json) return void ctx.stdout.write(`${JSON.stringify(list)}\n`);
      for (const t of list) ctx.stdout.write(`${t.name}  client ${t.client}  route ${[t.pool, ...t.mirrors].join(" → ")}  ${t.paths.join(" ")}\n`);
    });
  const task = program.command("task").description("change tasks");
  withServer(task.command("set"))
    .description("create or change a task: its client, paths, pool and mirror pools (stages written while the backup runs)")
    .argument("<name>", "task name")
    .argument("<paths...>", "absolute paths to back up")
    .requiredOption("--client <name>", "the client agent that reads the paths")
    .option("--pool <name>", "the backup stage's pool", "default")
    .option("--mirror <pool>", "a mirror stage's pool, in chain order (repeat for more)", collect, [])
    .option("--exclude <pattern>", "leave out matching paths (repeat for more)", collect, [])
    .option("--compress <kind>", "none | zstd", "none")
    .option("--json", "print JSON", false)
    .action(async (name: string, paths: string[], o: { client: string; pool: string; mirror: string[]; exclude: string[]; compress: string; json: boolean } & ServerFlags) => {
      if (o.compress !== "none" && o.compress !== "zstd") throw new ReelError("CLI_BAD_ARGUMENT", `--compress ${o.compress}: give none or zstd`);
      const body = { name, client: o.client, paths, excludes: o.exclude, pool: o.pool, mirrors: o.mirror, compression: o.compress };
      const saved = await ApiClient.from(ctx, o).call<TaskView>("POST", "/tasks", body);
      ctx.stdout.write(o.json ? `${JSON.stringify(saved)}\n` : `task ${saved.name}: client ${saved.client}, route ${[saved.pool, ...saved.mirrors].join(" → ")}\n`);
    });
  withServer(program.command("copies"))
    .description("where a saveset lies: its copies, best first (the order a restore reads them)")
    .argument("<saveset>", "saveset id")
    .option("--json", "print JSON", false)
    .action(async (saveset: string, o: { json: boolean } & ServerFlags) => {
      const list = await ApiClient.from(ctx, o).call<CopyView[]>("GET", `/savesets/${encodeURIComponent(saveset)}/copies`);
      if (o.json) return void ctx.stdout.write(`${JSON.stringify(list)}\n`);
      for (const c of list) ctx.stdout.write(`copy ${c.id}  pool ${c.pool}  drive ${c.drive} (${c.kind}) on node ${c.node}  ${c.blocks} blocks on ${c.media.join(", ")}  until ${c.endOfLife}\n`);
    });
}
