import { Command } from "commander";
import type { DriveView } from "../../api/index.js";
import { ReelError } from "../../errors/index.js";
import { ApiClient } from "../api-client.js";
import type { CliContext } from "../context.js";
import { withServer } from "./server-options.js";

interface SetOptions {
  node: string;
  kind: string;
  path: string;
  channels?: string;
  group?: string;
  option: string[];
  json: boolean;
  server?: string;
  token?: string;
}

/** `--option key=value`, repeatable: a value that reads as JSON (8, true, "x") is taken as such, else as text. */
function collectOption(text: string, options: string[]): string[] {
  if (!/^[A-Za-z][A-Za-z0-9_.-]*=/.test(text)) throw new ReelError("CLI_BAD_ARGUMENT", `--option "${text}" is not key=value`);
  return [...options, text];
}

function optionsOf(pairs: string[]): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    const text = pair.slice(at + 1);
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      // plain text
    }
    result[pair.slice(0, at)] = value;
  }
  return result;
}

/** The kind options of a drive as `key=value` pairs (empty when it has none). */
export function driveOptionsText(options: Record<string, unknown>): string {
  return Object.entries(options).map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`).join(" ");
}

/** `reel drive set`: create or change a drive of a node. */
export function driveCommand(ctx: CliContext): Command {
  const drive = new Command("drive").description("change drives");
  withServer(drive.command("set"))
    .description("create or change a drive of a node")
    .argument("<name>", "drive name")
    .requiredOption("--node <node>", "the node that drives it")
    .requiredOption("--kind <kind>", "dir | vtl | tape")
    .requiredOption("--path <path>", "where it is on the node: a directory, a library or a device")
    .option("--channels <n>", "streams it takes at once")
    .option("--group <group>", "its drive group (pools write to a group)")
    .option("--option <key=value>", "a kind option, repeatable", collectOption, [])
    .option("--json", "print JSON", false)
    .action(async (name: string, o: SetOptions) => {
      const channels = o.channels === undefined ? undefined : Number(o.channels);
      if (channels !== undefined && (!Number.isInteger(channels) || channels < 1)) throw new ReelError("CLI_BAD_ARGUMENT", `--channels "${o.channels ?? ""}" is not a positive whole number`);
      const body = {
        name, node: o.node, kind: o.kind, path: o.path, ...(channels === undefined ? {} : { channels }), ...(o.group === undefined ? {} : { driveGroup: o.group }),
        ...(o.option.length === 0 ? {} : { options: optionsOf(o.option) }),
      };
      const saved = await ApiClient.from(ctx, o).call<DriveView>("POST", "/drives", body);
      if (o.json) return void ctx.stdout.write(`${JSON.stringify(saved)}\n`);
      const options = driveOptionsText(saved.options);
      ctx.stdout.write(`drive ${saved.name}: ${saved.kind} on node ${saved.node}, group ${saved.driveGroup}, ${saved.channels} channels, ${saved.path}${options === "" ? "" : `, ${options}`}\n`);
    });
  return drive;
}
