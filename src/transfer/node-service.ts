/**
 * The storage node: keeps a control connection to the server, listens for client data
 * connections, and runs one media agent per drive (multiplexing every stream sent to that drive
 * onto its current volume). docs/protocol.md §Node.
 */
import { type BlockHeader, type Codecs, idFromString } from "../format/index.js";
import { type Drive, type DriveSpec, makeDrive, MediaAgent, readStreamRecords, type StreamWriter } from "../media/index.js";
import type { Connection } from "./connection.js";
import { connectTls, type Identity, listenTls } from "./tls.js";
import { serviceError } from "./service-errors.js";
import type { StreamDone, StreamExpect, StreamOpen, StreamRead, StreamServe, StreamWithdraw, VolumeNextReply } from "./messages.js";
import { serveStream, sourcesOf } from "./node-serve.js";
import type { WireExtent } from "./placement.js";
import { type Address, formatAddress } from "./address.js";
import { handleMediaRequest } from "./node-media.js";
import { StageSender, type StageOut } from "./stage-sender.js";

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

/** An announced stream, by its stage in the chain (one node may hold several stages of one stream). */
function expectKey(stage: number, stream: string): string {
  return `${stage}/${stream}`;
}

function agentKey(drive: string, pool: string): string {
  return `${drive}/${pool}`;
}

/** One stage of a stream written on this node: its drive, its media agent's key, the agent's writer. */
interface LocalStage {
  driveName: string;
  agent: string;
  writer: StreamWriter;
}

/** A stream being received on a data connection. */
interface Incoming {
  stream: string;
  /** The stages on this node, in chain order: the one the sender named first. */
  stages: LocalStage[];
  /** The next stage on another node, while it takes the records. */
  forward: StageSender | null;
  forwardError: Error | null;
}

export class NodeService {
  readonly #o: NodeServiceOptions;
  #server: Connection | null = null;
  #listener: { port: number; close(): Promise<void> } | null = null;
  readonly #drives = new Map<string, DriveState>();
  /** Announced streams by sender and stream id (one node may hold two stages of a chain). */
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
        this.#expected.set(expectKey(expect.stage ?? 0, expect.stream), expect);
        await server.reply(message as { id: number }, { ok: true });
        return;
      }
      case "stream.withdraw": {
        // The client failed before it opened the stream (or after: then its end is reported as usual).
        const withdraw = message as unknown as StreamWithdraw;
        const keys = [...this.#expected.keys()].filter((key) => key.endsWith(`/${withdraw.stream}`) && (withdraw.stage === undefined || key === expectKey(withdraw.stage, withdraw.stream)));
        for (const key of keys) this.#expected.delete(key);
        await server.reply(message as { id: number }, { opened: keys.length === 0 });
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
      const reply = await handleMediaRequest({ name: this.#o.name, driveOf: (spec) => this.#driveOf(spec), server, codecs: this.#o.codecs, log: this.#o.log, identity: this.#o.identity, openStage: (target, stream) => this.#openStage(target, stream) }, message);
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
    let incoming: Incoming | null = null;
    // The media agents copy each record into their blocks before write() settles, and the next
    // stage's socket has taken it when its send settles.
    conn.reuseRecordMemory();
    conn.onRecord(async (record) => {
      if (incoming === null) throw serviceError("TRANSFER_BAD_MESSAGE", "A record came before stream.open");
      await this.#write(incoming, record);
    });
    conn.onMessage(async (message) => {
      const request = message as { id: number; type: string; stream: string };
      try {
        if (request.type === "stream.open") {
          const open = request as StreamOpen;
          incoming = await this.#open({ kind: conn.peer?.kind ?? "?", name: conn.peer?.name ?? "?" }, open.stream, typeof open.stage === "number" ? open.stage : open.stage === undefined ? 0 : -1);
          await conn.reply(request, { ok: true });
        } else if (request.type === "stream.close") {
          if (incoming === null) throw serviceError("TRANSFER_BAD_MESSAGE", "stream.close without stream.open");
          const done = incoming;
          incoming = null;
          const bytes = await this.#close(done);
          await conn.reply(request, { ok: true, bytes });
        } else if (request.type === "stream.read") {
          await this.#serve(conn, request as unknown as StreamRead & { id: number });
        } else {
          throw serviceError("TRANSFER_BAD_MESSAGE", `Unknown request "${request.type}" on a data connection`);
        }
      } catch (error) {
        await conn.replyError(request, error);
      }
    });
    void conn.closed.then(async (error) => {
      if (incoming === null) return;
      const broken = incoming;
      incoming = null;
      await this.#abortAll(broken, error?.message ?? "the client closed the connection before the end of the stream");
    }).catch((error: unknown) => this.#o.log(`node ${this.#o.name}: ${error instanceof Error ? error.message : String(error)}`));
  }

  /**
   * Opens an announced stream: its stage here, and the stages after it that are also on this
   * node (written here directly, each by its own media agent, with no connection in between),
   * then a connection to the first stage on another node. A chain that cannot be built fails
   * before any byte is written, and the stream stays announced, so the server's withdraw learns
   * it was never opened.
   */
  async #open(sender: { kind: string; name: string }, stream: string, stage: number, checked = false): Promise<Incoming> {
    const request = { stream };
    const key = expectKey(stage, stream);
    const first = this.#expected.get(key);
    if (first === undefined || first.client !== sender.name || (first.sender ?? "client") !== sender.kind) {
      throw serviceError("TRANSFER_UNEXPECTED_STREAM", `Stream ${stream} was not announced for ${sender.kind} "${sender.name}"${stage > 0 ? ` at stage ${stage}` : ""}`);
    }
    const chain: Array<{ key: string; expect: StreamExpect }> = [{ key, expect: first }];
    for (;;) {
      const forward = chain.at(-1)!.expect.forward;
      if (forward === undefined || forward.name !== this.#o.name) break;
      const nextKey = expectKey(forward.stage, request.stream);
      const next = this.#expected.get(nextKey);
      if (next === undefined || next.client !== this.#o.name || next.sender !== "node") break;
      chain.push({ key: nextKey, expect: next });
    }
    const target = chain.at(-1)!.expect.forward;
    const forward = target === undefined ? null : await StageSender.open({ target, stream: request.stream, stage: target.stage, identity: this.#o.identity });
    if (!chain.every(({ key: k }) => this.#expected.has(k))) {
      forward?.abort(serviceError("TRANSFER_UNEXPECTED_STREAM", `Stream ${request.stream} was withdrawn`));
      throw serviceError("TRANSFER_UNEXPECTED_STREAM", `Stream ${request.stream} was withdrawn by the server`);
    }
    for (const { key: k } of chain) this.#expected.delete(k);
    const id = idFromString(request.stream);
    // The first stage checks every record; the stages after it here take the same bytes.
    const stages = chain.map(({ expect }, i) => {
      const agent = agentKey(expect.drive.name, expect.pool);
      return { driveName: expect.drive.name, agent, writer: this.#drives.get(agent)!.agent.openStream(id, { checksumChecked: checked || i > 0 }) };
    });
    return { stream: request.stream, stages, forward, forwardError: null };
  }

  /** One record for every stage of the stream: those on this node, then the next node's. */
  async #write(incoming: Incoming, record: Uint8Array): Promise<void> {
    const [first, ...mirrors] = incoming.stages;
    const local = first!.writer.write(record);
    if (mirrors.length === 0 && incoming.forward === null) return void (await local);
    await Promise.all([local, ...mirrors.map((stage) => this.#mirrorWrite(incoming, stage, record)), this.#forward(incoming, record)]);
  }

  /**
   * A stream this node sends to a stage (a copy job's reading side): straight into the stage's
   * media agents when that stage is on this node, else over a data connection to its node. The
   * records come from blocks whose checksums the reader verified: not checked again here.
   */
  async #openStage(target: { name: string; address: string; stage: number }, stream: string): Promise<StageOut> {
    if (target.name !== this.#o.name) return StageSender.open({ target, stream, stage: target.stage, identity: this.#o.identity });
    const incoming = await this.#open({ kind: "node", name: this.#o.name }, stream, target.stage, true);
    const out = {
      write: (record: Uint8Array) => this.#write(incoming, record),
      close: async () => void (await this.#close(incoming)),
      abort: (reason: Error) => void this.#abortAll(incoming, reason.message).catch(() => undefined),
    };
    if (incoming.forward !== null) return out;
    // Every stage is here: blocks go on as they are, each under its stage's own header.
    const capacity = Math.min(...incoming.stages.map((stage) => stage.writer.blockCapacity));
    return { ...out, blocks: { capacity, write: (block: Uint8Array, header: BlockHeader) => this.#writeBlock(incoming, block, header) } };
  }

  /** stream.close: every local stage ends and reports, then the stages after them; returns the bytes written. */
  async #close(done: Incoming): Promise<number> {
    const [first, ...mirrors] = done.stages;
    let placement;
    try {
      placement = await first!.writer.end();
    } catch (error) {
      // Refused at the end (no trailer, a failed drive): the server still learns where it lies.
      await this.#abortAll(done, error instanceof Error ? error.message : String(error));
      throw error;
    }
    await this.#report({ type: "stream.done", stream: done.stream, drive: first!.driveName, aborted: false, error: null, ...placement });
    for (const stage of mirrors) {
      try {
        await this.#report({ type: "stream.done", stream: done.stream, drive: stage.driveName, aborted: false, error: null, ...(await stage.writer.end()) });
      } catch (error) {
        await this.#reportAborted(done.stream, stage, error instanceof Error ? error.message : String(error));
      }
    }
    // The stream is on this node's stages; the stages after them finish before the sender hears so.
    await this.#closeForward(done);
    return placement.bytes;
  }

  /** A checked block for every stage of the stream, all on this node (copy jobs). */
  async #writeBlock(incoming: Incoming, block: Uint8Array, header: BlockHeader): Promise<void> {
    const [first, ...mirrors] = incoming.stages;
    const local = first!.writer.writeBlock(block, header);
    if (mirrors.length === 0) return void (await local);
    await Promise.all([local, ...mirrors.map((stage) => this.#mirrorWrite(incoming, stage, (writer) => writer.writeBlock(block, header)))]);
  }

  /** A record (or block) for a stage after the first on this node: a failing stage is dropped, the others go on. */
  async #mirrorWrite(incoming: Incoming, stage: LocalStage, write: Uint8Array | ((writer: StreamWriter) => Promise<void>)): Promise<void> {
    try {
      await (typeof write === "function" ? write(stage.writer) : stage.writer.write(write));
    } catch (error) {
      const at = incoming.stages.indexOf(stage);
      if (at <= 0) return;
      incoming.stages.splice(at, 1);
      const why = error instanceof Error ? error.message : String(error);
      this.#o.log(`node ${this.#o.name}: stream ${incoming.stream} no longer goes to drive "${stage.driveName}": ${why}`);
      await this.#reportAborted(incoming.stream, stage, why);
    }
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

  /** The sender broke off: every stage here aborts and reports where its part lies; the next node's does too. */
  async #abortAll(broken: Incoming, reason: string): Promise<void> {
    this.#dropForward(broken, new Error(reason));
    for (const stage of broken.stages) await this.#reportAborted(broken.stream, stage, reason);
  }

  /** Aborts one stage's stream and tells the server where its blocks lie (nowhere, if the drive failed). */
  async #reportAborted(stream: string, stage: LocalStage, reason: string): Promise<void> {
    try {
      const placement = await stage.writer.abort();
      await this.#report({ type: "stream.done", stream, drive: stage.driveName, aborted: true, error: reason, ...placement });
    } catch (failure) {
      // The drive failed (a full disk, an I/O error): its agent is done; the next stream gets a new one.
      this.#forgetFailedDrive(stage.agent);
      const why = failure instanceof Error ? failure.message : String(failure);
      await this.#report({ type: "stream.done", stream, drive: stage.driveName, aborted: true, error: why, bytes: 0, segments: [], extents: [] });
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

  /**
   * A stream.read: a client's restore of a stream the server offered it (from its best copy, the
   * other copies filling what that one lost), or another node filling in a range from the copy
   * this node holds (that read stops at its first loss: the asking node goes on elsewhere).
   */
  async #serve(conn: Connection, request: StreamRead & { id: number }): Promise<void> {
    if (conn.peer?.kind === "node" && request.source !== undefined) return this.#serveRange(conn, request, request.source);
    const serve = this.#serving.get(request.stream);
    if (serve === undefined || serve.client !== conn.peer?.name) throw serviceError("TRANSFER_UNEXPECTED_STREAM", `Stream ${request.stream} was not offered to client "${conn.peer?.name ?? "?"}"`);
    this.#serving.delete(request.stream);
    await conn.reply(request, { ok: true });
    const result = await serveStream({
      stream: serve.stream, sources: sourcesOf(serve), fromOffset: serve.fromOffset, ...(serve.stopAtOffset === undefined ? {} : { stopAtOffset: serve.stopAtOffset }),
      driveOf: (spec) => this.#driveOf(spec), identity: this.#o.identity, codecs: this.#o.codecs,
      // The record's memory stays valid until this resolves, and sendRecord resolves once the socket took it: no copy.
      send: (record) => conn.sendRecord(record),
    });
    for (const line of result.repaired) this.#o.log(`node ${this.#o.name}: stream ${serve.stream}: ${line}`);
    await conn.send({ type: "stream.eof", stream: serve.stream, losses: result.losses, repaired: result.repaired });
  }

  async #serveRange(conn: Connection, request: StreamRead & { id: number }, source: { drive: DriveSpec; extents: WireExtent[] }): Promise<void> {
    await conn.reply(request, { ok: true });
    const losses: string[] = [];
    const stop = new Error("stopped at the first loss");
    const result = await readStreamRecords({
      drive: this.#driveOf(source.drive), streamId: idFromString(request.stream), extents: source.extents, fromOffset: request.fromOffset ?? 0, codecs: this.#o.codecs,
      ...(request.stopAtOffset === undefined ? {} : { stopAtOffset: request.stopAtOffset }),
      onRecord: (record) => {
        if (losses.length > 0) throw stop;
        return conn.sendRecord(record);
      },
      onLoss: (loss) => void losses.push(`${loss.reason} (stream bytes ${loss.fromOffset}–${loss.toOffset}, volume ${loss.label}${loss.block === null ? "" : ` block ${loss.block}`})`),
    }).catch((error: unknown) => {
      if (error === stop) return null;
      throw error;
    });
    await conn.send({ type: "stream.eof", stream: request.stream, losses, complete: result?.isComplete ?? false });
  }
}
