import { resolve } from "node:path";
import { Command } from "commander";
import { ReelError } from "../../errors/index.js";
import type { CliContext } from "../context.js";

/** A date or date-time for --from/--to: "2027-03-01" (midnight UTC) or an RFC 3339 time. */
function instant(text: string, option: string): Date {
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(date.getTime())) throw new ReelError("CLI_BAD_ARGUMENT", `${option} "${text}" is not a date (2027-03-01) or a time (2027-03-01T08:00:00+01:00)`);
  return date;
}

/** `reel calendar --config reel.yaml --from T --to T`: the calendar sheet, computed offline. */
export function calendarCommand(ctx: CliContext): Command {
  return new Command("calendar")
    .description("show the calendar sheet of a config: every occurrence with its backup day and status (offline: no server needed)")
    .requiredOption("--config <file>", "reel.yaml (or JSON) with timezone, schedules and events")
    .requiredOption("--from <time>", "start of the range, e.g. 2027-03-01")
    .requiredOption("--to <time>", "end of the range (exclusive), e.g. 2027-04-01")
    .option("--json", "print a JSON array of occurrences", false)
    .action(async (o: { config: string; from: string; to: string; json: boolean }) => {
      const { loadConfigFile, occurrences } = await import("../../scheduler/index.js");
      const config = await loadConfigFile(resolve(ctx.cwd, o.config), { defaultTimeZone: Intl.DateTimeFormat().resolvedOptions().timeZone });
      const sheet = occurrences(config, instant(o.from, "--from"), instant(o.to, "--to"));
      if (o.json) return void ctx.stdout.write(`${JSON.stringify(sheet)}\n`);
      const rows = [["TIME", "BACKUP DAY", "EVENT", "TYPE", "PRIO", "STATUS"], ...sheet.map((s) => [s.time, s.backupDay, s.event, s.type, String(s.priority), s.by === undefined ? s.status : `${s.status} by ${s.by}`])];
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
      ctx.stdout.write(rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")).join("\n") + "\n");
    });
}
