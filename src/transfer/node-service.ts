/**
 * The storage node: keeps a control connection to the server, listens for client data
 * connections, and runs one media agent per drive (multiplexing every stream sent to that drive
 * onto its current volume). docs/protocol.md §Node.
 */
import { type Codecs, idFromString } from "../format/index.js";
import { type Drive, type DriveSpec, makeDrive, MediaAgent, readStreamRecords, type StreamWriter } from "../media/index.js";
import type { Connection } from "./connection.js";
import { connectTls, type Identity, listenTls } from "./tls.js";
import { serviceError } from "./service-errors.js";
import type { StreamDone, StreamExpect, StreamServe, VolumeNextReply } from "./messages.js";
import { type Address, formatAddress } from "./address.js";
import { handleMediaRequest } from "./node-media.js";
import { StageSender } from "./stage-sender.js";

export interface NodeServiceOptions {
  name: string;
  identity: Identity;
  server: Address;
  /** Where clients send and fetch streams. */
  listen: Address;
  /** The address clients are told (defaults to the listening address). */
  advertise?: string;
  codecs: Codecs;
  now: () => Date;
  log: (line: string) => void;
}

interface DriveState {
  drive: Drive;
  agent: MediaAgent;
}

function agentKey(drive: string, pool: string): string {
  return `${drive}/${pool}`;
}

/** A stream being received on a data connection. */
interface Incoming {
  stream: string;
  /** Its media agent's key (drive and pool). */
  drive: string;
  writer: StreamWriter;
  /** The next stage of its chain, while it takes the records. */
  forward: StageSender | null;
  forwardError: Error | null;
}

export class NodeService {
  readonly #o: NodeServiceOptions;
  #server: Connection | null = null;
  #listener: { port: number; close(): Promise<void> } | null = null;
  readonly #drives = new Map<string, DriveState>();
  readonly #expected = new Map<string, StreamExpect>();
  readonly #serving = new Map<string, StreamServe>();

  constructor(options: NodeServiceOptions) {
    this.#o = options;
  }

  /** The address clients reach this node at. */
  get dataAddress(): string {
    return this.#o.advertise ?? formatAddress({ host: this.#o.listen.host, port: this.#listener?.port ?? this.#o.listen.port });
  }

  async start(): Promise<void> {
    this.#listener = await listenTls({ ...this.#o.listen, identity: this.#o.identity, accept: ["client", "node"] }, (conn) => this.#onData(conn));
    const server = await connectTls({ ...this.#o.server, identity: this.#o.identity, expect: "server" });
    this.#server = server;
    server.onMessage(async (message) => {
      try {
        await this.#onServer(server, message);
      } catch (error) {
        if (typeof message["id"] === "number") await server.replyError(message as { id: number }, error);
      }
    });
    await server.request({ type: "hello", kind: "node", name: this.#o.name, version: "0.1.0", dataAddress: this.dataAddress });
    this.#o.log(`node ${this.#o.name}: connected to the server, data on ${this.dataAddress}`);
  }

  /** Resolves when the control connection to the server ends. */
  get closed(): Promise<Error | null> {
    return this.#server?.closed ?? Promise.resolve(null);
  }

  async stop(): Promise<void> {
    await this.#listener?.close();
    for (const state of this.#drives.values()) await state.agent.close();
    await this.#server?.close();
  }

  async #onServer(server: Connection, message: Record<string, unknown>): Promise<void> {
    switch (message["type"]) {
      case "stream.expect": {
        const expect = message as unknown as StreamExpect;
        this.#driveFor(expect.drive, expect.pool, expect.blockSize);
        this.#expected.set(expect.stream, expect);
        await server.reply(message as { id: number }, { ok: true });
        return;
      }
      case "stream.withdraw": {
        // The client failed before it opened the stream (or after: then its end is reported as usual).
        const stream = String(message["stream"]);
        const wasWaiting = this.#expected.delete(stream);
        await server.reply(message as { id: number }, { opened: !wasWaiting });
        return;
      }
      case "stream.serve": {
        this.#serving.set((message as unknown as StreamServe).stream, message as unknown as StreamServe);
        await server.reply(message as { id: number }, { ok: true });
        return;
      }
      default: {
        // Media requests may run long (a copy reads whole volumes) and need the server meanwhile (a
        // copy stage on this node asks it for volumes): they run beside this connection's queue.
        void this.#mediaRequest(server, message);
      }
    }
  }

  async #mediaRequest(server: Connection, message: Record<string, unknown>): Promise<void> {
    try {
      const reply = await handleMediaRequest({ name: this.#o.name, driveOf: (spec) => this.#driveOf(spec), server, codecs: this.#o.codecs, log: this.#o.log, identity: this.#o.identity }, message);
      if (reply !== undefined) return void (await server.reply(message as { id: number }, reply));
      if (typeof message["id"] === "number") throw serviceError("TRANSFER_BAD_MESSAGE", `Unknown request "${String(message["type"])}" from the server`);
    } catch (error) {
      if (typeof message["id"] === "number") await server.replyError(message as { id: number }, error).catch(() => undefined);
    }
  }

  /** The drive of a spec: the one its media agents write, else a new one. */
  #driveOf(spec: DriveSpec): Drive {
    return [...this.#drives.values()].find((d) => d.drive.name === spec.name)?.drive ?? makeDrive(spec, this.#o.codecs);
  }

  /** The media agent writing a pool's volumes on a drive (one per drive and pool: a volume holds one pool's streams). */
  #driveFor(spec: DriveSpec, pool: string, blockSize: number): DriveState {
    const key = agentKey(spec.name, pool);
    const known = this.#drives.get(key);
    if (known !== undefined) return known;
    const drive = this.#driveOf(spec);
    const agent = new MediaAgent({
      drive, pool, blockSize, codecs: this.#o.codecs, now: this.#o.now,
      nextVolume: async () => {
        const reply = await this.#server!.request<VolumeNextReply>({ type: "volume.next", drive: spec.name, pool, blockSize });
        return { label: reply.label, mediumId: idFromString(reply.mediumId), capacityBytes: reply.capacityBytes };
      },
      onVolume: (event) => void this.#server?.send({ type: "volume.event", drive: spec.name, ...event }).catch(() => undefined),
    });
    const state = { drive, agent };
    this.#drives.set(key, state);
    return state;
  }

  /**
   * A data connection of a client agent, or of the node of the stage before: either sends one
   * stream (stream.open) or reads one (stream.read).
   */
  #onData(conn: Connection): void {
    let writer: Incoming | null = null;
    // The media agent copies each record into its blocks before write() settles, and the next
    // stage's socket has taken it when its send settles.
    conn.reuseRecordMemory();
    conn.onRecord(async (record) => {
      if (writer === null) throw serviceError("TRANSFER_BAD_MESSAGE", "A record came before stream.open");
      const local = writer.writer.write(record);
      if (writer.forward === null) return void (await local);
      await Promise.all([local, this.#forward(writer, record)]);
    });
    conn.onMessage(async (message) => {
      const request = message as { id: number; type: string; stream: string };
      try {
        if (request.type === "stream.open") {
          const expect = this.#expected.get(request.stream);
          if (expect === undefined || expect.client !== conn.peer?.name || (expect.sender ?? "client") !== conn.peer.kind) {
            throw serviceError("TRANSFER_UNEXPECTED_STREAM", `Stream ${request.stream} was not announced for ${conn.peer?.kind ?? "peer"} "${conn.peer?.name ?? "?"}"`);
          }
          this.#expected.delete(request.stream);
          // The next stage first: a chain that cannot be built fails before any byte is written.
          const forward = expect.forward === undefined ? null : await StageSender.open({ target: expect.forward, stream: request.stream, identity: this.#o.identity });
          writer = { stream: request.stream, drive: agentKey(expect.drive.name, expect.pool), writer: this.#drives.get(agentKey(expect.drive.name, expect.pool))!.agent.openStream(idFromString(request.stream)), forward, forwardError: null };
          await conn.reply(request, { ok: true });
        } else if (request.type === "stream.close") {
          if (writer === null) throw serviceError("TRANSFER_BAD_MESSAGE", "stream.close without stream.open");
          const done = writer;
          writer = null;
          let placement;
          try {
            placement = await done.writer.end();
          } catch (error) {
            // Refused at the end (no trailer, a failed drive): the server still learns where it lies.
            await this.#reportAborted(done, error instanceof Error ? error.message : String(error));
            throw error;
          }
          await this.#report({ type: "stream.done", stream: done.stream, aborted: false, error: null, ...placement });
          // The stream is on this stage's media; the stages after it finish before the sender hears so.
          await this.#closeForward(done);
          await conn.reply(request, { ok: true, bytes: placement.bytes });
        } else if (request.type === "stream.read") {
          await this.#serve(conn, request);
        } else {
          throw serviceError("TRANSFER_BAD_MESSAGE", `Unknown request "${request.type}" on a data connection`);
        }
      } catch (error) {
        await conn.replyError(request, error);
      }
    });
    void conn.closed.then(async (error) => {
      if (writer === null) return;
      const broken = writer;
      writer = null;
      await this.#reportAborted(broken, error?.message ?? "the client closed the connection before the end of the stream");
    }).catch((error: unknown) => this.#o.log(`node ${this.#o.name}: ${error instanceof Error ? error.message : String(error)}`));
  }

  /**
   * Sends a record on to the next stage. A broken chain does not stop this stage: the stream
   * goes on to this stage's media, the next stage reports its part as aborted, and the server
   * records which copies were made.
   */
  async #forward(incoming: Incoming, record: Uint8Array): Promise<void> {
    if (incoming.forward === null) return;
    try {
      await incoming.forward.write(record);
    } catch (error) {
      this.#dropForward(incoming, error);
    }
  }

  #dropForward(incoming: Incoming, error: unknown): void {
    const forward = incoming.forward;
    if (forward === null) return;
    incoming.forward = null;
    incoming.forwardError = error instanceof Error ? error : new Error(String(error));
    forward.abort(incoming.forwardError);
    this.#o.log(`node ${this.#o.name}: stream ${incoming.stream} no longer goes on to node "${forward.target.name}": ${incoming.forwardError.message}`);
  }

  async #closeForward(incoming: Incoming): Promise<void> {
    const forward = incoming.forward;
    if (forward === null) return;
    incoming.forward = null;
    try {
      await forward.close();
    } catch (error) {
      this.#o.log(`node ${this.#o.name}: stream ${incoming.stream} did not end on node "${forward.target.name}": ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Aborts a stream and tells the server where its blocks lie (nowhere, if the drive failed). */
  async #reportAborted(broken: Incoming, reason: string): Promise<void> {
    this.#dropForward(broken, new Error(reason));
    try {
      const placement = await broken.writer.abort();
      await this.#report({ type: "stream.done", stream: broken.stream, aborted: true, error: reason, ...placement });
    } catch (failure) {
      // The drive failed (a full disk, an I/O error): its agent is done; the next stream gets a new one.
      this.#forgetFailedDrive(broken.drive);
      const why = failure instanceof Error ? failure.message : String(failure);
      await this.#report({ type: "stream.done", stream: broken.stream, aborted: true, error: why, bytes: 0, segments: [], extents: [] });
    }
  }

  #forgetFailedDrive(name: string): void {
    const state = this.#drives.get(name);
    if (state === undefined) return;
    this.#drives.delete(name);
    void state.agent.close().catch(() => undefined);
  }

  async #report(done: StreamDone): Promise<void> {
    if (this.#server === null) return;
    await this.#server.send(done as unknown as { type: string });
  }

  async #serve(conn: Connection, request: { id: number; stream: string }): Promise<void> {
    const serve = this.#serving.get(request.stream);
    if (serve === undefined || serve.client !== conn.peer?.name) throw serviceError("TRANSFER_UNEXPECTED_STREAM", `Stream ${request.stream} was not offered to client "${conn.peer?.name ?? "?"}"`);
    this.#serving.delete(request.stream);
    const drive = this.#driveOf(serve.drive);
    await conn.reply(request, { ok: true });
    const losses: string[] = [];
    const read = async (fromOffset: number, stopAtOffset?: number): Promise<void> => {
      await readStreamRecords({
        drive, streamId: idFromString(serve.stream), extents: serve.extents, fromOffset, codecs: this.#o.codecs,
        ...(stopAtOffset === undefined ? {} : { stopAtOffset }),
        // The record's memory stays valid until this resolves, and sendRecord resolves once the socket took it: no copy.
        onRecord: (record) => conn.sendRecord(record),
        onLoss: (loss) => losses.push(`${loss.reason} (stream bytes ${loss.fromOffset}–${loss.toOffset}, volume ${loss.label}${loss.block === null ? "" : ` block ${loss.block}`})`),
      });
    };
    // Seeking: the HEAD first (it says how the stream is sealed), then from the chunk asked for.
    if (serve.fromOffset > 0) await read(0, 1);
    await read(serve.fromOffset, serve.stopAtOffset);
    await conn.send({ type: "stream.eof", stream: serve.stream, losses });
  }
}
