/**
 * Media at the end of their life: a medium that no longer holds a copy of any saveset is
 * `expired`, its volume is erased on its node and the catalog medium becomes `empty`, to be
 * handed out again under its label (agents.ts `#nextVolume`). Also `reel media label`: empty
 * media labelled ahead, and an existing medium re-initialised. docs/operations.md §Media.
 */
import { randomBytes } from "node:crypto";
import { apiError } from "../api/index.js";
import type { Catalog, Drive, Medium } from "../catalog/index.js";
import { isReelError } from "../errors/index.js";
import { serverError } from "./errors.js";
import { MEDIA_BLOCK_SIZE } from "./jobs.js";

/** What happened to one medium asked to be recycled. */
type Outcome = "recycled" | "offline" | "busy" | "failed";

/** The states a medium may be recycled from: written ones, and expired ones a node could not erase yet. */
const RECYCLABLE = new Set(["full", "appendable", "expired"]);

/** What the recycler needs of the agent hub: a connected node to send `media.erase` to. */
export interface MediaNodes {
  node(name: string): { conn: { request<T>(message: { type: string; [field: string]: unknown }): Promise<T> } } | null;
}

export interface MediaRecyclerOptions {
  catalog: Catalog;
  hub: MediaNodes;
  log: (line: string) => void;
}

export class MediaRecycler {
  readonly #o: MediaRecyclerOptions;

  constructor(options: MediaRecyclerOptions) {
    this.#o = options;
  }

  /**
   * Recycles every medium in state full, appendable or expired that holds no saveset copy, on
   * the drives given (all by default); returns how many became `empty`. Media of drives a backup
   * may be writing (a running saveset of a pool of their drive group) wait: a stream spanning
   * media records its copy only when it ends. A volume a media agent has open is refused by its
   * node, and the medium keeps its state. A node that is not connected leaves the medium
   * `expired` until a later call.
   */
  async recycle(drives?: ReadonlySet<string>): Promise<number> {
    const { catalog } = this.#o;
    const busy = this.#busyDrives();
    const candidates = catalog.listMedia().filter((m) => RECYCLABLE.has(m.state) && !busy.has(m.drive) && (drives === undefined || drives.has(m.drive)));
    let recycled = 0;
    for (const medium of candidates) {
      if (catalog.savesetsOnMedium(medium.id).length > 0) continue;
      if ((await this.#recycleOne(medium)) === "recycled") recycled++;
    }
    return recycled;
  }

  /**
   * `reel media label --pool P --drive D --count N`: adds N empty media with the pool's next
   * labels. Their label blocks are written when a stream first goes to them. Throws API_NOT_FOUND
   * for an unknown pool or drive, API_BAD_REQUEST for a drive outside the pool's drive group.
   */
  labelNew(request: { pool: string; drive: string; count: number }): Medium[] {
    const { catalog } = this.#o;
    const pool = catalog.getPool(request.pool);
    if (pool === null) throw apiError("API_NOT_FOUND", `No pool "${request.pool}"`);
    const drive = catalog.getDrive(request.drive);
    if (drive === null) throw apiError("API_NOT_FOUND", `No drive "${request.drive}"`);
    if (drive.driveGroup !== pool.driveGroup) {
      throw apiError("API_BAD_REQUEST", `Cannot label media of pool "${pool.name}" on drive "${drive.name}": the drive is in group "${drive.driveGroup}", the pool writes to group "${pool.driveGroup}"`);
    }
    return catalog.transaction(() =>
      Array.from({ length: request.count }, () =>
        catalog.addMedium({ label: catalog.nextMediumLabel(pool.name), pool: pool.name, mediumId: randomBytes(16).toString("hex"), drive: drive.name, blockSize: MEDIA_BLOCK_SIZE, capacity: pool.mediumSize }),
      ),
    );
  }

  /**
   * `reel media label LABEL --force`: erases the medium's volume and makes it `empty`. Refused
   * (API_CONFLICT) while a saveset copy lies on it or a media agent has its volume open;
   * SERVER_NOT_CONNECTED when its node is not connected.
   */
  async relabel(label: string): Promise<Medium> {
    const { catalog } = this.#o;
    const medium = catalog.getMedium(label);
    if (medium === null) throw apiError("API_NOT_FOUND", `No medium "${label}"`);
    const savesets = catalog.savesetsOnMedium(medium.id);
    if (savesets.length > 0) {
      throw apiError("API_CONFLICT", `Cannot re-initialise medium "${label}": it holds a copy of saveset${savesets.length === 1 ? "" : "s"} ${savesets.join(", ")}, which ${savesets.length === 1 ? "has" : "have"} not expired`, { label, savesets });
    }
    if (medium.state === "empty") return medium;
    const drive = catalog.getDrive(medium.drive)!;
    const node = this.#o.hub.node(drive.node);
    if (node === null) throw serverError("SERVER_NOT_CONNECTED", `Cannot re-initialise medium "${label}": node "${drive.node}" of drive "${drive.name}" is not connected`, { label, node: drive.node });
    try {
      await node.conn.request({ type: "media.erase", drive: driveSpec(drive), label });
    } catch (error) {
      if (isReelError(error, "MEDIA_VOLUME_BUSY")) throw apiError("API_CONFLICT", `Cannot re-initialise medium "${label}": a media agent is writing to it`, { label }, error);
      throw error;
    }
    this.#o.log(`medium ${label} re-initialised: its volume on drive "${drive.name}" was erased`);
    return catalog.recycleMedium(medium.id);
  }

  async #recycleOne(medium: Medium): Promise<Outcome> {
    const { catalog, hub, log } = this.#o;
    if (medium.state !== "expired") catalog.updateMedium(medium.id, { state: "expired" });
    const drive = catalog.getDrive(medium.drive)!;
    const node = hub.node(drive.node);
    if (node === null) {
      log(`medium ${medium.label} expired: node "${drive.node}" is not connected, its volume is erased at a later newday`);
      return "offline";
    }
    try {
      await node.conn.request({ type: "media.erase", drive: driveSpec(drive), label: medium.label });
    } catch (error) {
      if (isReelError(error, "MEDIA_VOLUME_BUSY")) {
        // The media agent still writes to it: it stays what it was.
        if (catalog.getMedium(medium.id)?.state === "expired") catalog.updateMedium(medium.id, { state: medium.state });
        return "busy";
      }
      log(`medium ${medium.label} expired: cannot erase its volume on drive "${drive.name}": ${error instanceof Error ? error.message : String(error)}`);
      return "failed";
    }
    catalog.recycleMedium(medium.id);
    log(`medium ${medium.label} recycled: its volume on drive "${drive.name}" was erased`);
    return "recycled";
  }

  /** Drives of the drive groups of pools that a running saveset is being written to. */
  #busyDrives(): Set<string> {
    const { catalog } = this.#o;
    const groups = new Set<string>();
    for (const saveset of catalog.listSavesets().filter((s) => s.status === "running")) {
      const pool = catalog.getPool(catalog.getTask(saveset.task)?.pool ?? "");
      if (pool !== null) groups.add(pool.driveGroup);
    }
    return new Set(catalog.listDrives().filter((d) => groups.has(d.driveGroup)).map((d) => d.name));
  }
}

function driveSpec(drive: Drive): { name: string; kind: string; path: string; options: Record<string, unknown> } {
  return { name: drive.name, kind: drive.kind, path: drive.path, options: drive.options };
}
