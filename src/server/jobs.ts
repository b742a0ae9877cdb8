/**
 * Jobs: a backup runs a client agent's stream onto a node's drive and records it in the catalog;
 * a restore resolves a saveset's chain and has the client fetch each stream from its node.
 * States: queued → running → done | failed. A failed backup leaves its saveset `incomplete`.
 */
import { randomBytes } from "node:crypto";
import { apiError, type BackupRequest, type CopyView, type JobEvent, type Level, type RestoreRequest } from "../api/index.js";
import type { BrowseRow, Catalog, Drive, Job, Medium, Pool, Saveset, Task } from "../catalog/index.js";
import { isReelError } from "../errors/index.js";
import { EntryType } from "../format/index.js";
import type { BackupResult, CommandResult, RestoreResult, RestoreRun, StreamDone, WireExtent, WireIndexRow } from "../transfer/index.js";
import type { Agent, AgentHub } from "./agents.js";
import type { EventBus } from "./events.js";
import { serverError } from "./errors.js";
import { DAY_MS, recordCopy } from "./record-copy.js";
import { copyRank, driveSpec, stageKey } from "./stages.js";
import { jobView } from "./views.js";

export const MEDIA_BLOCK_SIZE = 256 * 1024;
/** Room after a file's data for record and item headers, chunk padding and a following entry. */
const STOP_MARGIN_BYTES = 4 * 1024 * 1024;

/** One stage of a backup's route: the pool it writes, the drive and node that write it, and that node's report. */
interface Stage {
  pool: Pool;
  drive: Drive;
  node: Agent;
  placed: Promise<StreamDone | null>;
}

/** A stream of a restore: read from `fromOffset`, up to `stopAtOffset` when only files are wanted. */
interface PlannedStream {
  saveset: Saveset;
  fromOffset: number;
  stopAtOffset?: number;
}

export interface JobsOptions {
  catalog: Catalog;
  hub: AgentHub;
  bus: EventBus;
  now: () => Date;
  log: (line: string) => void;
  /** The backup day a time belongs to (the calendar's newday bounds it). */
  backupDayOf: (at: Date) => string;
}

interface IndexSink {
  add(row: WireIndexRow): void;
  finish(): void;
}

export class Jobs {
  readonly #o: JobsOptions;
  readonly #index = new Map<number, IndexSink>();
  readonly #streams = new Map<string, (done: StreamDone) => void>();
  readonly #running = new Map<number, Promise<void>>();
  /** Streams being written per drive (a backup's stages pick the least busy drive of a group). */
  readonly #load = new Map<string, number>();
  /** Jobs being aborted (newday): they end `aborted`, not `failed`. */
  readonly #aborting = new Set<number>();

  constructor(options: JobsOptions) {
    this.#o = options;
  }

  /** Called by the agent hub. */
  readonly agentEvents = {
    streamDone: (node: string, done: StreamDone): void => this.#streams.get(stageKey(node, done.drive, done.stream))?.(done),
    indexRows: (job: number, rows: WireIndexRow[]): void => {
      const sink = this.#index.get(job);
      if (sink !== undefined) for (const row of rows) sink.add(row);
    },
    progress: (job: number, files: number, bytes: number, log: string | undefined): void => {
      const current = this.#o.catalog.getJob(job);
      if (current === null) return;
      if (files >= 0) this.#o.catalog.updateJob(job, { files, bytes });
      this.#publish(job, { ...(files >= 0 ? { progress: { files, bytes } } : {}), ...(log === undefined ? {} : { log }) });
    },
  };

  /** Resolves when every job started so far has ended (tests, shutdown). */
  async idle(): Promise<void> {
    await Promise.all([...this.#running.values()]);
  }

  /** Waits for one job to end. */
  async wait(id: number): Promise<void> {
    await this.#running.get(id);
  }

  #publish(id: number, extra: Omit<JobEvent, "job"> = {}): void {
    const job = this.#o.catalog.getJob(id);
    if (job !== null) this.#o.bus.publish({ job: jobView(job), ...extra });
  }

  #track(job: Job, run: () => Promise<void>): void {
    const done = run()
      .catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        const state = this.#aborting.has(job.id) ? "aborted" : "failed";
        this.#o.catalog.updateJob(job.id, { state, endedAt: this.#o.now(), message: state === "aborted" ? `aborted at the end of its backup day: ${message}` : message });
        this.#o.log(`job ${job.id} ${state}: ${message}`);
      })
      .finally(() => {
        this.#aborting.delete(job.id);
        this.#running.delete(job.id);
        this.#publish(job.id);
      });
    this.#running.set(job.id, done);
  }

  /**
   * Newday: aborts the backups of that backup day still running (their client agents stop them).
   * Restores and commands run to their end: an administrator waiting for data must not lose it
   * to the calendar.
   */
  abortDay(day: string): number {
    let aborted = 0;
    for (const id of this.#running.keys()) {
      const job = this.#o.catalog.getJob(id);
      if (job === null || job.backupDay !== day || job.client === null || job.kind !== "backup") continue;
      this.#aborting.add(id);
      aborted++;
      void this.#o.hub.client(job.client)?.conn.send({ type: "job.abort", job: id }).catch(() => undefined);
    }
    return aborted;
  }

  /**
   * Newday: forgets copies past their own end of life (their pool's retention) while their
   * saveset keeps a copy, then savesets past their end of life (catalog records and file index,
   * newest first so that incrementals go before what they build on). Their data stays on the
   * media until those are recycled. Returns the savesets and the copies forgotten.
   */
  pruneExpired(): { savesets: number; copies: number } {
    const now = this.#o.now();
    let copies = 0;
    for (const copy of this.#o.catalog.expiredCopies(now)) if (this.#o.catalog.deleteCopy(copy.id)) copies++;
    let pruned = 0;
    for (const s of this.#o.catalog.listSavesets().filter((x) => x.status !== "running" && x.endOfLife <= now).sort((a, b) => b.id - a.id)) {
      try {
        this.#o.catalog.deleteSaveset(s.id);
        pruned++;
      } catch (error) {
        // A saveset that a living one builds on stays until that one expires too.
        if (!isReelError(error, "CATALOG_CONFLICT")) throw error;
      }
    }
    return { savesets: pruned, copies };
  }

  backupDay(): string {
    return this.#o.backupDayOf(this.#o.now());
  }


  startBackup(request: BackupRequest): Job {
    const catalog = this.#o.catalog;
    let task = catalog.getTask(request.task);
    if (task === null) {
      if (request.paths === undefined || request.paths.length === 0) throw apiError("API_NOT_FOUND", `No task "${request.task}" (give paths to create it)`);
      task = this.putTask({ name: request.task, client: request.client ?? "localhost", paths: request.paths, excludes: request.excludes ?? [], pool: request.pool ?? "default", compression: request.compression ?? "none", compressionLevel: request.compressionLevel ?? 3 });
    }
    if (request.client !== undefined && request.client !== task.client) throw apiError("API_CONFLICT", `Task "${task.name}" belongs to client "${task.client}", not "${request.client}"`);
    const asked: Level = request.level ?? "full";
    const base = asked === "incr" ? catalog.latestSaveset(task.name, ["full", "diff", "incr"]) : asked === "diff" ? catalog.latestSaveset(task.name, ["full"]) : null;
    // Like Bacula: without a full to build on, an incremental or differential becomes a full.
    const level: Level = base === null ? "full" : asked;
    const job = catalog.addJob({ kind: "backup", task: task.name, client: task.client, level, backupDay: this.backupDay() });
    this.#publish(job.id, asked !== level ? { log: `no earlier full backup of task "${task.name}": running a full backup` } : {});
    this.#track(job, () => this.#runBackup(job, task, level, base));
    return job;
  }

  /** Runs a command of a client's allow-list by name (a calendar command event). */
  startCommand(o: { client: string; command: string }): Job {
    const job = this.#o.catalog.addJob({ kind: "command", task: null, client: o.client, level: null, backupDay: this.backupDay() });
    this.#publish(job.id, { log: `command "${o.command}" on client "${o.client}"` });
    this.#track(job, async () => {
      const client = this.#o.hub.client(o.client);
      if (client === null) throw serverError("SERVER_NOT_CONNECTED", `Client "${o.client}" is not connected`);
      this.#o.catalog.updateJob(job.id, { state: "running", startedAt: this.#o.now() });
      const result = await client.conn.request<CommandResult>({ type: "command.run", job: job.id, name: o.command });
      const tail = result.output.trim().split("\n").slice(-3).join(" / ");
      if (result.exitCode !== 0) throw serverError("SERVER_JOB_FAILED", `Command "${o.command}" exited with ${result.exitCode}${tail === "" ? "" : `: ${tail}`}`);
      this.#o.catalog.updateJob(job.id, { state: "done", endedAt: this.#o.now(), message: `command "${o.command}" exited with 0${tail === "" ? "" : `: ${tail}`}` });
    });
    return job;
  }

  putTask(t: { name: string; client: string; paths: string[]; excludes: string[]; pool: string; compression?: "none" | "zstd"; compressionLevel?: number; mirrors?: string[] }): Task {
    for (const path of t.paths) if (!path.startsWith("/")) throw apiError("API_BAD_REQUEST", `Path "${path}" of task "${t.name}" is not absolute`);
    if (this.#o.catalog.getPool(t.pool) === null) throw apiError("API_NOT_FOUND", `No pool "${t.pool}"`);
    return this.#o.catalog.putTask(t);
  }

  async #runBackup(job: Job, task: Task, level: Level, base: Saveset | null): Promise<void> {
    const { catalog } = this.#o;
    const client = this.#o.hub.client(task.client);
    if (client === null) throw serverError("SERVER_NOT_CONNECTED", `Client "${task.client}" is not connected`);
    const stream = randomBytes(16).toString("hex");
    const stages = this.#route(task, stream);
    const pool = stages[0]!.pool;
    // The saveset lives as long as its longest-kept copy; each copy ends with its pool's retention (record-copy.ts).
    const retentionDays = Math.max(...stages.map((stage) => stage.pool.retentionDays));
    const since = this.#o.now();
    const saveset = catalog.addSaveset({
      uuid: stream, task: task.name, client: task.client, level, parentId: base?.id ?? null, backupDay: job.backupDay,
      endOfLife: new Date(since.getTime() + retentionDays * DAY_MS), encrypted: false,
    });
    catalog.updateJob(job.id, { state: "running", savesetId: saveset.id, startedAt: this.#o.now() });
    const where = stages.map((s) => `drive "${s.drive.name}" on node "${s.node.name}"`).join(" → ");
    this.#publish(job.id, { log: `${level} backup of ${task.paths.join(", ")} on client "${task.client}" to ${where}` });
    const writer = catalog.fileIndexWriter(saveset.id);
    this.#index.set(job.id, writer);
    let result: BackupResult | null = null;
    let failure: unknown = null;
    let announced = 0;
    try {
      // The last stage first: each stage's node expects the stream before the stage before it may forward it.
      for (let i = stages.length - 1; i >= 0; i--) {
        const stage = stages[i]!;
        const next = stages[i + 1];
        const sender = i === 0 ? { client: task.client } : { client: stages[i - 1]!.node.name, sender: "node" };
        await stage.node.conn.request({
          type: "stream.expect", stream, stage: i, ...sender, drive: driveSpec(stage.drive), pool: stage.pool.name, blockSize: MEDIA_BLOCK_SIZE,
          ...(next === undefined ? {} : { forward: { name: next.node.name, address: next.node.dataAddress ?? "", stage: i + 1 } }),
        });
        announced++;
      }
      const first = stages[0]!.node;
      result = await client.conn.request<BackupResult>({
        type: "backup.run", job: job.id, stream, node: { name: first.name, address: first.dataAddress ?? "" }, paths: task.paths, excludes: task.excludes,
        level, base: base?.id ?? null, compression: task.compression, compressionLevel: task.compressionLevel,
        descriptor: savesetDescriptor({ task, level, stream, base, backupDay: job.backupDay, endOfLife: saveset.endOfLife, pool: pool.name }),
      });
    } catch (error) {
      failure = error;
    }
    await this.#settleBackup({ job, client: task.client, savesetId: saveset.id, since, stages, stream, announced: announced === stages.length, result, failure, writer });
  }

  /**
   * After the client answered (or failed): wait for every stage's report, record the copies,
   * finish the saveset and the job. The saveset is complete when its backup stage has it whole;
   * a mirror stage that failed fails the job (the copy it lacks is named) but not the saveset.
   */
  async #settleBackup(o: { job: Job; client: string; savesetId: number; since: Date; stages: Stage[]; stream: string; announced: boolean; result: BackupResult | null; failure: unknown; writer: IndexSink }): Promise<void> {
    const { catalog } = this.#o;
    const { job, stages, stream, result, failure } = o;
    try {
      // The node reports where the stream lies even when it was cut short: keep what was written.
      // A stream the client never opened is withdrawn instead (the nodes then report nothing).
      const opened = o.announced && (failure === null || (await this.#withdraw(stages[0]!.node.conn, stream, 0)));
      if (!opened) for (const [i, stage] of stages.entries()) if (i > 0) await this.#withdraw(stage.node.conn, stream, i);
      const reports = await Promise.all(stages.map((stage) => (opened ? Promise.race([stage.placed, stage.node.conn.closed.then(() => null)]) : Promise.resolve(null))));
      this.#index.delete(job.id);
      const done = reports[0] ?? null;
      if (done !== null) recordCopy(catalog, o.savesetId, done, o.since);
      const mirrorProblems: string[] = [];
      stages.slice(1).forEach((stage, i) => {
        const report = reports[i + 1] ?? null;
        if (report !== null && !report.aborted) recordCopy(catalog, o.savesetId, report, o.since);
        else if (opened) mirrorProblems.push(`mirror to pool "${stage.pool.name}" on node "${stage.node.name}" failed: ${report === null ? "the node disconnected" : (report.error ?? "the stream was cut short")}`);
      });
      const ok = result !== null && done !== null && !done.aborted;
      // The rows of an incomplete saveset still say what reached the media before the break.
      o.writer.finish();
      const counts = result ?? { files: 0, bytes: 0, errors: 0 };
      catalog.finishSaveset(o.savesetId, { status: ok ? "complete" : "incomplete", files: counts.files, bytes: counts.bytes, errors: counts.errors });
      if (ok && mirrorProblems.length === 0) {
        const copies = stages.length > 1 ? `, ${stages.length} copies` : "";
        catalog.updateJob(job.id, { state: "done", endedAt: this.#o.now(), files: result.files, bytes: result.bytes, errors: result.errors, message: summary(result) + copies });
        return;
      }
      if (ok) throw serverError("SERVER_JOB_FAILED", `saveset ${o.savesetId} is complete on pool "${stages[0]!.pool.name}", but ${mirrorProblems.join("; ")}`);
      throw serverError("SERVER_JOB_FAILED", whyBackupFailed(failure, done, opened, stages[0]!.node.name), {}, failure ?? undefined);
    } finally {
      for (const stage of stages) {
        this.#streams.delete(stageKey(stage.node.name, stage.drive.name, stream));
        this.#load.set(stage.drive.name, (this.#load.get(stage.drive.name) ?? 1) - 1);
      }
    }
  }

  /**
   * Where a task's backup goes: a drive of its pool's group, then one of each mirror pool's group
   * (the route's stages), each on a connected node: a drive with a free channel, the least busy
   * of the group, so that concurrent streams spread over the group's agents (a stream of one
   * agent may go on to any agent of the next stage). Registers for each stage's report.
   */
  #route(task: Task, stream: string): Stage[] {
    const { catalog, hub } = this.#o;
    const drives = catalog.listDrives();
    const stages: Stage[] = [];
    for (const poolName of [task.pool, ...task.mirrors]) {
      const pool = catalog.getPool(poolName);
      if (pool === null) throw serverError("SERVER_NO_DRIVE", `Task "${task.name}" names pool "${poolName}", which does not exist`);
      const candidates = drives.filter((d) => d.driveGroup === pool.driveGroup && hub.isConnected("node", d.node) && !stages.some((s) => s.drive.name === d.name));
      // A drive with a free channel first, then the least busy; ties go by name.
      const busy = (d: Drive): number => {
        const load = this.#load.get(d.name) ?? 0;
        return (load >= d.channels ? 1_000_000 : 0) + load;
      };
      const drive = candidates.sort((a, b) => busy(a) - busy(b))[0];
      if (drive === undefined) throw serverError("SERVER_NO_DRIVE", `No drive of group "${pool.driveGroup}" (pool "${pool.name}") is on a connected node`);
      stages.push({ pool, drive, node: hub.node(drive.node)!, placed: Promise.resolve(null) });
    }
    for (const stage of stages) {
      this.#load.set(stage.drive.name, (this.#load.get(stage.drive.name) ?? 0) + 1);
      stage.placed = new Promise<StreamDone>((resolve) => this.#streams.set(stageKey(stage.node.name, stage.drive.name, stream), resolve));
    }
    return stages;
  }

  /** A saveset's copies for the API: pool, drive, node, media; best first as a restore reads them. */
  copiesView(savesetId: number): CopyView[] {
    const { catalog } = this.#o;
    const savesetEnd = catalog.getSaveset(savesetId)?.endOfLife ?? null;
    const views = catalog.copiesOf(savesetId).filter((c) => c.segments.length > 0).map((copy) => {
      const media = copy.segments.map((g) => catalog.getMedium(g.mediumId)!);
      const drive = catalog.getDrive(media[0]!.drive)!;
      return {
        rank: copyRank(drive, media),
        view: {
          id: copy.id, pool: media[0]!.pool, drive: drive.name, node: drive.node, kind: drive.kind, media: [...new Set(media.map((m) => m.label))],
          blocks: copy.extents.reduce((n, e) => n + e.blockCount, 0), endOfLife: (copy.endOfLife ?? savesetEnd ?? new Date(0)).toISOString(),
        },
      };
    });
    return views.sort((a, b) => a.rank - b.rank).map((v) => v.view);
  }

  /**
   * The copies of a saveset a restore may read, best first: on a connected node, not on a medium
   * known to be damaged, online disk before tape (a dir drive before a vtl before a tape), then
   * the oldest. `pool`: only the copies on that pool's media.
   */
  #sourcesOf(saveset: Saveset, pool: string | undefined): Array<{ node: Agent; drive: Drive; extents: WireExtent[]; rank: number }> {
    const { catalog, hub } = this.#o;
    const media = new Map<number, Medium>();
    const medium = (id: number): Medium => {
      let m = media.get(id);
      if (m === undefined) media.set(id, (m = catalog.getMedium(id)!));
      return m;
    };
    const sources = [];
    for (const copy of catalog.copiesOf(saveset.id)) {
      if (copy.segments.length === 0) continue;
      const first = medium(copy.segments[0]!.mediumId);
      if (pool !== undefined && first.pool !== pool) continue;
      const drive = catalog.getDrive(first.drive);
      const node = drive === null ? null : hub.node(drive.node);
      if (drive === null || node === null) continue;
      const rank = copyRank(drive, copy.segments.map((g) => medium(g.mediumId)));
      sources.push({ node, drive, rank, extents: copy.extents.map((e) => ({ label: medium(e.mediumId).label, firstBlock: e.firstBlock, blockCount: e.blockCount, streamOffset: e.streamOffset })) });
    }
    // A stable sort: copies of equal rank keep their age order.
    return sources.sort((a, b) => a.rank - b.rank);
  }

  /** Tells the node to forget an announced stream; true when the client had opened it already. */
  async #withdraw(node: { request<T>(message: { type: string; [k: string]: unknown }): Promise<T> }, stream: string, stage: number): Promise<boolean> {
    try {
      return (await node.request<{ opened: boolean }>({ type: "stream.withdraw", stream, stage })).opened;
    } catch {
      return true; // the node is gone: its closed connection ends the wait
    }
  }

  startRestore(request: RestoreRequest): Job {
    const catalog = this.#o.catalog;
    const saveset = catalog.getSaveset(request.saveset);
    if (saveset === null) throw apiError("API_NOT_FOUND", `No saveset ${request.saveset}`);
    if (request.inPlace !== true && request.target === undefined) throw apiError("API_BAD_REQUEST", "body/target is required unless inPlace is true");
    if (request.target !== undefined && !request.target.startsWith("/")) throw apiError("API_BAD_REQUEST", `body/target "${request.target}" must be an absolute path`);
    const client = request.client ?? saveset.client;
    const selection = (request.paths ?? []).map((p) => Buffer.from(p.replace(/^\/+/, "").replace(/\/+$/, ""), "utf8"));
    if (request.pool !== undefined && catalog.getPool(request.pool) === null) throw apiError("API_NOT_FOUND", `No pool "${request.pool}"`);
    const plan = this.#plan(saveset, selection);
    const job = catalog.addJob({ kind: "restore", task: saveset.task, client, level: null, backupDay: this.backupDay(), savesetId: saveset.id });
    this.#publish(job.id);
    const target = request.inPlace === true ? "/" : request.target!;
    this.#track(job, () => this.#runRestore(job, client, target, selection, request.overwrite ?? (request.inPlace === true ? "older" : "always"), plan, request.pool));
    return job;
  }

  /**
   * Which streams of the chain to read, and from where. With a selection, each stream is read
   * from the first chunk that holds a selected entry (a directory's subtree follows its entry in
   * the stream); a stream that holds none of the selected entries is not read. A selected hard
   * link brings the file it links to (the first name of its inode), as its data lies there.
   */
  #plan(saveset: Saveset, selection: Buffer[]): PlannedStream[] {
    const catalog = this.#o.catalog;
    const chain = catalog.chainOf(saveset.id);
    if (selection.length === 0 || selection.some((p) => p.length === 0)) return chain.map((s) => ({ saveset: s, fromOffset: 0 }));
    const rows: BrowseRow[] = [];
    for (const path of selection) {
      const row = catalog.findEntry(saveset.id, path);
      if (row === null) throw apiError("API_NOT_FOUND", `"/${path.toString("utf8")}" is not in saveset ${saveset.id}`);
      rows.push(row);
    }
    const links = rows.filter((r) => r.type === EntryType.hardlink);
    if (links.length > 0) {
      const inodes = new Set(links.map((r) => r.inode));
      catalog.forEachFile(saveset.id, (row) => {
        if (row.type === EntryType.file && inodes.has(row.inode)) {
          rows.push(row);
          selection.push(Buffer.from(row.path));
          inodes.delete(row.inode);
        }
      });
    }
    const hasDirectory = rows.some((r) => r.type === EntryType.directory);
    return chain.flatMap((s) => {
      const mine = rows.filter((r) => r.savesetId === s.id);
      // A directory's changed entries may lie in a later stream without the directory itself.
      if (mine.length === 0) return hasDirectory ? [{ saveset: s, fromOffset: 0 }] : [];
      const fromOffset = Math.min(...mine.map((r) => r.chunkOffset));
      if (hasDirectory) return [{ saveset: s, fromOffset }];
      // Files only: their data follows their entries, so the node may stop soon after them.
      return [{ saveset: s, fromOffset, stopAtOffset: Math.max(...mine.map((r) => r.chunkOffset + r.size + Math.ceil(r.size / 32) + STOP_MARGIN_BYTES)) }];
    });
  }

  async #runRestore(job: Job, clientName: string, target: string, selection: Buffer[], overwrite: RestoreRun["overwrite"], plan: PlannedStream[], pool: string | undefined): Promise<void> {
    const { catalog, hub } = this.#o;
    const client = hub.client(clientName);
    if (client === null) throw serverError("SERVER_NOT_CONNECTED", `Client "${clientName}" is not connected`);
    catalog.updateJob(job.id, { state: "running", startedAt: this.#o.now() });
    this.#publish(job.id, { log: `restore of ${plan.length} stream(s) into ${target} on client "${clientName}"` });
    const streams: RestoreRun["streams"] = [];
    for (const part of plan) {
      const [best, ...others] = this.#sourcesOf(part.saveset, pool);
      if (best === undefined) throw serverError("SERVER_JOB_FAILED", `Saveset ${part.saveset.id} has no copy${pool === undefined ? "" : ` in pool "${pool}"`} on a connected node`);
      const alternatives = others.map((o) => ({ node: o.node.name === best.node.name ? null : { name: o.node.name, address: o.node.dataAddress ?? "" }, drive: driveSpec(o.drive), extents: o.extents }));
      const stop = part.stopAtOffset === undefined ? {} : { stopAtOffset: part.stopAtOffset };
      await best.node.conn.request({ type: "stream.serve", stream: part.saveset.uuid, client: clientName, drive: driveSpec(best.drive), extents: best.extents, fromOffset: part.fromOffset, ...stop, alternatives });
      streams.push({ stream: part.saveset.uuid, node: { name: best.node.name, address: best.node.dataAddress ?? "" }, fromOffset: part.fromOffset, partial: part.stopAtOffset !== undefined });
    }
    const result = await client.conn.request<RestoreResult>({
      type: "restore.run", job: job.id, target, selection: selection.map((p) => p.toString("base64")), overwrite, numericOwner: false, streams,
    });
    const problems = result.damaged + result.errors;
    catalog.updateJob(job.id, {
      state: problems > 0 ? "failed" : "done", endedAt: this.#o.now(), files: result.files, bytes: result.bytes, errors: problems,
      message: problems > 0 ? `restored ${result.files} files with ${result.damaged} damaged and ${result.errors} errors` : `restored ${result.files} files, ${result.bytes} bytes`,
    });
  }
}

/** Why a backup failed, both sides: the client's own error and what the node saw. */
function whyBackupFailed(failure: unknown, done: StreamDone | null, opened: boolean, node: string): string {
  const reasons: string[] = [];
  if (failure instanceof Error) reasons.push(failure.message);
  else if (failure !== null) reasons.push(JSON.stringify(failure));
  if (done === null && opened) reasons.push(`node "${node}" disconnected during the backup`);
  if (done?.aborted === true) reasons.push(`the stream was cut short: ${done.error ?? "unknown reason"}`);
  return reasons.length > 0 ? reasons.join("; ") : "the backup did not finish";
}

/**
 * What the HEAD of a saveset's stream says about it (format.md §4.2 `descriptor`): enough for
 * `reel media scan` to rebuild the saveset's catalog record from the media alone.
 */
function savesetDescriptor(o: { task: Task; level: Level; stream: string; base: Saveset | null; backupDay: string; endOfLife: Date; pool: string }): Record<string, unknown> {
  return {
    task: o.task.name, client: o.task.client, level: o.level, saveset: o.stream, parent: o.base?.uuid ?? null,
    backupDay: o.backupDay, endOfLife: o.endOfLife.toISOString(), pool: o.pool, paths: o.task.paths,
  };
}

function summary(result: BackupResult): string {
  const parts = [`${result.files} files`, `${result.bytes} bytes`];
  if (result.unchanged > 0) parts.push(`${result.unchanged} unchanged`);
  if (result.deleted > 0) parts.push(`${result.deleted} deleted`);
  if (result.errors > 0) parts.push(`${result.errors} could not be read`);
  return parts.join(", ");
}
