/**
 * The client agent: keeps a control connection to the server and runs the backups and restores
 * it is asked for, sending streams to nodes and fetching them back (docs/protocol.md §Client).
 */
import { backupSaveset, type IndexedFile, type PreviousFile, type Reporter, SavesetRestore } from "../client/index.js";
import { idFromString } from "../format/index.js";
import { parseAddress } from "./address.js";
import type { Connection } from "./connection.js";
import { decodeIndexRows, encodeIndexRows } from "./index-rows.js";
import type { BackupResult, BackupRun, RestoreResult, RestoreRun, StreamEof } from "./messages.js";
import { serviceError } from "./service-errors.js";
import { runAllowedCommand } from "./client-commands.js";
import { connectTls, type Identity } from "./tls.js";
import type { Address } from "./address.js";

export interface ClientServiceOptions {
  name: string;
  identity: Identity;
  server: Address;
  now: () => Date;
  threads: number;
  log: (line: string) => void;
  passphrase: () => string | null;
  isRoot: boolean;
  /** The commands the server may run here by name (calendar command events): name → command line, run without a shell. */
  commands?: Readonly<Record<string, string>>;
}

const INDEX_BATCH = 4096;
const PROGRESS_EVERY_BYTES = 16 * 1024 * 1024;

export class ClientService {
  readonly #o: ClientServiceOptions;
  #server: Connection | null = null;
  /** The node connections of running jobs, so that the server can abort them (newday). */
  readonly #jobConnections = new Map<number, Connection>();
  /** Previous-index rows arriving for a job (BINARY frames before the reply to index.previous). */
  readonly #previous = new Map<number, Map<string, PreviousFile>>();

  constructor(options: ClientServiceOptions) {
    this.#o = options;
  }

  async start(): Promise<void> {
    const server = await connectTls({ ...this.#o.server, identity: this.#o.identity, expect: "server" });
    this.#server = server;
    server.onBinary((bytes) => this.#onPreviousRows(bytes));
    server.onMessage((message) => {
      if (message["type"] === "job.abort") return void this.#abort(Number(message["job"]));
      // Jobs run side by side: the handler starts them and returns at once.
      const request = message as { id: number; type: string };
      const run = request.type === "backup.run" ? this.#backup(message as unknown as BackupRun)
        : request.type === "restore.run" ? this.#restore(message as unknown as RestoreRun)
          : request.type === "command.run" ? runAllowedCommand(this.#o.commands ?? {}, String(message["name"]), this.#o.name)
            : Promise.reject(serviceError("TRANSFER_BAD_MESSAGE", `Unknown request "${request.type}" from the server`));
      void run.then((result) => server.reply(request, result), (error: unknown) => server.replyError(request, error)).catch(() => undefined);
    });
    await server.request({ type: "hello", kind: "client", name: this.#o.name, version: "0.1.0" });
    this.#o.log(`client ${this.#o.name}: connected to the server`);
  }

  get closed(): Promise<Error | null> {
    return this.#server?.closed ?? Promise.resolve(null);
  }

  async stop(): Promise<void> {
    await this.#server?.close();
  }

  #onPreviousRows(bytes: Uint8Array): void {
    const decoded = decodeIndexRows(bytes);
    if (decoded === null) return;
    const map = this.#previous.get(decoded.job);
    if (map === undefined) return;
    for (const row of decoded.rows) {
      if (!row.deleted) map.set(Buffer.from(row.path).toString("latin1"), { type: row.type, size: row.size, mtimeNs: row.mtimeNs, ctimeNs: row.ctimeNs, inode: row.inode });
    }
  }

  async #fetchPrevious(job: number, saveset: number): Promise<Map<string, PreviousFile>> {
    const map = new Map<string, PreviousFile>();
    this.#previous.set(job, map);
    try {
      await this.#server!.request({ type: "index.previous", job, saveset });
    } finally {
      this.#previous.delete(job);
    }
    return map;
  }

  #reporter(job: number): Reporter & { errors: number } {
    const server = this.#server!;
    let lastSent = 0;
    const reporter = {
      errors: 0,
      warn: (_kind: string, message: string) => void server.send({ type: "job.progress", job, files: -1, bytes: -1, log: `warning: ${message}` }).catch(() => undefined),
      error: (message: string) => {
        reporter.errors++;
        void server.send({ type: "job.progress", job, files: -1, bytes: -1, log: `error: ${message}` }).catch(() => undefined);
      },
      progress: (p: { files: number; bytes: number }) => {
        if (p.bytes - lastSent < PROGRESS_EVERY_BYTES) return;
        lastSent = p.bytes;
        void server.send({ type: "job.progress", job, files: p.files, bytes: p.bytes }).catch(() => undefined);
      },
    };
    return reporter;
  }

  #abort(job: number): void {
    this.#jobConnections.get(job)?.destroy(serviceError("TRANSFER_JOB_FAILED", `Job ${job} was aborted by the server`));
  }

  async #backup(run: BackupRun): Promise<BackupResult> {
    const server = this.#server!;
    const previous = run.base === null ? null : await this.#fetchPrevious(run.job, run.base);
    const node = await connectTls({ ...parseAddress(run.node.address, `node "${run.node.name}"`), identity: this.#o.identity, expect: "node", name: run.node.name });
    this.#jobConnections.set(run.job, node);
    try {
      await node.request({ type: "stream.open", stream: run.stream });
      let batch: IndexedFile[] = [];
      const flush = async (): Promise<void> => {
        if (batch.length === 0) return;
        const rows = batch;
        batch = [];
        await server.sendBinary(encodeIndexRows(run.job, rows));
      };
      const reporter = this.#reporter(run.job);
      const summary = await backupSaveset({
        paths: run.paths, excludes: run.excludes, level: run.level, previous,
        compression: run.compression, compressionLevel: run.compressionLevel, passphrase: null,
        streamId: idFromString(run.stream), descriptor: run.descriptor, now: this.#o.now(), threads: this.#o.threads,
        send: (record) => node.sendRecord(record),
        index: async (rows) => {
          for (const row of rows) batch.push(row);
          if (batch.length >= INDEX_BATCH) await flush();
        },
        reporter,
      });
      await flush();
      await node.request({ type: "stream.close", stream: run.stream });
      return { files: summary.files, bytes: summary.bytes, errors: summary.errors, deleted: summary.deleted, unchanged: summary.unchanged, trailerOk: true };
    } finally {
      this.#jobConnections.delete(run.job);
      await node.close().catch(() => undefined);
    }
  }

  async #restore(run: RestoreRun): Promise<RestoreResult> {
    const reporter = this.#reporter(run.job);
    const restore = new SavesetRestore({
      target: run.target, selection: run.selection.map((p) => Buffer.from(p, "base64")), overwrite: run.overwrite,
      numericOwner: run.numericOwner || !this.#o.isRoot, passphrase: this.#o.passphrase, reporter, threads: this.#o.threads,
    });
    const total: RestoreResult = { files: 0, bytes: 0, damaged: 0, errors: 0 };
    try {
      for (const part of run.streams) {
        const result = await this.#restoreStream(restore, part, reporter);
        total.files += result.files;
        total.bytes += result.bytes;
        total.damaged += result.damaged;
        total.errors += result.errors;
      }
    } finally {
      await restore.close();
    }
    return total;
  }

  async #restoreStream(restore: SavesetRestore, part: RestoreRun["streams"][number], reporter: Reporter): Promise<RestoreResult> {
    const node = await connectTls({ ...parseAddress(part.node.address, `node "${part.node.name}"`), identity: this.#o.identity, expect: "node", name: part.node.name });
    try {
      let eof: StreamEof | null = null;
      let resolveEof: () => void = () => undefined;
      const ended = new Promise<void>((resolve) => (resolveEof = resolve));
      // SavesetRestore.push keeps nothing of a record once its promise resolved.
      node.reuseRecordMemory();
      node.onRecord((record) => restore.push(record));
      node.onMessage((message) => {
        if (message["type"] === "stream.eof") {
          eof = message as unknown as StreamEof;
          resolveEof();
        }
      });
      await node.request({ type: "stream.read", stream: part.stream });
      const closed = node.closed.then((error) => {
        if (eof === null) throw serviceError("TRANSFER_JOB_FAILED", `Node "${part.node.name}" closed the connection before the end of stream ${part.stream}${error === null ? "" : `: ${error.message}`}`);
      });
      await Promise.race([ended, closed]);
      const got = eof as StreamEof | null;
      const losses = got?.losses ?? [];
      for (const loss of losses) reporter.error(`stream ${part.stream}: ${loss}`);
      for (const line of got?.repaired ?? []) reporter.warn("repaired", `stream ${part.stream}: ${line}`);
      const result = await restore.endStream(part.partial === true);
      // A range no copy could give may have held whole entries: the restore is not whole even if no file shows damage.
      return { files: result.files, bytes: result.bytes, damaged: result.damaged, errors: result.errors + losses.length };
    } finally {
      await node.close().catch(() => undefined);
    }
  }
}
