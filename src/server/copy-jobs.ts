/**
 * Copy jobs (DESIGN §5; patent Fig. 4/5): the node holding the source copies reads their volumes
 * (a restore media agent) and feeds each selected stream through a route of copy stages, one pool
 * each, chained like mirror stages. A migration (`move`) then drops the source copies; a
 * compaction migrates the live savesets off a pool's mostly-expired full media and expires those.
 * One `copy.run` per source node; one copy recorded per stream and stage from the stages' reports.
 */
import { apiError, type CompactionRequest, type CopyRequest, type JobEvent } from "../api/index.js";
import type { Catalog, Copy, Drive, Job, Medium, Pool, Saveset } from "../catalog/index.js";
import type { CopyRun, CopyRunReply, CopyStreamResult, StreamDone } from "../transfer/index.js";
import type { Agent, AgentHub } from "./agents.js";
import { serverError } from "./errors.js";
import type { EventBus } from "./events.js";
import { MEDIA_BLOCK_SIZE } from "./jobs.js";
import { driveSpec, stageKey } from "./stages.js";
import { recordCopy } from "./record-copy.js";
import { jobView } from "./views.js";

export interface CopyJobsOptions {
  catalog: Catalog;
  hub: AgentHub;
  bus: EventBus;
  now: () => Date;
  log: (line: string) => void;
  /** The backup day a time belongs to (the calendar's newday bounds it). */
  backupDayOf: (at: Date) => string;
}

/** One saveset to copy and the copy it is read from. */
interface CopyItem {
  saveset: Saveset;
  source: Copy;
}

interface CopyPlan {
  items: CopyItem[];
  to: Pool[];
  mode: "multiplex" | "demux";
  move: boolean;
  /** Compaction: the media to free, and the copies of expired savesets on them to forget. */
  freeMedia: number[];
  deadCopies: number[];
  /** What the job is, for its messages: "copy", "migration", "compaction of 2 media". */
  what: string;
}

/** A copy stage: a pool and the drive (on a connected node) that writes it. */
interface Stage {
  pool: Pool;
  drive: Drive;
  node: Agent;
}

/** What became of one stream: its source, the copies recorded, why it failed. */
interface ItemOutcome {
  item: CopyItem;
  copies: number;
  bytes: number;
  error: string | null;
}

const DEFAULT_THRESHOLD = 0.5;
/** The stage number of a copy chain's first stage (stage 0 is a backup's, taken from a client). */
const COPY_STAGE_1 = 1;

export class CopyJobs {
  readonly #o: CopyJobsOptions;
  readonly #streams = new Map<string, (done: StreamDone) => void>();
  readonly #running = new Map<number, Promise<void>>();

  constructor(options: CopyJobsOptions) {
    this.#o = options;
  }

  /** Called by the agent hub (with the backup jobs' handler: each takes the reports it waits for). */
  readonly agentEvents = {
    streamDone: (node: string, done: StreamDone): void => this.#streams.get(stageKey(node, done.drive, done.stream))?.(done),
  };

  async idle(): Promise<void> {
    await Promise.all([...this.#running.values()]);
  }

  async wait(id: number): Promise<void> {
    await this.#running.get(id);
  }

  /** Starts a copy (or, with `move`, a migration) of the savesets the request selects. */
  startCopy(request: CopyRequest): Job {
    const to = this.#pools(request.to, "body/to");
    for (const [field, pool] of [["pool", request.pool], ["notCopiedTo", request.notCopiedTo]] as const) {
      if (pool !== undefined && this.#o.catalog.getPool(pool) === null) throw apiError("API_NOT_FOUND", `body/${field}: no pool "${pool}"`);
    }
    if (request.task !== undefined && this.#o.catalog.getTask(request.task) === null) throw apiError("API_NOT_FOUND", `body/task: no task "${request.task}"`);
    const items = new SavesetSelection(this.#o.catalog, this.#o.now()).select(request, to.map((p) => p.name));
    const move = request.move === true;
    const plan: CopyPlan = { items, to, mode: request.mode ?? "multiplex", move, freeMedia: [], deadCopies: [], what: move ? "migration" : "copy" };
    return this.#start(move ? "migration" : "copy", request.task ?? null, plan);
  }

  /**
   * Starts a compaction of a pool: its full media whose live bytes (the extents of copies of
   * savesets still alive) are below `threshold` of the bytes written give up their live copies
   * to the pool's current medium and end `expired`, to be recycled.
   */
  startCompaction(request: CompactionRequest): Job {
    const pool = this.#pools([request.pool], "body/pool")[0]!;
    const threshold = request.threshold ?? DEFAULT_THRESHOLD;
    const plan = new Compaction(this.#o.catalog, this.#o.now()).plan(pool, threshold);
    return this.#start("migration", null, plan);
  }

  #pools(names: string[], field: string): Pool[] {
    if (names.length === 0) throw apiError("API_BAD_REQUEST", `${field} must name at least one pool`);
    return names.map((name) => {
      const pool = this.#o.catalog.getPool(name);
      if (pool === null) throw apiError("API_NOT_FOUND", `${field}: no pool "${name}"`);
      return pool;
    });
  }

  #start(kind: "copy" | "migration", task: string | null, plan: CopyPlan): Job {
    const { catalog } = this.#o;
    const job = catalog.addJob({ kind, task, client: null, level: null, backupDay: this.#o.backupDayOf(this.#o.now()) });
    this.#publish(job.id);
    const run = this.#run(job, plan)
      .catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        catalog.updateJob(job.id, { state: "failed", endedAt: this.#o.now(), message });
        this.#o.log(`job ${job.id} failed: ${message}`);
      })
      .finally(() => {
        this.#running.delete(job.id);
        this.#publish(job.id);
      });
    this.#running.set(job.id, run);
    return job;
  }

  #publish(id: number, extra: Omit<JobEvent, "job"> = {}): void {
    const job = this.#o.catalog.getJob(id);
    if (job !== null) this.#o.bus.publish({ job: jobView(job), ...extra });
  }

  async #run(job: Job, plan: CopyPlan): Promise<void> {
    const { catalog } = this.#o;
    catalog.updateJob(job.id, { state: "running", startedAt: this.#o.now() });
    const route = plan.to.map((p) => p.name).join(" → ");
    this.#publish(job.id, { log: `${plan.what}: ${plan.items.length} saveset(s) to ${route} (${plan.mode})` });
    const stages = plan.items.length === 0 ? [] : plan.to.map((pool) => this.#stage(pool));
    const bySourceNode = new Map<string, CopyItem[]>();
    for (const item of plan.items) {
      const node = this.#sourceNode(item.source);
      bySourceNode.set(node, [...(bySourceNode.get(node) ?? []), item]);
    }
    const reads = { volumes: 0, blocks: 0 };
    const outcomes = (
      await Promise.all([...bySourceNode].map(async ([node, items]) => {
        const result = await this.#copyFromNode(job, node, items, stages, plan.mode);
        reads.volumes += result.volumesRead;
        reads.blocks += result.blocksRead;
        return result.outcomes;
      }))
    ).flat();
    const dropped = plan.move ? this.#dropSources(outcomes, plan) : { copies: 0, expired: 0 };
    const done = outcomes.filter((o) => o.error === null);
    const failed = outcomes.filter((o) => o.error !== null);
    const bytes = done.reduce((n, o) => n + o.bytes, 0);
    const parts = [`${plan.what}: ${done.length} saveset(s), ${bytes} bytes, to pool ${route}`, plan.mode === "multiplex" ? `read ${reads.volumes} volume(s) once (${reads.blocks} blocks)` : `read ${reads.blocks} blocks of ${reads.volumes} volume(s), stream by stream`];
    if (plan.move) parts.push(`${dropped.copies} source cop${dropped.copies === 1 ? "y" : "ies"} dropped, ${dropped.expired} medi${dropped.expired === 1 ? "um" : "a"} expired`);
    if (failed.length > 0) parts.push(`failed: ${failed.map((o) => `saveset ${o.item.saveset.id}: ${o.error ?? ""}`).join("; ")}`);
    catalog.updateJob(job.id, { state: failed.length > 0 ? "failed" : "done", endedAt: this.#o.now(), files: done.length, bytes, errors: failed.length, message: parts.join("; ") });
  }

  /** Where a copy stage writes: a drive of the pool's group on a connected node. */
  #stage(pool: Pool): Stage {
    const { catalog, hub } = this.#o;
    const drive = catalog.listDrives().find((d) => d.driveGroup === pool.driveGroup && hub.isConnected("node", d.node));
    if (drive === undefined) throw serverError("SERVER_NO_DRIVE", `No drive of group "${pool.driveGroup}" (pool "${pool.name}") is on a connected node`);
    return { pool, drive, node: hub.node(drive.node)! };
  }

  /** The node whose drive holds a copy (the drive of its first volume). */
  #sourceNode(copy: Copy): string {
    const medium = this.#o.catalog.getMedium(copy.segments[0]?.mediumId ?? copy.extents[0]!.mediumId)!;
    return this.#o.catalog.getDrive(medium.drive)!.node;
  }

  /**
   * Copies the streams whose source lies on one node: announces each stream to every stage (the
   * first expects it from the source node, each next one from the stage before), has the source
   * node read its volumes, then records what each stage reported.
   */
  async #copyFromNode(job: Job, nodeName: string, items: CopyItem[], stages: Stage[], mode: "multiplex" | "demux"): Promise<{ outcomes: ItemOutcome[]; volumesRead: number; blocksRead: number }> {
    const { catalog, hub } = this.#o;
    const source = hub.node(nodeName);
    const fail = (error: string): { outcomes: ItemOutcome[]; volumesRead: number; blocksRead: number } => ({ outcomes: items.map((item) => ({ item, copies: 0, bytes: 0, error })), volumesRead: 0, blocksRead: 0 });
    if (source === null) return fail(`node "${nodeName}", which holds it, is not connected`);
    // Demultiplexing keeps a full and the incrementals built on it next to each other.
    const ordered = mode === "demux" ? [...items].sort((a, b) => a.saveset.task.localeCompare(b.saveset.task) || a.saveset.id - b.saveset.id) : items;
    const media = new Map<number, Medium>();
    const mediumOf = (id: number): Medium => {
      let medium = media.get(id);
      if (medium === undefined) media.set(id, (medium = catalog.getMedium(id)!));
      return medium;
    };
    const streams: CopyRun["streams"] = [];
    const placed = new Map<string, Promise<StreamDone | null>[]>();
    try {
      for (const item of ordered) {
        const stream = item.saveset.uuid;
        placed.set(stream, await this.#announce(stream, nodeName, stages));
        const extents = item.source.extents.map((e) => ({ label: mediumOf(e.mediumId).label, firstBlock: e.firstBlock, blockCount: e.blockCount, streamOffset: e.streamOffset }));
        for (const s of item.source.segments) mediumOf(s.mediumId);
        streams.push({ stream, extents, target: { name: stages[0]!.node.name, address: stages[0]!.node.dataAddress ?? "", stage: COPY_STAGE_1 } });
      }
    } catch (error) {
      await this.#withdrawAll(items, stages);
      throw error;
    }
    // Each volume once, in the order it was written (media ids grow as volumes are labelled).
    const volumes = [...media.values()].sort((a, b) => a.id - b.id).map((m) => ({ label: m.label, drive: driveSpec(catalog.getDrive(m.drive)!) }));
    let reply: CopyRunReply;
    try {
      reply = await source.conn.request<CopyRunReply>({ type: "copy.run", job: job.id, mode, volumes, streams } satisfies Omit<CopyRun, "type"> & { type: "copy.run" });
    } catch (error) {
      await this.#withdrawAll(items, stages);
      return fail(`node "${nodeName}" could not copy it: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.#publish(job.id, { log: `node "${nodeName}" read ${reply.volumesRead} volume(s), ${reply.blocksRead} blocks${reply.damagedBlocks > 0 ? ` (${reply.damagedBlocks} damaged)` : ""}` });
    const results = new Map(reply.streams.map((r) => [r.stream, r]));
    const outcomes: ItemOutcome[] = [];
    for (const item of ordered) outcomes.push(await this.#settle(item, results.get(item.saveset.uuid), placed.get(item.saveset.uuid)!, stages));
    return { outcomes, volumesRead: reply.volumesRead, blocksRead: reply.blocksRead };
  }

  /**
   * Tells every stage to expect the stream, the last first (a node holding two stages of the
   * chain joins them when the first is opened); returns, per stage, its report to come (null:
   * the node went away).
   */
  async #announce(stream: string, sourceNode: string, stages: Stage[]): Promise<Promise<StreamDone | null>[]> {
    const reports = stages.map((stage) => Promise.race([new Promise<StreamDone>((resolve) => this.#streams.set(stageKey(stage.node.name, stage.drive.name, stream), resolve)), stage.node.conn.closed.then(() => null)]));
    for (let i = stages.length - 1; i >= 0; i--) {
      const stage = stages[i]!;
      const next = stages[i + 1];
      await stage.node.conn.request({
        type: "stream.expect", stream, stage: COPY_STAGE_1 + i, client: i === 0 ? sourceNode : stages[i - 1]!.node.name, sender: "node", drive: driveSpec(stage.drive), pool: stage.pool.name, blockSize: MEDIA_BLOCK_SIZE,
        ...(next === undefined ? {} : { forward: { name: next.node.name, address: next.node.dataAddress ?? "", stage: COPY_STAGE_1 + i + 1 } }),
      });
    }
    return reports;
  }

  /** After the source node answered: waits for each stage's report of an opened stream and records the copies. */
  async #settle(item: CopyItem, result: CopyStreamResult | undefined, reports: Promise<StreamDone | null>[], stages: Stage[]): Promise<ItemOutcome> {
    const stream = item.saveset.uuid;
    const outcome: ItemOutcome = { item, copies: 0, bytes: result?.bytes ?? 0, error: null };
    if (result === undefined || !result.opened) {
      await this.#withdraw(stream, stages);
      outcome.error = result?.error ?? "the node did not copy it";
      return outcome;
    }
    const problems: string[] = result.error === null ? [] : [result.error];
    for (let i = 0; i < stages.length; i++) {
      const stage = stages[i]!;
      const done = await reports[i]!;
      this.#streams.delete(stageKey(stage.node.name, stage.drive.name, stream));
      const problem = this.#record(item, stage, done, result.complete);
      if (problem === null) outcome.copies++;
      else if (problem !== "") problems.push(problem);
    }
    if (outcome.copies < stages.length && problems.length === 0) problems.push("not every copy stage wrote it");
    outcome.error = problems.length === 0 ? null : problems.join("; ");
    return outcome;
  }

  /** Records the copy a stage reported; returns null when it did, else why not ("" when the sender's error says it). */
  #record(item: CopyItem, stage: Stage, done: StreamDone | null, complete: boolean): string | null {
    if (done === null) return `node "${stage.node.name}" disconnected`;
    if (done.aborted) return `pool "${stage.pool.name}": ${done.error ?? "cut short"}`;
    // Only whole copies are recorded: a cut-off one would serve no restore.
    if (!complete) return "";
    return recordCopy(this.#o.catalog, item.saveset.id, done, this.#o.now()) === null ? `pool "${stage.pool.name}": nothing was written` : null;
  }

  async #withdrawAll(items: CopyItem[], stages: Stage[]): Promise<void> {
    for (const item of items) await this.#withdraw(item.saveset.uuid, stages);
  }

  /** Makes the stages forget a stream that was never sent. */
  async #withdraw(stream: string, stages: Stage[]): Promise<void> {
    for (const [i, stage] of stages.entries()) {
      this.#streams.delete(stageKey(stage.node.name, stage.drive.name, stream));
      await stage.node.conn.request({ type: "stream.withdraw", stream, stage: COPY_STAGE_1 + i }).catch(() => undefined);
    }
  }

  /**
   * Migration: the source copy of every stream copied to every stage is forgotten; a source
   * medium left with no copy (of a live saveset, for a compaction) ends `expired`. A medium still
   * appendable stays so: its media agent may be writing it.
   */
  #dropSources(outcomes: ItemOutcome[], plan: CopyPlan): { copies: number; expired: number } {
    const { catalog } = this.#o;
    const touched = new Set(plan.freeMedia);
    let copies = 0;
    for (const o of outcomes) {
      if (o.error !== null) continue;
      for (const s of o.item.source.segments) touched.add(s.mediumId);
      for (const e of o.item.source.extents) touched.add(e.mediumId);
      if (catalog.deleteCopy(o.item.source.id)) copies++;
    }
    const left = new Set(outcomes.filter((o) => o.error !== null).map((o) => o.item.source.id));
    // Copies of expired savesets on the media compacted: their data goes with the medium.
    if (left.size === 0) for (const id of plan.deadCopies) catalog.deleteCopy(id);
    let expired = 0;
    for (const id of touched) {
      const medium = catalog.getMedium(id);
      if (medium === null || medium.state === "appendable" || medium.state === "empty" || medium.state === "expired") continue;
      if (catalog.savesetsOnMedium(id).length > 0) continue;
      catalog.updateMedium(id, { state: "expired" });
      expired++;
    }
    return { copies, expired };
  }
}

/** Which savesets a copy request selects, each with the copy to read. */
class SavesetSelection {
  readonly #catalog: Catalog;
  readonly #now: Date;
  readonly #media = new Map<number, Medium | null>();

  constructor(catalog: Catalog, now: Date) {
    this.#catalog = catalog;
    this.#now = now;
  }

  select(request: CopyRequest, targets: string[]): CopyItem[] {
    const catalog = this.#catalog;
    const wanted = request.savesets === undefined ? null : new Set(request.savesets);
    for (const id of wanted ?? []) if (catalog.getSaveset(id) === null) throw apiError("API_NOT_FOUND", `body/savesets: no saveset ${id}`);
    const all = catalog.listSavesets();
    const alive = request.alive === true ? aliveSavesets(all, this.#now) : null;
    const filters: Array<(s: Saveset) => boolean> = [(s) => s.status === "complete"];
    if (wanted !== null) filters.push((s) => wanted.has(s.id));
    if (request.task !== undefined) filters.push((s) => s.task === request.task);
    if (request.since !== undefined) filters.push((s) => s.backupDay >= request.since!);
    if (request.until !== undefined) filters.push((s) => s.backupDay <= request.until!);
    if (alive !== null) filters.push((s) => alive.has(s.id));
    const items: CopyItem[] = [];
    for (const saveset of all.reverse()) {
      if (!filters.every((f) => f(saveset))) continue;
      const source = this.#source(catalog.copiesOf(saveset.id), request, targets);
      if (source !== undefined) items.push({ saveset, source });
    }
    return items;
  }

  /** The copy to read: in the pool asked for, outside the route where there is one; none when the saveset is in `notCopiedTo` already. */
  #source(copies: Copy[], request: CopyRequest, targets: string[]): Copy | undefined {
    if (request.notCopiedTo !== undefined && copies.some((c) => this.#pools(c).includes(request.notCopiedTo!))) return undefined;
    const inPool = request.pool === undefined ? copies : copies.filter((c) => this.#pools(c).includes(request.pool!));
    // A copy to a pool it is already in adds little: read another one when there is one.
    return inPool.find((c) => !this.#pools(c).some((p) => targets.includes(p))) ?? inPool[0];
  }

  #pools(copy: Copy): string[] {
    const ids = new Set([...copy.segments.map((s) => s.mediumId), ...copy.extents.map((e) => e.mediumId)]);
    return [...ids].flatMap((id) => {
      if (!this.#media.has(id)) this.#media.set(id, this.#catalog.getMedium(id));
      const medium = this.#media.get(id);
      return medium === null || medium === undefined ? [] : [medium.pool];
    });
  }
}

/** Chooses the media of a compaction and the copies to move off them. */
class Compaction {
  readonly #catalog: Catalog;
  readonly #now: Date;

  constructor(catalog: Catalog, now: Date) {
    this.#catalog = catalog;
    this.#now = now;
  }

  plan(pool: Pool, threshold: number): CopyPlan {
    const catalog = this.#catalog;
    const alive = aliveSavesets(catalog.listSavesets(), this.#now);
    const items = new Map<number, CopyItem>();
    const freeMedia: number[] = [];
    const deadCopies = new Set<number>();
    for (const medium of catalog.listMedia({ pool: pool.name, state: "full" })) {
      const onIt = catalog.savesetsOnMedium(medium.id).flatMap((id) => catalog.copiesOf(id).filter((c) => touches(c, medium.id)).map((copy) => ({ copy, saveset: catalog.getSaveset(id)! })));
      const live = onIt.filter((x) => alive.has(x.saveset.id) && x.saveset.status === "complete");
      const liveBytes = live.reduce((n, x) => n + x.copy.extents.filter((e) => e.mediumId === medium.id).reduce((m, e) => m + e.blockCount * medium.blockSize, 0), 0);
      if (medium.bytesWritten === 0 || liveBytes >= threshold * medium.bytesWritten) continue;
      freeMedia.push(medium.id);
      for (const x of live) items.set(x.copy.id, { saveset: x.saveset, source: x.copy });
      for (const x of onIt) if (!alive.has(x.saveset.id)) deadCopies.add(x.copy.id);
    }
    return { items: [...items.values()], to: [pool], mode: "multiplex", move: true, freeMedia, deadCopies: [...deadCopies], what: `compaction of ${freeMedia.length} medi${freeMedia.length === 1 ? "um" : "a"}` };
  }
}

function touches(copy: Copy, mediumId: number): boolean {
  return copy.segments.some((s) => s.mediumId === mediumId) || copy.extents.some((e) => e.mediumId === mediumId);
}

/**
 * The savesets still alive: end of life not passed, or built on by one that is (an incremental
 * needs its full until it expires itself).
 */
function aliveSavesets(all: Saveset[], now: Date): Set<number> {
  const byId = new Map(all.map((s) => [s.id, s]));
  const alive = new Set<number>();
  for (const s of all) {
    if (s.endOfLife <= now) continue;
    for (let at: Saveset | undefined = s; at !== undefined && !alive.has(at.id); at = at.parentId === null ? undefined : byId.get(at.parentId)) alive.add(at.id);
  }
  return alive;
}

