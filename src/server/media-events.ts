/**
 * The calendar's media events as jobs of kind `media` (docs/calendar.md §Media events):
 * `action: label` recycles the media of the event's drive or drive group that hold no saveset
 * copy any more (their volumes are erased, they become `empty` and are labelled anew by the next
 * stream); `action: check` read-checks every written medium of those drives, one after another.
 */
import type { Catalog, Job } from "../catalog/index.js";
import type { CalendarEvent } from "../scheduler/index.js";
import { serverError } from "./errors.js";
import type { EventBus } from "./events.js";
import type { MediaJobs } from "./media-jobs.js";
import type { MediaRecycler } from "./media-recycle.js";
import { jobView } from "./views.js";

export interface MediaJobsOptions {
  catalog: Catalog;
  bus: EventBus;
  media: MediaRecycler;
  checks: MediaJobs;
  now: () => Date;
  log: (line: string) => void;
}

/** Starts the job of a media event; it ends `done` or `failed`, reported on the bus like every job. */
export function startMediaEvent(o: MediaJobsOptions, event: CalendarEvent, backupDay: string): Job {
  const job = o.catalog.addJob({ kind: "media", task: null, client: null, level: null, backupDay });
  const drives = o.catalog.listDrives().filter((d) => d.name === event.drive || d.driveGroup === event.driveGroup).map((d) => d.name);
  const where = event.drive !== undefined ? `drive "${event.drive}"` : `drive group "${event.driveGroup ?? ""}"`;
  o.catalog.updateJob(job.id, { state: "running", startedAt: o.now() });
  publish(o, job.id);
  void run(o, event.action, new Set(drives), where).then(
    (message) => finish(o, job.id, "done", message),
    (error: unknown) => finish(o, job.id, "failed", error instanceof Error ? error.message : String(error)),
  );
  return o.catalog.getJob(job.id)!;
}

async function run(o: MediaJobsOptions, action: string | undefined, drives: Set<string>, where: string): Promise<string> {
  if (drives.size === 0) throw serverError("SERVER_JOB_FAILED", `Media event names ${where}, which has no drives`);
  switch (action) {
    case "label": {
      const recycled = await o.media.recycle(drives);
      return `${recycled} media recycled on ${where}`;
    }
    case "check": {
      // One check job per medium, one at a time (each reads its whole volume).
      const media = o.catalog.listMedia().filter((m) => drives.has(m.drive) && m.state !== "empty" && m.blocks > 0);
      const damaged: string[] = [];
      for (const medium of media) {
        const job = o.checks.startCheck({ label: medium.label });
        await o.checks.wait(job.id);
        if (o.catalog.getJob(job.id)?.state !== "done") damaged.push(medium.label);
      }
      if (damaged.length > 0) throw serverError("SERVER_JOB_FAILED", `Checked ${media.length} media of ${where}: ${damaged.join(", ")} failed the check`);
      return `checked ${media.length} media of ${where}: all intact`;
    }
    default:
      throw serverError("SERVER_JOB_FAILED", `Media event action ${JSON.stringify(action ?? null)} is not one of "label", "check"`);
  }
}

function finish(o: MediaJobsOptions, id: number, state: "done" | "failed", message: string): void {
  o.catalog.updateJob(id, { state, endedAt: o.now(), message });
  o.log(`job ${id} ${state}: ${message}`);
  publish(o, id);
}

function publish(o: MediaJobsOptions, id: number): void {
  const job = o.catalog.getJob(id);
  if (job !== null) o.bus.publish({ job: jobView(job) });
}
