import { resolve } from "node:path";
import { Command } from "commander";
import { ReelError } from "../../errors/index.js";
import { type OccurrenceView, parseInstant } from "../../api/index.js";
import { ApiClient } from "../api-client.js";
import type { CliContext } from "../context.js";
import { withServer } from "./server-options.js";

/** A date or date-time for --from/--to: "2027-03-01" (midnight UTC) or an RFC 3339 time. */
function instant(text: string, option: string): Date {
  const date = parseInstant(text);
  if (date === null) throw new ReelError("CLI_BAD_ARGUMENT", `${option} "${text}" is not a date (2027-03-01) or a time (2027-03-01T08:00:00+01:00)`);
  return date;
}

function printSheet(ctx: CliContext, sheet: Array<{ time: string; backupDay: string; event: string; type: string; priority: number; status: string; by?: string }>, json: boolean): void {
  if (json) return void ctx.stdout.write(`${JSON.stringify(sheet)}\n`);
  const rows = [["TIME", "BACKUP DAY", "EVENT", "TYPE", "PRIO", "STATUS"], ...sheet.map((s) => [s.time, s.backupDay, s.event, s.type, String(s.priority), s.by === undefined ? s.status : `${s.status} by ${s.by}`])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  ctx.stdout.write(rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")).join("\n") + "\n");
}

const localZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** `reel calendar`: the calendar sheet, offline from a config file (--config) or live from the server. */
export function calendarCommand(ctx: CliContext): Command {
  return withServer(new Command("calendar"))
    .description("show the calendar sheet: every occurrence with its backup day and status (--config: offline, no server needed)")
    .option("--config <file>", "compute it from this reel.yaml (or JSON) instead of asking the server")
    .requiredOption("--from <time>", "start of the range, e.g. 2027-03-01")
    .requiredOption("--to <time>", "end of the range (exclusive), e.g. 2027-04-01")
    .option("--json", "print a JSON array of occurrences", false)
    .action(async (o: { config?: string; from: string; to: string; json: boolean; server?: string; token?: string }) => {
      const from = instant(o.from, "--from");
      const to = instant(o.to, "--to");
      if (o.config === undefined) {
        const query = `?from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`;
        return printSheet(ctx, await ApiClient.from(ctx, o).call<OccurrenceView[]>("GET", `/calendar${query}`), o.json);
      }
      const { loadConfigFile, occurrences } = await import("../../scheduler/index.js");
      const config = await loadConfigFile(resolve(ctx.cwd, o.config), { defaultTimeZone: localZone() });
      printSheet(ctx, occurrences(config, from, to), o.json);
    });
}

/** `reel start EVENT`: a one-time occurrence of an event, now (the calendar's "start now"). */
export function startCommand(ctx: CliContext): Command {
  return withServer(new Command("start"))
    .description("start a calendar event now (a one-time occurrence on the calendar)")
    .argument("<event>", "the event's name")
    .option("--json", "print JSON", false)
    .action(async (event: string, o: { json: boolean; server?: string; token?: string }) => {
      const started = await ApiClient.from(ctx, o).call<{ event: string; job: number }>("POST", "/calendar/start", { event });
      ctx.stdout.write(o.json ? `${JSON.stringify(started)}\n` : `started ${started.event}: job ${started.job}\n`);
    });
}

/** `reel apply -f reel.yaml`: checks the whole config here (errors name file, line and field), then stores it on the server. */
export function applyCommand(ctx: CliContext): Command {
  return withServer(new Command("apply"))
    .description("apply a reel.yaml (schedules and events) to the server; nothing is applied if any field is wrong")
    .requiredOption("-f, --file <file>", "reel.yaml (or JSON)")
    .option("--json", "print the applied config as JSON", false)
    .action(async (o: { file: string; json: boolean; server?: string; token?: string }) => {
      const { loadConfigFile } = await import("../../scheduler/index.js");
      const config = await loadConfigFile(resolve(ctx.cwd, o.file), { defaultTimeZone: localZone() });
      const applied = await ApiClient.from(ctx, o).call<{ schedules: unknown[]; events: unknown[] }>("PUT", "/calendar/config", config);
      ctx.stdout.write(o.json ? `${JSON.stringify(applied)}\n` : `applied ${applied.schedules.length} schedules and ${applied.events.length} events\n`);
    });
}
