import { Command } from "commander";
import type { MediumView } from "../../api/index.js";
import { ReelError } from "../../errors/index.js";
import { ApiClient } from "../api-client.js";
import type { CliContext } from "../context.js";
import { humanBytes } from "../render/job-follow.js";
import { withServer } from "./server-options.js";

const STATES = ["empty", "appendable", "full", "expired", "error", "read-only"];

interface ListOptions {
  pool?: string;
  state?: string;
  json: boolean;
  server?: string;
  token?: string;
}

interface LabelOptions {
  pool?: string;
  drive?: string;
  count?: string;
  force: boolean;
  json: boolean;
  server?: string;
  token?: string;
}

function mediumLine(m: MediumView): string {
  return `${m.label}  pool ${m.pool}  drive ${m.drive}  ${m.state}  ${humanBytes(m.bytesWritten)}  end of life ${m.endOfLife ?? "-"}\n`;
}

function countOf(text: string | undefined): number {
  const count = Number(text ?? "1");
  if (!Number.isInteger(count) || count < 1 || count > 100) throw new ReelError("CLI_BAD_ARGUMENT", `--count "${text ?? ""}" is not a whole number from 1 to 100`);
  return count;
}

/** The body of `POST /media/label`: an existing medium re-initialised, or new empty media of a pool on a drive. */
function labelBody(label: string | undefined, o: LabelOptions): object {
  if (label !== undefined) {
    if (o.pool !== undefined || o.drive !== undefined || o.count !== undefined) throw new ReelError("CLI_BAD_ARGUMENT", "Give either a LABEL to re-initialise or --pool and --drive to add media, not both");
    if (!o.force) throw new ReelError("CLI_BAD_ARGUMENT", `Re-initialising medium "${label}" erases its volume: add --force`);
    return { label, force: true };
  }
  if (o.pool === undefined || o.drive === undefined) throw new ReelError("CLI_BAD_ARGUMENT", "Give --pool and --drive (and --count) to add empty media, or a LABEL with --force to re-initialise one");
  return { pool: o.pool, drive: o.drive, count: countOf(o.count) };
}

/** `reel media [list]`, `reel media label`: the server's media, and labelling them ahead or anew. */
export function mediaCommand(ctx: CliContext): Command {
  const media = new Command("media").description("list and label media (volumes)");
  withServer(media.command("list", { isDefault: true }))
    .description("list media: label, pool, drive, state, bytes written, end of life (the default)")
    .option("--pool <pool>", "only media of this pool")
    .option("--state <state>", `only media in this state: ${STATES.join(" | ")}`)
    .option("--json", "print JSON", false)
    .action(async (o: ListOptions) => {
      if (o.state !== undefined && !STATES.includes(o.state)) throw new ReelError("CLI_BAD_ARGUMENT", `--state "${o.state}" is not one of ${STATES.join(", ")}`);
      const all = await ApiClient.from(ctx, o).call<MediumView[]>("GET", "/media");
      const list = all.filter((m) => (o.pool === undefined || m.pool === o.pool) && (o.state === undefined || m.state === o.state));
      if (o.json) return void ctx.stdout.write(`${JSON.stringify(list)}\n`);
      for (const m of list) ctx.stdout.write(mediumLine(m));
    });
  withServer(media.command("label"))
    .description("add empty media to a pool on a drive (--pool, --drive, --count), or re-initialise a medium that holds no live saveset (LABEL --force)")
    .argument("[label]", "an existing medium to re-initialise: its volume is erased and it becomes empty")
    .option("--pool <pool>", "the pool of the new media")
    .option("--drive <drive>", "the drive their volumes are written on")
    .option("--count <n>", "how many media to add (1–100, default 1)")
    .option("--force", "erase the volume of an existing medium", false)
    .option("--json", "print JSON", false)
    .action(async (label: string | undefined, o: LabelOptions) => {
      const labelled = await ApiClient.from(ctx, o).call<MediumView[]>("POST", "/media/label", labelBody(label, o));
      if (o.json) return void ctx.stdout.write(`${JSON.stringify(labelled)}\n`);
      for (const m of labelled) ctx.stdout.write(mediumLine(m));
    });
  return media;
}
