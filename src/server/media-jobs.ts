/**
 * Media jobs (kind `media`): `reel media check` and `reel media scan` run on the node that owns
 * the drive, the server records what they find. States: running → done | failed.
 */
import { apiError, type JobEvent, type MediaCheckRequest, type MediaScanRequest } from "../api/index.js";
import type { Catalog, Drive, Job } from "../catalog/index.js";
import type { WireIndexRow } from "../transfer/index.js";
import type { Agent, AgentHub } from "./agents.js";
import { serverError } from "./errors.js";
import type { EventBus } from "./events.js";
import { checkMedium, damageError } from "./media-check.js";
import { MediaScan } from "./media-scan.js";
import { jobView } from "./views.js";

export interface MediaJobsOptions {
  catalog: Catalog;
  hub: AgentHub;
  bus: EventBus;
  now: () => Date;
  log: (line: string) => void;
  /** The backup day of now (the calendar's). */
  backupDay: () => string;
}

export class MediaJobs {
  readonly #o: MediaJobsOptions;
  readonly #running = new Map<number, Promise<void>>();
  readonly #rows = new Map<number, (rows: WireIndexRow[]) => void>();

  constructor(options: MediaJobsOptions) {
    this.#o = options;
  }

  /** Index rows a node sent for a job (the agent hub calls it for every job's rows). */
  indexRows(job: number, rows: WireIndexRow[]): void {
    this.#rows.get(job)?.(rows);
  }

  async wait(id: number): Promise<void> {
    await this.#running.get(id);
  }

  async idle(): Promise<void> {
    await Promise.all([...this.#running.values()]);
  }

  startCheck(request: MediaCheckRequest): Job {
    const medium = this.#o.catalog.getMedium(request.label);
    if (medium === null) throw apiError("API_NOT_FOUND", `No medium "${request.label}"`);
    const drive = this.#drive(medium.drive);
    return this.#start(`check of medium "${medium.label}" on drive "${drive.name}"`, async (job) => {
      const result = await checkMedium({ catalog: this.#o.catalog, node: this.#node(drive), drive, medium });
      for (const s of result.reply.streams) this.#publish(job.id, { log: `stream ${s.stream}: ${s.blocks} blocks` });
      if (result.isDamaged) {
        this.#o.catalog.updateJob(job.id, { files: result.reply.streams.length, errors: result.reply.damaged });
        throw damageError(result);
      }
      this.#finish(job, { files: result.reply.streams.length, bytes: result.reply.blocks * medium.blockSize, errors: 0, message: result.summary });
    });
  }

  startScan(request: MediaScanRequest): Job {
    const drive = this.#drive(request.drive);
    return this.#start(`scan of drive "${drive.name}"${request.labels === undefined ? "" : ` (${request.labels.join(", ")})`}`, async (job) => {
      const scan = new MediaScan({
        catalog: this.#o.catalog, node: this.#node(drive), drive, job: job.id,
        routeRows: (sink) => (sink === null ? this.#rows.delete(job.id) : this.#rows.set(job.id, sink)),
        log: (line) => this.#publish(job.id, { log: line }),
      });
      const s = await scan.run(request.labels);
      const message = `scanned ${s.volumes} volume(s) of drive "${drive.name}": ${s.mediaAdded} media, ${s.savesetsAdded} savesets and ${s.copiesAdded} copies added, ${s.rows} files indexed${s.problems.length > 0 ? `; ${s.problems.length} problem(s), the first: ${s.problems[0]}` : ""}`;
      this.#finish(job, { files: s.savesetsAdded, bytes: 0, errors: s.problems.length, message });
    });
  }

  #drive(name: string): Drive {
    const drive = this.#o.catalog.getDrive(name);
    if (drive === null) throw apiError("API_NOT_FOUND", `No drive "${name}"`);
    return drive;
  }

  #node(drive: Drive): Agent {
    const node = this.#o.hub.node(drive.node);
    if (node === null) throw serverError("SERVER_NOT_CONNECTED", `Node "${drive.node}", which owns drive "${drive.name}", is not connected`);
    return node;
  }

  #start(what: string, run: (job: Job) => Promise<void>): Job {
    const { catalog } = this.#o;
    const job = catalog.addJob({ kind: "media", task: null, client: null, level: null, backupDay: this.#o.backupDay() });
    catalog.updateJob(job.id, { state: "running", startedAt: this.#o.now() });
    this.#publish(job.id, { log: what });
    const done = run(catalog.getJob(job.id)!)
      .catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        catalog.updateJob(job.id, { state: "failed", endedAt: this.#o.now(), message });
        this.#o.log(`job ${job.id} failed: ${message}`);
      })
      .finally(() => {
        this.#rows.delete(job.id);
        this.#running.delete(job.id);
        this.#publish(job.id);
      });
    this.#running.set(job.id, done);
    return job;
  }

  #finish(job: Job, o: { files: number; bytes: number; errors: number; message: string }): void {
    this.#o.catalog.updateJob(job.id, { state: "done", endedAt: this.#o.now(), ...o });
  }

  #publish(id: number, extra: Omit<JobEvent, "job"> = {}): void {
    const job = this.#o.catalog.getJob(id);
    if (job !== null) this.#o.bus.publish({ job: jobView(job), ...extra });
  }
}
