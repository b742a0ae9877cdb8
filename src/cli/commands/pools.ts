import type { Command } from "commander";
import type { DriveView, PoolView } from "../../api/index.js";
import { ReelError } from "../../errors/index.js";
import { ApiClient } from "../api-client.js";
import type { CliContext } from "../context.js";
import { humanBytes } from "../render/job-follow.js";
import { driveOptionsText } from "./drive.js";
import { withServer } from "./server-options.js";

function sizeOf(text: string): number {
  const match = /^(\d+)([KMGT]i?B?)?$/i.exec(text.trim());
  if (match === null) throw new ReelError("CLI_BAD_ARGUMENT", `"${text}" is not a size (for example 4GiB, 512MiB or a number of bytes)`);
  const unit = (match[2] ?? "").toUpperCase().charAt(0);
  return Number(match[1]) * 1024 ** ({ "": 0, K: 1, M: 2, G: 3, T: 4 }[unit] ?? 0);
}

/** `reel pools`, `reel pool set`, `reel drives`: the pools and drives the server has (media: media.ts). */
export function poolCommands(program: Command, ctx: CliContext): void {
  withServer(program.command("pools"))
    .description("list pools")
    .option("--json", "print JSON", false)
    .action(async (o: { json: boolean; server?: string; token?: string }) => {
      const list = await ApiClient.from(ctx, o).call<PoolView[]>("GET", "/pools");
      if (o.json) return void ctx.stdout.write(`${JSON.stringify(list)}\n`);
      for (const p of list) ctx.stdout.write(`${p.name}  retention ${p.retentionDays} days  drive group ${p.driveGroup}  volumes of ${humanBytes(p.mediumSize)}\n`);
    });
  const pool = program.command("pool").description("change pools");
  withServer(pool.command("set"))
    .description("create or change a pool")
    .argument("<name>", "pool name")
    .option("--retention-days <n>", "days until a saveset's end of life")
    .option("--drive-group <group>", "the drive group its volumes are written on")
    .option("--medium-size <size>", "size of each volume, e.g. 4GiB")
    .option("--json", "print JSON", false)
    .action(async (name: string, o: { retentionDays?: string; driveGroup?: string; mediumSize?: string; json: boolean; server?: string; token?: string }) => {
      const body = { name, ...(o.retentionDays === undefined ? {} : { retentionDays: Number(o.retentionDays) }), ...(o.driveGroup === undefined ? {} : { driveGroup: o.driveGroup }), ...(o.mediumSize === undefined ? {} : { mediumSize: sizeOf(o.mediumSize) }) };
      const saved = await ApiClient.from(ctx, o).call<PoolView>("POST", "/pools", body);
      ctx.stdout.write(o.json ? `${JSON.stringify(saved)}\n` : `pool ${saved.name}: retention ${saved.retentionDays} days, drive group ${saved.driveGroup}, volumes of ${humanBytes(saved.mediumSize)}\n`);
    });
  withServer(program.command("drives"))
    .description("list drives")
    .option("--json", "print JSON", false)
    .action(async (o: { json: boolean; server?: string; token?: string }) => {
      const list = await ApiClient.from(ctx, o).call<DriveView[]>("GET", "/drives");
      if (o.json) return void ctx.stdout.write(`${JSON.stringify(list)}\n`);
      for (const d of list) {
        const options = driveOptionsText(d.options);
        ctx.stdout.write(`${d.name}  ${d.kind}  node ${d.node}  group ${d.driveGroup}  ${d.path}${options === "" ? "" : `  ${options}`}\n`);
      }
    });
}
