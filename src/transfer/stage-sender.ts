/**
 * Sends one stream to the next stage of a chain: a node forwards the records it writes to the
 * node of the next mirror stage (patent Fig. 2), or a copy job's reading node feeds a copy
 * stage. On the wire it is what a client agent does: a data connection, `stream.open`, RECORD
 * frames, `stream.close` (docs/protocol.md §Stages). The receiving node must have been told by
 * the server to expect the stream from this node.
 */
import type { BlockHeader } from "../format/index.js";
import { parseAddress } from "./address.js";
import type { Connection } from "./connection.js";
import { connectTls, type Identity } from "./tls.js";

/** The node of the next stage: where its data listener is. */
export interface StageTarget {
  name: string;
  address: string;
  /** Its place in the chain (1: the first stage after the backup stage); the node expects the stream for that stage. */
  stage: number;
}

/** Where a node sends a stream to a stage: another node's data listener, or its own media agents. */
export interface StageOut {
  /** One sealed record; resolves once the stage took it (backpressure). */
  write(record: Uint8Array): Promise<void>;
  /**
   * Present when every stage of the chain is on this node (copy jobs): a checked block of the
   * stream goes on as it is, under each stage's own block header, with no records rebuilt.
   */
  readonly blocks?: { write(block: Uint8Array, header: BlockHeader): Promise<void>; readonly capacity: number };
  /** Ends the stream: resolves when the stage (and the stages after it) have it on their media. */
  close(): Promise<void>;
  /** Gives up: the stage aborts the stream and reports where its part lies. */
  abort(reason: Error): void;
}

export class StageSender implements StageOut {
  readonly target: { name: string; address: string };
  readonly stream: string;
  readonly #conn: Connection;

  private constructor(target: { name: string; address: string }, stream: string, conn: Connection) {
    this.target = target;
    this.stream = stream;
    this.#conn = conn;
  }

  /** Connects to the next stage's node and opens the stream there. */
  static async open(o: { target: { name: string; address: string }; stream: string; stage: number; identity: Identity }): Promise<StageSender> {
    const conn = await connectTls({ ...parseAddress(o.target.address, `node "${o.target.name}"`), identity: o.identity, expect: "node", name: o.target.name });
    try {
      await conn.request({ type: "stream.open", stream: o.stream, stage: o.stage });
    } catch (error) {
      conn.destroy();
      throw error;
    }
    return new StageSender(o.target, o.stream, conn);
  }

  /** One sealed record; resolves once the socket took it (backpressure: a slow stage slows the sender). */
  write(record: Uint8Array): Promise<void> {
    return this.#conn.sendRecord(record);
  }

  /** Ends the stream: resolves when the next stage (and so every stage after it) has it on its media. */
  async close(): Promise<void> {
    try {
      await this.#conn.request({ type: "stream.close", stream: this.stream });
    } finally {
      await this.#conn.close().catch(() => undefined);
    }
  }

  /** Gives up: the next stage aborts the stream and reports where its part lies. */
  abort(reason: Error): void {
    this.#conn.destroy(reason);
  }

  /** Resolves when the connection ends (with the error that ended it, if any). */
  get closed(): Promise<Error | null> {
    return this.#conn.closed;
  }
}
