/**
 * `reel media scan`: rebuilds the catalog from media alone ("lose the server, keep the data").
 * The node lists what a drive's volumes hold (media.scan); for each volume the catalog gets its
 * medium (and pool) if it lacks them, and for each stream copy the saveset with its task and
 * client, the copy, and the file index decoded by the node (media.scan.read, rows as BINARY
 * frames). Scanning twice adds nothing: savesets are known by stream id, copies by placement.
 */
import type { Catalog, Drive, IndexWriter, Level, Medium, NewCopy, Saveset } from "../catalog/index.js";
import { isReelError } from "../errors/index.js";
import type { MediaScanReadReply, MediaScanReply, ScannedStream, ScannedVolume, WireIndexRow } from "../transfer/index.js";
import type { Agent } from "./agents.js";

const DEFAULT_RETENTION_DAYS = 30;
const DEFAULT_MEDIUM_SIZE = 4 * 1024 ** 3;

export interface MediaScanOptions {
  catalog: Catalog;
  /** The node that owns the drive. */
  node: Agent;
  drive: Drive;
  job: number;
  /** Where the job's index rows go while a stream is read (null: nowhere). */
  routeRows: (sink: ((rows: WireIndexRow[]) => void) | null) => void;
  log: (line: string) => void;
}

export interface MediaScanSummary {
  volumes: number;
  mediaAdded: number;
  savesetsAdded: number;
  copiesAdded: number;
  rows: number;
  /** What could not be taken into the catalog, for people. */
  problems: string[];
}

/** What the HEAD descriptor (format.md §4.2) of a reel backup says about its saveset. */
interface SavesetFacts {
  task: string;
  client: string;
  level: Level;
  parent: string | null;
  backupDay: string;
  endOfLife: Date;
  pool: string;
  paths: string[];
}

export class MediaScan {
  readonly #o: MediaScanOptions;
  readonly #summary: MediaScanSummary = { volumes: 0, mediaAdded: 0, savesetsAdded: 0, copiesAdded: 0, rows: 0, problems: [] };
  /** Labels of the volumes the catalog has, with their medium. */
  readonly #media = new Map<string, Medium>();

  constructor(options: MediaScanOptions) {
    this.#o = options;
  }

  async run(labels: string[] | undefined): Promise<MediaScanSummary> {
    const { drive } = this.#o;
    const reply = await this.#o.node.conn.request<MediaScanReply>({ type: "media.scan", drive: driveSpec(drive), ...(labels === undefined ? {} : { labels }) });
    for (const bad of reply.unreadable) this.#problem(`volume "${bad.label}" is not readable: ${bad.reason}`);
    for (const volume of reply.volumes) this.#takeVolume(volume);
    this.#summary.volumes = reply.volumes.length;
    // Older streams first: a saveset's parent is then in the catalog before it.
    const streams = [...reply.streams].sort((a, b) => (a.head?.createdAt ?? "").localeCompare(b.head?.createdAt ?? ""));
    for (const stream of streams) await this.#takeStream(stream);
    return this.#summary;
  }

  #problem(text: string): void {
    this.#summary.problems.push(text);
    this.#o.log(text);
  }

  /** Adds the medium of a volume (and its pool) unless the catalog knows it. */
  #takeVolume(volume: ScannedVolume): void {
    const { catalog, drive } = this.#o;
    if (volume.pool === null) return this.#problem(`volume "${volume.label}" belongs to no pool (an archive file?): not taken`);
    const known = catalog.getMedium(volume.label);
    if (known !== null) {
      if (known.mediumId !== volume.mediumId) return this.#problem(`volume "${volume.label}" has medium id ${volume.mediumId}, the catalog's medium of that label ${known.mediumId}: not taken`);
      this.#media.set(volume.label, known);
      return;
    }
    const pool = this.#pool(volume.pool);
    try {
      const medium = catalog.addMedium({ label: volume.label, pool: pool.name, mediumId: volume.mediumId, drive: drive.name, blockSize: volume.blockSize, capacity: pool.mediumSize });
      const isFull = (volume.blocks + 1) * volume.blockSize > medium.capacity;
      catalog.updateMedium(medium.id, { state: isFull ? "full" : "appendable", blocks: volume.blocks, bytesWritten: volume.blocks * volume.blockSize });
      this.#media.set(volume.label, catalog.getMedium(medium.id)!);
      this.#summary.mediaAdded++;
      this.#o.log(`volume "${volume.label}": medium added to pool "${pool.name}" (${volume.blocks} blocks${volume.damaged > 0 ? `, ${volume.damaged} damaged` : ""})`);
    } catch (error) {
      if (!isReelError(error, "CATALOG_CONFLICT")) throw error;
      this.#problem(`volume "${volume.label}": ${error.message}`);
    }
  }

  /** A pool by name; one the catalog lacks is made with default settings on the drive's group. */
  #pool(name: string): { name: string; mediumSize: number } {
    const { catalog, drive } = this.#o;
    return catalog.getPool(name) ?? catalog.putPool({ name, retentionDays: DEFAULT_RETENTION_DAYS, driveGroup: drive.driveGroup, mediumSize: DEFAULT_MEDIUM_SIZE });
  }

  async #takeStream(stream: ScannedStream): Promise<void> {
    const missing = stream.segments.find((s) => !this.#media.has(s.label));
    if (missing !== undefined) return this.#problem(`stream ${stream.stream}: volume "${missing.label}" is not in the catalog, its copy there is not recorded`);
    const known = this.#o.catalog.getSaveset(stream.stream);
    // A saveset still being written gets its copy recorded when it ends, not half of it now.
    if (known?.status === "running") return;
    if (known !== null) return this.#addCopy(known, stream);
    if (stream.head === null) return this.#problem(`stream ${stream.stream}: its HEAD record is lost or not on these volumes; it cannot be named`);
    const facts = factsOf(stream.head.descriptor);
    if (typeof facts === "string") return this.#problem(`stream ${stream.stream}: ${facts}`);
    const saveset = this.#addSaveset(stream, facts);
    if (saveset === null) return;
    this.#addCopy(saveset, stream);
    await this.#index(saveset, stream);
  }

  #addSaveset(stream: ScannedStream, facts: SavesetFacts): Saveset | null {
    const { catalog } = this.#o;
    const parent = facts.parent === null ? null : catalog.getSaveset(facts.parent);
    if (facts.level !== "full" && parent === null) {
      this.#problem(`stream ${stream.stream}: the ${facts.level} of task "${facts.task}" builds on saveset ${String(facts.parent)}, which no scanned medium holds; scan its media first`);
      return null;
    }
    try {
      return catalog.transaction(() => {
        if (catalog.getClient(facts.client) === null) catalog.putClient({ name: facts.client, certFingerprint: null });
        const pool = this.#pool(facts.pool);
        if (catalog.getTask(facts.task) === null) catalog.putTask({ name: facts.task, client: facts.client, paths: facts.paths, excludes: [], pool: pool.name, compression: stream.head?.compression ?? "none" });
        return catalog.addSaveset({
          uuid: stream.stream, task: facts.task, client: facts.client, level: facts.level, parentId: parent?.id ?? null,
          backupDay: facts.backupDay, endOfLife: facts.endOfLife, encrypted: stream.head?.isEncrypted ?? false,
        });
      });
    } catch (error) {
      if (!isReelError(error) || !error.code.startsWith("CATALOG_")) throw error;
      this.#problem(`stream ${stream.stream}: ${error.message}`);
      return null;
    }
  }

  /** Records the copy unless the saveset has one with the same placement; keeps the media's counters and end of life. */
  #addCopy(saveset: Saveset, stream: ScannedStream): void {
    const { catalog } = this.#o;
    const copy: NewCopy = {
      segments: stream.segments.map((s) => ({ mediumId: this.#media.get(s.label)!.id, firstBlock: s.firstBlock, lastBlock: s.lastBlock, streamOffset: s.streamOffset })),
      extents: stream.extents.map((e) => ({ mediumId: this.#media.get(e.label)!.id, firstBlock: e.firstBlock, blockCount: e.blockCount, streamOffset: e.streamOffset })),
    };
    const same = JSON.stringify(copy);
    if (catalog.copiesOf(saveset.id).some((c) => JSON.stringify({ segments: c.segments, extents: c.extents }) === same)) return;
    catalog.addCopy(saveset.id, copy);
    this.#summary.copiesAdded++;
    for (const segment of stream.segments) {
      const medium = catalog.getMedium(segment.label)!;
      if (medium.endOfLife === null || saveset.endOfLife > medium.endOfLife) catalog.updateMedium(medium.id, { endOfLife: saveset.endOfLife });
    }
  }

  /** Has the node decode the stream; its rows become the saveset's file index, its trailer the saveset's status. */
  async #index(saveset: Saveset, stream: ScannedStream): Promise<void> {
    const { catalog, node, drive, job } = this.#o;
    const rows = new RowSink(catalog.fileIndexWriter(saveset.id));
    this.#o.routeRows((batch) => rows.take(batch));
    let read: MediaScanReadReply | null = null;
    try {
      read = await node.conn.request<MediaScanReadReply>({ type: "media.scan.read", job, drive: driveSpec(drive), stream: stream.stream, extents: stream.extents });
    } finally {
      this.#o.routeRows(null);
      rows.finish();
      catalog.finishSaveset(saveset.id, outcomeOf(read, rows.refused));
    }
    this.#summary.savesetsAdded++;
    this.#summary.rows += rows.taken;
    const status = read.trailer === null ? "incomplete: no trailer" : read.trailer.isIntact ? "complete" : `incomplete: ${read.trailer.problems.join("; ")}`;
    const encrypted = stream.head?.isEncrypted === true ? " (encrypted: its files are not listed)" : "";
    this.#o.log(`saveset ${saveset.id} (${saveset.level} of task "${saveset.task}", stream ${stream.stream}): ${status}, ${rows.taken} files indexed${encrypted}`);
    for (const loss of read.losses) this.#problem(`stream ${stream.stream}: ${loss}`);
    if (rows.refused > 0) this.#problem(`stream ${stream.stream}: ${rows.refused} file-index rows refused by the catalog`);
  }
}

/** A saveset's file index as rows come: a row the catalog refuses (a bad path) is counted, not fatal. */
class RowSink {
  readonly #writer: IndexWriter;
  taken = 0;
  refused = 0;

  constructor(writer: IndexWriter) {
    this.#writer = writer;
  }

  take(rows: WireIndexRow[]): void {
    for (const row of rows) {
      try {
        this.#writer.add(row);
        this.taken++;
      } catch (error) {
        if (!isReelError(error, "CATALOG_BAD_PATH") && !isReelError(error, "CATALOG_INVALID")) throw error;
        this.refused++;
      }
    }
  }

  finish(): void {
    this.#writer.finish();
  }
}

/** How a scanned saveset ends: complete only with an intact trailer; counts from the trailer, else from what was read. */
function outcomeOf(read: MediaScanReadReply | null, refused: number): { status: "complete" | "incomplete"; files: number; bytes: number; errors: number } {
  const trailer = read?.trailer ?? null;
  return {
    status: trailer?.isIntact === true ? "complete" : "incomplete",
    files: trailer?.entryCount ?? read?.entries ?? 0,
    bytes: trailer?.dataBytes ?? read?.dataBytes ?? 0,
    errors: refused,
  };
}

/** The drive as a node is told it. */
export function driveSpec(drive: Drive): { name: string; kind: string; path: string; options: Record<string, unknown> } {
  return { name: drive.name, kind: drive.kind, path: drive.path, options: drive.options };
}

/** Reads a HEAD descriptor as the server writes it (jobs.ts); a text saying what is wrong otherwise. */
function factsOf(d: Record<string, unknown>): SavesetFacts | string {
  const text = (key: string): string | null => (typeof d[key] === "string" && d[key] !== "" ? d[key] : null);
  const task = text("task");
  const client = text("client");
  const level = text("level");
  const pool = text("pool");
  const backupDay = text("backupDay");
  const endOfLife = new Date(text("endOfLife") ?? "invalid");
  if (task === null || client === null || pool === null || backupDay === null) return "its HEAD descriptor names no task, client, pool or backup day (not written by a reel server)";
  if (level !== "full" && level !== "diff" && level !== "incr") return `its HEAD descriptor has level ${JSON.stringify(d["level"])}`;
  if (Number.isNaN(endOfLife.getTime())) return `its HEAD descriptor has end of life ${JSON.stringify(d["endOfLife"])}`;
  const paths = Array.isArray(d["paths"]) ? d["paths"].filter((p): p is string => typeof p === "string") : [];
  return { task, client, level, parent: text("parent"), backupDay, endOfLife, pool, paths: paths.length > 0 ? paths : ["/"] };
}
