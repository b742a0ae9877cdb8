/**
 * Composition roots of the daemons (`reel server`, `reel node`, `reel client`): the only places
 * here that read the clock and the host name. The server runs an embedded node and client agent
 * that reach it over loopback TLS with the same protocol as remote ones.
 */
import { hostname } from "node:os";
import { join } from "node:path";
import { nodeCodecs } from "../client/index.js";
import { type Address, ClientService, enroll, formatAddress, identityOf, loadIdentity, NodeService, parseAddress, saveIdentity } from "../transfer/index.js";
import { AgentHub } from "./agents.js";
import type { Clock } from "../scheduler/index.js";
import { DayLog } from "./day-log.js";
import { localDate, ServerCalendar } from "./calendar.js";
import { CopyJobs } from "./copy-jobs.js";
import { startEmbeddedClient, startEmbeddedNode } from "./embedded-agents.js";
import { EventBus } from "./events.js";
import { buildHttp } from "./http.js";
import { Jobs } from "./jobs.js";
import { MediaJobs } from "./media-jobs.js";
import { MediaRecycler } from "./media-recycle.js";
import { EMBEDDED_CLIENT, EMBEDDED_NODE, openDataDir } from "./setup.js";

export const VERSION = "0.1.0";
const now = (): Date => new Date();

export interface ServerOptions {
  dataDir: string;
  /** REST API address, e.g. 127.0.0.1:8080 (port 0: any free port). */
  listen: string;
  /** Agent (mutual TLS) address; default: the API's host, its port + 1 (or any free port when the API's is 0). */
  agentListen?: string;
  /** Run the embedded node and client agent (default true). */
  embedded?: boolean;
  threads?: number;
  log?: (line: string) => void;
  /** The calendar's clock (tests pass a manual one); default: the real clock. */
  clock?: Clock;
  /** The embedded client agent's command allow-list (name → command line, run without a shell). */
  clientCommands?: Record<string, string>;
}

/** The real clock: the calendar daemon sleeps until its next occurrence (re-checking at least daily). */
const realClock: Clock = {
  now,
  sleepUntil: (time, signal) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.min(Math.max(0, time.getTime() - Date.now()), 24 * 3600 * 1000));
      signal?.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    }),
};

export interface RunningServer {
  url: string;
  agentAddress: string;
  adminToken: string;
  dataDir: string;
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const consoleLog = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  let calendar: ServerCalendar | null = null;
  // Jobs keep the calendar's time (a test's manual clock too); certificates and tokens keep the real one.
  const calendarClock = options.clock ?? realClock;
  // One log file per backup day under DIR/log: newday closes a day's log.
  const dayLog = new DayLog({ dir: join(options.dataDir, "log"), now: () => calendarClock.now(), dayOf: (at) => calendar?.backupDay(at) ?? localDate(at) });
  const log = (line: string): void => {
    consoleLog(line);
    dayLog.write(line);
  };
  const api = parseAddress(options.listen, "--listen", true);
  const agentAt = options.agentListen !== undefined ? parseAddress(options.agentListen, "--agent-listen", true) : { host: api.host, port: api.port === 0 ? 0 : api.port + 1 };
  const data = await openDataDir(options.dataDir, now);
  const { catalog } = data;
  const interrupted = catalog.markRunningSavesetsIncomplete();
  if (interrupted > 0) log(`marked ${interrupted} saveset(s) interrupted by the last shutdown as incomplete`);
  const bus = new EventBus();
  let jobs: Jobs | null = null;
  let media: MediaJobs | null = null;
  let copies: CopyJobs | null = null;
  const hub = new AgentHub(catalog, {
    // Backups and copy jobs each take the reports of the streams they wait for.
    streamDone: (node, done) => [jobs, copies].forEach((j) => j?.agentEvents.streamDone(node, done)),
    indexRows: (job, rows) => {
      jobs?.agentEvents.indexRows(job, rows);
      media?.indexRows(job, rows);
    },
    progress: (job, files, bytes, line) => jobs?.agentEvents.progress(job, files, bytes, line),
  });
  jobs = new Jobs({ catalog, hub, bus, now: () => calendarClock.now(), log, backupDayOf: (at) => calendar!.backupDay(at) });
  media = new MediaJobs({ catalog, hub, bus, now: () => calendarClock.now(), log, backupDay: () => jobs.backupDay() });
  const copyJobs = (copies = new CopyJobs({ catalog, hub, bus, now: () => calendarClock.now(), log, backupDayOf: (at) => calendar!.backupDay(at) }));
  const stoppers: Array<() => Promise<void>> = [];
  try {
    await hub.listen(agentAt.host, agentAt.port, data.server);
    stoppers.push(() => hub.close());
    const agentAddress = formatAddress({ host: agentAt.host === "0.0.0.0" ? "127.0.0.1" : agentAt.host, port: hub.port });
    const recycler = new MediaRecycler({ catalog, hub, log });
    const theCalendar = new ServerCalendar({ catalog, jobs, media: recycler, checks: media, copies: copyJobs, bus, clock: calendarClock, defaultTimeZone: Intl.DateTimeFormat().resolvedOptions().timeZone, log });
    calendar = theCalendar;
    const app = buildHttp({ catalog, hub, jobs, media, recycler, copies: copyJobs, bus, calendar: theCalendar, ca: data.ca, now, agentAddress: () => agentAddress, version: VERSION });
    await app.listen({ host: api.host, port: api.port });
    stoppers.push(() => app.close());
    const port = (app.server.address() as { port: number }).port;
    const url = `http://${formatAddress({ host: api.host, port })}`;
    if (options.embedded !== false) {
      const server = { host: agentAt.host === "0.0.0.0" ? "127.0.0.1" : agentAt.host, port: hub.port };
      const node = await startEmbeddedNode({ name: EMBEDDED_NODE, identity: data.embeddedNode, server, log });
      stoppers.push(() => node.stop());
      const client = await startEmbeddedClient({ name: EMBEDDED_CLIENT, identity: data.embeddedClient, server, threads: options.threads ?? 2, isRoot: process.geteuid?.() === 0, commands: options.clientCommands ?? {}, log });
      stoppers.push(() => client.stop());
    }
    const daemon = theCalendar.daemon.run().catch((error: unknown) => log(`calendar: ${error instanceof Error ? error.message : String(error)}`));
    stoppers.push(async () => {
      await theCalendar.daemon.stop();
      await daemon;
    });
    const note = dataDirNote(data, options.dataDir);
    if (note !== null) log(note);
    return {
      url, agentAddress, adminToken: data.adminToken, dataDir: options.dataDir,
      close: async () => {
        for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
        await Promise.all([jobs.idle(), media.idle(), copyJobs.idle()]).catch(() => undefined);
        catalog.close();
      },
    };
  } catch (error) {
    for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
    catalog.close();
    throw error;
  }
}

/** What this start made of the data directory, for the log: all of it, or a new catalog. */
function dataDirNote(data: { created: boolean; isCatalogNew: boolean }, dir: string): string | null {
  if (data.created) return `initialised ${dir}: catalog, CA, admin token in ${join(dir, "admin.token")}`;
  if (data.isCatalogNew) return `the catalog of ${dir} was missing: started a new one; "reel media scan --drive disk0" brings back what the media hold`;
  return null;
}

export interface AgentOptions {
  server: string;
  enrollToken: string | null;
  dataDir: string;
  name?: string;
  /** Node only: where clients reach it. */
  listen?: string;
  advertise?: string;
  threads?: number;
  log?: (line: string) => void;
  /** Client agents: the command allow-list (name → command line, run without a shell). */
  commands?: Record<string, string>;
}

/** The agent's identity from its data directory, enrolling first if there is none; its name is the certificate's. */
async function identityFor(kind: "node" | "client", options: AgentOptions, dataAddress?: string): Promise<{ identity: NonNullable<ReturnType<typeof loadIdentity>>; server: Address; name: string }> {
  let identity = loadIdentity(options.dataDir);
  if (identity === null) {
    if (options.enrollToken === null) throw new Error(`No identity in ${options.dataDir}: enroll with --enroll TOKEN (reel token create --for ${kind})`);
    const enrolled = await enroll({
      serverUrl: options.server, token: options.enrollToken, kind, name: options.name ?? hostname(), acceptServerName: options.name === undefined,
      ...(dataAddress === undefined ? {} : { dataAddress }),
    });
    saveIdentity(options.dataDir, { ...enrolled, serverUrl: options.server });
    identity = loadIdentity(options.dataDir)!;
  }
  const name = identityOf(identity.certPem)?.name ?? options.name ?? hostname();
  return { identity, server: parseAddress(identity.agentAddress, "the server's agent address"), name };
}

/** `reel node`: a storage node on this machine. */
export async function runNode(options: AgentOptions): Promise<{ name: string; stop(): Promise<void>; closed: Promise<Error | null> }> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const listen = parseAddress(options.listen ?? "127.0.0.1:0", "--listen", true);
  const { identity, server, name } = await identityFor("node", options, options.advertise);
  const node = new NodeService({ name, identity, server, listen, ...(options.advertise === undefined ? {} : { advertise: options.advertise }), codecs: nodeCodecs(3), now, log });
  await node.start();
  return { name, stop: () => node.stop(), closed: node.closed };
}

/** `reel client`: a client agent on this machine. */
export async function runClient(options: AgentOptions): Promise<{ name: string; stop(): Promise<void>; closed: Promise<Error | null> }> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { identity, server, name } = await identityFor("client", options);
  const client = new ClientService({ name, identity, server, now, threads: options.threads ?? 2, log, passphrase: () => process.env["REEL_PASSPHRASE"] ?? null, isRoot: process.geteuid?.() === 0, commands: options.commands ?? {} });
  await client.start();
  return { name, stop: () => client.stop(), closed: client.closed };
}
