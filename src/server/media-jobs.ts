/**
 * The calendar's media events as jobs of kind `media` (docs/calendar.md §Media events):
 * `action: label` recycles the media of the event's drive or drive group that hold no saveset
 * copy any more (their volumes are erased, they become `empty` and are labelled anew by the next
 * stream); `action: check` is not built yet and fails with a clear message.
 */
import type { Catalog, Job } from "../catalog/index.js";
import type { CalendarEvent } from "../scheduler/index.js";
import { serverError } from "./errors.js";
import type { EventBus } from "./events.js";
import type { MediaRecycler } from "./media-recycle.js";
import { jobView } from "./views.js";

export interface MediaJobsOptions {
  catalog: Catalog;
  bus: EventBus;
  media: MediaRecycler;
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
    case "check":
      // TODO(media check): call the server's media check once it exists.
      throw serverError("SERVER_JOB_FAILED", `Cannot check the media of ${where}: media checks are not built yet`);
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
