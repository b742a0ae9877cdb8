/**
 * A node serving a stream to a restore: its records in order from the best copy, and where a
 * range of that copy cannot be read (a damaged block, a missing volume), the same range from the
 * next copy — on this node's drives, or read from another node — so that a damaged medium loses
 * nothing while a good copy exists (docs/protocol.md §Restore).
 */
import { type Codecs, idFromString, RecordType } from "../format/index.js";
import { type Drive, type DriveSpec, readStreamRecords, type StreamReadLoss } from "../media/index.js";
import { parseAddress } from "./address.js";
import type { Connection } from "./connection.js";
import type { StreamEof, StreamSource } from "./messages.js";
import type { WireExtent } from "./placement.js";
import { serviceError } from "./service-errors.js";
import { connectTls, type Identity } from "./tls.js";

export interface ServeOptions {
  stream: string;
  /** The copy to read first, then the alternatives in order. */
  sources: StreamSource[];
  fromOffset: number;
  stopAtOffset?: number;
  driveOf: (spec: DriveSpec) => Drive;
  identity: Identity;
  codecs: Codecs;
  /** Each record in order, exactly once; awaited. */
  send: (record: Uint8Array) => Promise<void>;
}

export interface ServeResult {
  /** Ranges no copy could give, described for the restore's report. */
  losses: string[];
  /** Ranges read from another copy. */
  repaired: string[];
}

/**
 * Invariant: `#next` is the stream offset after the last record sent; a record that starts
 * before it is never sent again, so the copies may overlap freely.
 */
class StreamServer {
  readonly #o: ServeOptions;
  #next: number;
  #sawTrailer = false;
  readonly #losses: string[] = [];
  readonly #repaired: string[] = [];

  constructor(o: ServeOptions) {
    this.#o = o;
    this.#next = o.fromOffset;
  }

  async serve(): Promise<ServeResult> {
    const sources = this.#o.sources;
    if (sources.length === 0) throw serviceError("TRANSFER_BAD_MESSAGE", `No copy of stream ${this.#o.stream} to read`);
    // Seeking: the HEAD first (it says how the stream is sealed), then from the chunk asked for.
    if (this.#o.fromOffset > 0) {
      await this.#read(0, 1, sources);
      this.#next = Math.max(this.#next, this.#o.fromOffset);
    }
    await this.#read(this.#o.fromOffset, this.#o.stopAtOffset, sources);
    return { losses: this.#losses, repaired: this.#repaired };
  }

  /** True when nothing more is wanted before `stop`. */
  #reached(stop: number | undefined): boolean {
    return this.#sawTrailer || (stop !== undefined && this.#next >= stop);
  }

  /**
   * Reads [from, stop) from the first source; what it loses, and what it lacks at its end (a lost
   * tail, a volume gone), comes from the next sources in turn. Losses no source can fill are
   * reported by the last one tried.
   */
  async #read(from: number, stop: number | undefined, sources: StreamSource[]): Promise<void> {
    const [source, ...rest] = sources;
    if (source === undefined) return;
    if (source.node !== null) {
      const lost = await this.#readRemote(source as StreamSource & { node: { name: string; address: string } }, from, stop);
      if (this.#reached(stop) || lost.length === 0 && rest.length === 0) return;
      if (rest.length > 0) return this.#fill(this.#next, stop, rest, lost.join("; "));
      for (const loss of lost) this.#losses.push(`on node "${source.node.name}": ${loss}`);
      return;
    }
    await readStreamRecords({
      drive: this.#o.driveOf(source.drive), streamId: idFromString(this.#o.stream), extents: source.extents, fromOffset: from, codecs: this.#o.codecs,
      ...(stop === undefined ? {} : { stopAtOffset: stop }),
      onRecord: (record, _header, offset) => this.#take(record, offset),
      onLoss: (loss) => this.#fill(loss.fromOffset, loss.toOffset, rest, describe(loss)),
    });
    // The copy ended early: the rest from the next copy that has it (an incomplete saveset has no more anywhere).
    if (!this.#reached(stop) && rest.length > 0) await this.#fill(this.#next, stop, rest, null);
  }

  /** A range one copy lost (`why`, null: its end came early): from the next copies, else reported. */
  async #fill(from: number, to: number | undefined, sources: StreamSource[], why: string | null): Promise<void> {
    const start = Math.max(from, this.#next);
    if (to !== undefined && start >= to) return;
    const what = `stream bytes ${start}–${to ?? "end"}`;
    if (sources.length === 0) {
      if (why !== null) this.#losses.push(`${why} (${what})`);
      return;
    }
    await this.#read(start, to, sources);
    if (this.#next > start) this.#repaired.push(`${what} read from another copy${sources[0]!.node === null ? "" : ` on node "${sources[0]!.node.name}"`}${why === null ? "" : ` (${why})`}`);
  }

  async #take(record: Uint8Array, offset: number): Promise<void> {
    if (offset < this.#next) return;
    await this.#o.send(record);
    this.#next = offset + record.length;
    if (record[0] === RecordType.trailer) this.#sawTrailer = true;
  }

  /**
   * Reads a range of a copy on another node, which stops at its first loss (so that the offsets
   * of the records, which follow from their lengths, stay true). Returns what it could not read.
   */
  async #readRemote(source: StreamSource & { node: { name: string; address: string } }, from: number, stop: number | undefined): Promise<string[]> {
    let conn: Connection;
    try {
      conn = await connectTls({ ...parseAddress(source.node.address, `node "${source.node.name}"`), identity: this.#o.identity, expect: "node", name: source.node.name });
    } catch (error) {
      return [`the node is unreachable: ${error instanceof Error ? error.message : String(error)}`];
    }
    try {
      let offset = from;
      let eof: StreamEof | null = null;
      const ended = new Promise<void>((resolve) => conn.onMessage((message) => {
        if (message["type"] === "stream.eof") {
          eof = message as unknown as StreamEof;
          resolve();
        }
      }));
      // Records arrive in stream order, one handler at a time; the sender's memory is reused after each.
      conn.reuseRecordMemory();
      conn.onRecord(async (record) => {
        const at = offset;
        offset += record.length;
        await this.#take(record, at);
      });
      await conn.request({ type: "stream.read", stream: this.#o.stream, source: { drive: source.drive, extents: source.extents }, fromOffset: from, ...(stop === undefined ? {} : { stopAtOffset: stop }) });
      await Promise.race([ended, conn.closed]);
      const got = eof as StreamEof | null;
      if (got === null) return [`the node closed the connection before the end of stream ${this.#o.stream}`];
      return got.losses;
    } catch (error) {
      return [`reading its copy failed: ${error instanceof Error ? error.message : String(error)}`];
    } finally {
      await conn.close().catch(() => undefined);
    }
  }
}

function describe(loss: StreamReadLoss): string {
  return `${loss.reason}, volume ${loss.label}${loss.block === null ? "" : ` block ${loss.block}`}`;
}

/** Serves one stream: records in order from the best copy, ranges it lost from the others. */
export function serveStream(o: ServeOptions): Promise<ServeResult> {
  return new StreamServer(o).serve();
}

/** The sources of a stream.serve: its own extents first, then the alternatives. */
export function sourcesOf(serve: { drive: DriveSpec; extents: WireExtent[]; alternatives?: StreamSource[] }): StreamSource[] {
  return [{ node: null, drive: serve.drive, extents: serve.extents }, ...(serve.alternatives ?? [])];
}
