/**
 * The server's side of the agent protocol: the TLS listener that nodes and client agents
 * connect to, who is connected, and the messages they send on their own (volume requests,
 * stream reports, index rows, progress). docs/protocol.md §Messages.
 */
import type { Catalog } from "../catalog/index.js";
import { type Connection, decodeIndexRows, encodeIndexRows, type Identity, listenTls, type StreamDone, type VolumeEvent, type VolumeNext, type WireIndexRow } from "../transfer/index.js";
import { randomBytes } from "node:crypto";
import { serverError } from "./errors.js";

export interface AgentHubEvents {
  /** A node reports where a stream it wrote lies (each stage of a chain reports its own). */
  streamDone(node: string, done: StreamDone): void;
  indexRows(job: number, rows: WireIndexRow[]): void;
  progress(job: number, files: number, bytes: number, log: string | undefined): void;
}

export interface Agent {
  kind: "node" | "client";
  name: string;
  conn: Connection;
  dataAddress: string | null;
}

const PREVIOUS_BATCH = 8192;

export class AgentHub {
  readonly #catalog: Catalog;
  readonly #events: AgentHubEvents;
  readonly #agents = new Map<string, Agent>();
  readonly #waiters = new Map<string, Array<() => void>>();
  #listener: { port: number; close(): Promise<void> } | null = null;

  constructor(catalog: Catalog, events: AgentHubEvents) {
    this.#catalog = catalog;
    this.#events = events;
  }

  get port(): number {
    return this.#listener?.port ?? 0;
  }

  async listen(host: string, port: number, identity: Identity): Promise<void> {
    this.#listener = await listenTls({ host, port, identity, accept: ["node", "client"] }, (conn, peer) => this.#accept(conn, peer.kind as "node" | "client", peer.name));
  }

  async close(): Promise<void> {
    for (const agent of this.#agents.values()) agent.conn.destroy();
    await this.#listener?.close();
  }

  node(name: string): Agent | null {
    return this.#agents.get(`node:${name}`) ?? null;
  }

  client(name: string): Agent | null {
    return this.#agents.get(`client:${name}`) ?? null;
  }

  isConnected(kind: "node" | "client", name: string): boolean {
    return this.#agents.has(`${kind}:${name}`);
  }

  /** Resolves when that agent has said hello (used at start-up for the embedded ones). */
  whenConnected(kind: "node" | "client", name: string): Promise<void> {
    if (this.isConnected(kind, name)) return Promise.resolve();
    return new Promise((resolve) => {
      const key = `${kind}:${name}`;
      this.#waiters.set(key, [...(this.#waiters.get(key) ?? []), resolve]);
    });
  }

  #accept(conn: Connection, kind: "node" | "client", name: string): void {
    const key = `${kind}:${name}`;
    conn.onBinary((bytes) => {
      const decoded = decodeIndexRows(bytes);
      if (decoded !== null) this.#events.indexRows(decoded.job, decoded.rows);
    });
    conn.onMessage(async (message) => {
      const request = message as { id: number; type: string };
      try {
        const reply = await this.#onMessage(conn, kind, name, message);
        if (reply !== undefined) await conn.reply(request, reply);
      } catch (error) {
        if (typeof message["id"] === "number") await conn.replyError(request, error);
      }
    });
    void conn.closed.then(() => {
      if (this.#agents.get(key)?.conn === conn) this.#agents.delete(key);
    });
  }

  async #onMessage(conn: Connection, kind: "node" | "client", name: string, message: Record<string, unknown>): Promise<object | undefined> {
    switch (message["type"]) {
      case "hello":
        this.#hello(conn, kind, name, typeof message["dataAddress"] === "string" ? message["dataAddress"] : null);
        return { ok: true };
      case "volume.next":
        return this.#nextVolume(name, message as unknown as VolumeNext);
      case "volume.event": {
        const event = message as unknown as VolumeEvent;
        const medium = this.#catalog.getMedium(event.label);
        if (medium !== null) this.#catalog.updateMedium(medium.id, { state: event.state === "full" ? "full" : "appendable", blocks: event.blocks, bytesWritten: event.bytes });
        return undefined;
      }
      case "stream.done":
        this.#events.streamDone(name, message as unknown as StreamDone);
        return undefined;
      case "job.progress":
        this.#events.progress(Number(message["job"]), Number(message["files"]), Number(message["bytes"]), typeof message["log"] === "string" ? message["log"] : undefined);
        return undefined;
      case "index.previous":
        return this.#sendPrevious(conn, Number(message["job"]), Number(message["saveset"]));
      default:
        throw serverError("SERVER_BAD_MESSAGE", `Unknown message "${String(message["type"])}" from ${kind} "${name}"`);
    }
  }

  /** An agent said hello: it is connected (a second connection of the same identity replaces the first). */
  #hello(conn: Connection, kind: "node" | "client", name: string, dataAddress: string | null): void {
    const key = `${kind}:${name}`;
    this.#agents.get(key)?.conn.destroy();
    this.#agents.set(key, { kind, name, conn, dataAddress });
    if (kind === "node") {
      this.#catalog.putNode({ name, dataAddress, certFingerprint: conn.peer?.fingerprint ?? null });
      this.#catalog.touchNode(name);
    } else {
      this.#catalog.putClient({ name, certFingerprint: conn.peer?.fingerprint ?? null });
      this.#catalog.touchClient(name);
    }
    for (const resolve of this.#waiters.get(key) ?? []) resolve();
    this.#waiters.delete(key);
  }

  #nextVolume(node: string, request: VolumeNext): { label: string; mediumId: string; capacityBytes: number } {
    const drive = this.#catalog.getDrive(request.drive);
    if (drive === null || drive.node !== node) throw serverError("SERVER_BAD_MESSAGE", `Node "${node}" asked for a volume on drive "${request.drive}", which is not its own`);
    const pool = this.#catalog.getPool(request.pool);
    if (pool === null) throw serverError("SERVER_BAD_MESSAGE", `Node "${node}" asked for a volume of unknown pool "${request.pool}"`);
    const mediumId = randomBytes(16).toString("hex");
    // An empty medium of the pool on this drive first (recycled or labelled ahead): same label,
    // new medium id, since its label block is written anew. Either way the medium is marked
    // appendable at once, so an agent planning ahead is never handed the same one twice.
    const empty = this.#catalog.listMedia({ pool: pool.name, drive: drive.name, state: "empty" })[0];
    if (empty !== undefined) {
      const reused = this.#catalog.reuseMedium(empty.id, { mediumId, blockSize: request.blockSize, capacity: pool.mediumSize });
      return { label: reused.label, mediumId, capacityBytes: pool.mediumSize };
    }
    const label = this.#catalog.nextMediumLabel(pool.name);
    const medium = this.#catalog.addMedium({ label, pool: pool.name, mediumId, drive: drive.name, blockSize: request.blockSize, capacity: pool.mediumSize });
    this.#catalog.updateMedium(medium.id, { state: "appendable" });
    return { label, mediumId, capacityBytes: pool.mediumSize };
  }

  async #sendPrevious(conn: Connection, job: number, saveset: number): Promise<{ rows: number }> {
    // The walk is synchronous and sending is not: batches are encoded as they fill, then sent.
    const frames: Uint8Array[] = [];
    let batch: WireIndexRow[] = [];
    let rows = 0;
    this.#catalog.forEachFile(saveset, (row) => {
      batch.push(row);
      rows++;
      if (batch.length >= PREVIOUS_BATCH) {
        frames.push(encodeIndexRows(job, batch));
        batch = [];
      }
    });
    if (batch.length > 0) frames.push(encodeIndexRows(job, batch));
    for (const frame of frames) await conn.sendBinary(frame);
    return { rows };
  }

}
