import type { JobEvent, JobView } from "../../api/index.js";
import type { ApiClient } from "../api-client.js";
import type { CliContext } from "../context.js";

const FINAL = new Set(["done", "failed", "aborted"]);

function humanBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/**
 * Starts a job and follows its events until it ends: progress on a terminal (standard error),
 * log lines as they come. Subscribes before starting so that no event is missed.
 */
export async function runAndFollow(ctx: CliContext, api: ApiClient, start: () => Promise<JobView>, quiet: boolean): Promise<JobView> {
  let id: number | null = null;
  let final: JobView | null = null;
  const early: JobEvent[] = [];
  let resolveFinal: (job: JobView) => void = () => undefined;
  const finished = new Promise<JobView>((resolve) => (resolveFinal = resolve));
  const tty = ctx.stderr.isTTY && !quiet;
  const onEvent = (event: JobEvent): void => {
    if (id === null) {
      early.push(event);
      return;
    }
    if (event.job.id !== id) return;
    if (event.log !== undefined && !quiet) ctx.stderr.write(`${tty ? "\r\x1b[K" : ""}${event.log}\n`);
    if (event.progress !== undefined && tty) ctx.stderr.write(`\r\x1b[K${event.progress.files} files, ${humanBytes(event.progress.bytes)}`);
    if (FINAL.has(event.job.state)) {
      final = event.job;
      resolveFinal(event.job);
    }
  };
  const subscription = await api.events(onEvent);
  try {
    const job = await start();
    id = job.id;
    for (const event of early.splice(0)) onEvent(event);
    if (FINAL.has(job.state)) final = job;
    // the event stream ending first (server restart, proxy timeout) leaves the job's state to ask for once
    const result = final ?? (await Promise.race([finished, subscription.ended.then(() => final ?? api.call<JobView>("GET", `/jobs/${job.id}`))]));
    if (tty) ctx.stderr.write("\r\x1b[K");
    return result;
  } finally {
    subscription.stop();
  }
}

export { humanBytes };
