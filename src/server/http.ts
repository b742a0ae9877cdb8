/**
 * The REST API (src/api is the contract): fastify routes built from the route table, bearer
 * token authentication with roles, schema validation with the field named in 400 answers, and
 * server-sent events for live job progress.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { API_ERROR_STATUS, API_ROOT, type ApiErrorCode, apiError, type BackupRequest, type CompactionRequest, type CopyRequest, type DriveRequest, type EnrollRequest, type MediaCheckRequest, type MediaLabelRequest, type MediaScanRequest, openApiDocument, type PoolRequest, type RestoreRequest, roleAllows, type Route, routes, schemas, type TaskRequest, type TokenRequest } from "../api/index.js";
import type { Catalog, Medium } from "../catalog/index.js";
import { isReelError } from "../errors/index.js";
import { type Authority, signRequest } from "../transfer/index.js";
import type { AgentHub } from "./agents.js";
import type { ServerCalendar } from "./calendar.js";
import type { CopyJobs } from "./copy-jobs.js";
import type { EventBus } from "./events.js";
import type { Jobs } from "./jobs.js";
import type { MediaJobs } from "./media-jobs.js";
import type { MediaRecycler } from "./media-recycle.js";
import { newToken } from "./setup.js";
import { fileColumnsJson, fileLinesText, fileViewsJson, iso, jobView, savesetView } from "./views.js";

export interface HttpOptions {
  catalog: Catalog;
  hub: AgentHub;
  jobs: Jobs;
  media: MediaJobs;
  recycler: MediaRecycler;
  copies: CopyJobs;
  bus: EventBus;
  calendar: ServerCalendar;
  ca: Authority;
  now: () => Date;
  /** host:port of the agent listener, as agents should dial it. */
  agentAddress: () => string;
  version: string;
}

type Handler = (request: FastifyRequest, reply: FastifyReply) => unknown;

const STATUS_OF: Record<string, number> = { SERVER_NOT_CONNECTED: 503, SERVER_NO_DRIVE: 503, CATALOG_NOT_FOUND: 404 };

function statusOf(code: string): number {
  return (API_ERROR_STATUS as Record<string, number>)[code] ?? STATUS_OF[code] ?? 500;
}

function param(request: FastifyRequest, name: string): number {
  const value = Number((request.params as Record<string, string>)[name]);
  if (!Number.isSafeInteger(value) || value < 1) throw apiError("API_BAD_REQUEST", `params/${name} must be a positive integer`);
  return value;
}

function found<T>(value: T | null, what: string): T {
  if (value === null) throw apiError("API_NOT_FOUND", `No ${what}`);
  return value;
}

function handlers(o: HttpOptions): Record<string, Handler> {
  const { catalog, jobs } = o;
  /** A job just started: its view at once, or with `wait`, once it ended (200 instead of 202). */
  const started = async (job: { id: number }, wait: boolean | undefined, reply: FastifyReply): Promise<object> => {
    if (wait === true) {
      await jobs.wait(job.id);
      void reply.code(200);
    }
    return jobView(catalog.getJob(job.id)!);
  };
  return {
    health: () => ({ status: "ok", version: o.version, time: o.now().toISOString() }), openapi: () => openApiDocument(o.version),
    enroll: async (request) => {
      const body = request.body as EnrollRequest;
      const grant = catalog.consumeEnrollToken(body.token);
      if (grant === null) throw apiError("API_UNAUTHORIZED", "The enrollment token is unknown, used or expired");
      if (grant.kind !== body.kind) throw apiError("API_FORBIDDEN", `The enrollment token is for a ${grant.kind}, not a ${body.kind}`);
      const name = grant.name ?? body.name;
      const certPem = await signRequest(o.ca, { csrPem: body.csr, kind: body.kind, name, now: o.now() });
      if (body.kind === "node") catalog.putNode({ name, dataAddress: body.dataAddress ?? null, certFingerprint: null });
      else catalog.putClient({ name, certFingerprint: null });
      return { certPem, caPem: o.ca.certPem, agentAddress: o.agentAddress() };
    },
    createToken: (request) => {
      const body = request.body as TokenRequest;
      const token = newToken();
      if (body.for === "api") {
        catalog.addApiToken({ name: body.name ?? "api", role: body.role ?? "viewer", token });
        return { token, for: "api", expiresAt: null };
      }
      const expiresAt = new Date(o.now().getTime() + (body.ttlMinutes ?? 60) * 60_000);
      catalog.addEnrollToken({ kind: body.for, name: body.name ?? null, token, expiresAt });
      return { token, for: body.for, expiresAt: expiresAt.toISOString() };
    },
    ...listings(o), ...mediaHandlers(o),
    putTask: (request) => {
      const body = request.body as TaskRequest;
      return taskView(jobs.putTask({ name: body.name, client: body.client, paths: body.paths, excludes: body.excludes ?? [], pool: body.pool ?? "default", compression: body.compression ?? "none", compressionLevel: body.level ?? 3, mirrors: body.mirrors ?? [] }));
    },
    listJobs: (request) => catalog.listJobs({ limit: Number((request.query as { limit?: string }).limit ?? 100) }).map(jobView),
    getJob: (request) => jobView(found(catalog.getJob(param(request, "id")), "such job")),
    startBackup: (request, reply) => started(jobs.startBackup(request.body as BackupRequest), (request.body as BackupRequest).wait, reply),
    startRestore: (request, reply) => started(jobs.startRestore(request.body as RestoreRequest), (request.body as RestoreRequest).wait, reply),
    ...copyHandlers(o),
    ...calendarHandlers(o),
    listSavesets: (request) => catalog.listSavesets({ ...((request.query as { task?: string }).task === undefined ? {} : { task: (request.query as { task: string }).task }) }).map(savesetView),
    getSaveset: (request) => savesetView(found(catalog.getSaveset(param(request, "id")), "such saveset")),
    listCopies: (request) => {
      const id = param(request, "id");
      found(catalog.getSaveset(id), `saveset ${id}`);
      return jobs.copiesView(id);
    },
    listFiles: (request, reply) => {
      const id = param(request, "id");
      found(catalog.getSaveset(id), `saveset ${id}`);
      const query = request.query as { path?: string; path64?: string; form?: "objects" | "columns" | "text" };
      const raw = query.path64 !== undefined ? Buffer.from(query.path64, "base64") : Buffer.from((query.path ?? "").replace(/^\/+/, "").replace(/\/+$/, ""), "utf8");
      // Built as text: a big directory's 100,000 views would cost more as objects to serialize.
      const listing = catalog.listDirectoryColumns(id, raw);
      if (query.form === "text") return reply.type("text/plain; charset=utf-8").send(fileLinesText(listing));
      return reply.type("application/json; charset=utf-8").send(query.form === "columns" ? fileColumnsJson(listing) : fileViewsJson(listing));
    },
    events: (request, reply) => {
      reply.hijack();
      reply.raw.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
      reply.raw.write(": reel job events\n\n");
      const unsubscribe = o.bus.subscribe((event) => reply.raw.write(`data: ${JSON.stringify(event)}\n\n`));
      request.raw.on("close", unsubscribe);
    },
  };
}

/** Copy, migration and compaction jobs. */
function copyHandlers(o: HttpOptions): Record<string, Handler> {
  const started = async (job: { id: number }, wait: boolean | undefined, reply: FastifyReply): Promise<object> => {
    if (wait === true) {
      await o.copies.wait(job.id);
      void reply.code(200);
    }
    return jobView(o.catalog.getJob(job.id)!);
  };
  return {
    startCopy: (request, reply) => started(o.copies.startCopy(request.body as CopyRequest), (request.body as CopyRequest).wait, reply),
    startCompaction: (request, reply) => started(o.copies.startCompaction(request.body as CompactionRequest), (request.body as CompactionRequest).wait, reply),
  };
}

/** Media jobs: check a medium, scan a drive. */
function mediaHandlers(o: HttpOptions): Record<string, Handler> {
  const started = async (job: { id: number }, wait: boolean | undefined, reply: FastifyReply): Promise<object> => {
    if (wait === true) {
      await o.media.wait(job.id);
      void reply.code(200);
    }
    return jobView(o.catalog.getJob(job.id)!);
  };
  return {
    checkMedium: (request, reply) => started(o.media.startCheck(request.body as MediaCheckRequest), (request.body as MediaCheckRequest).wait, reply),
    scanMedia: (request, reply) => started(o.media.startScan(request.body as MediaScanRequest), (request.body as MediaScanRequest).wait, reply),
  };
}

/** The calendar: its config as applied, and its sheet. */
function calendarHandlers(o: HttpOptions): Record<string, Handler> {
  return {
    applyCalendar: (request) => o.calendar.apply(request.body),
    getCalendar: () => o.calendar.config(),
    startEvent: async (request) => {
      const { event } = request.body as { event: string };
      try {
        return { event, job: (await o.calendar.daemon.startNow(event)).job };
      } catch (error) {
        if (isReelError(error, "SCHEDULER_UNKNOWN_EVENT")) throw apiError("API_NOT_FOUND", error.message);
        if (isReelError(error, "SCHEDULER_NOT_STARTABLE")) throw apiError("API_CONFLICT", error.message);
        throw error;
      }
    },
    calendarSheet: (request) => {
      const query = request.query as { from?: string; to?: string };
      if (query.from === undefined || query.to === undefined) throw apiError("API_BAD_REQUEST", "query must have from and to");
      return o.calendar.sheet(query.from, query.to);
    },
  };
}

/** The plain read-only listings of what the catalog knows. */
function listings(o: HttpOptions): Record<string, Handler> {
  const { catalog, hub } = o;
  return {
    listClients: () => catalog.listClients().map((c) => ({ name: c.name, connected: hub.isConnected("client", c.name), lastSeen: iso(c.lastSeen), createdAt: c.createdAt.toISOString() })),
    listNodes: () => catalog.listNodes().map((n) => ({ name: n.name, connected: hub.isConnected("node", n.name), dataAddress: hub.node(n.name)?.dataAddress ?? n.dataAddress, lastSeen: iso(n.lastSeen), createdAt: n.createdAt.toISOString() })),
    listPools: () => catalog.listPools().map((p) => ({ name: p.name, retentionDays: p.retentionDays, driveGroup: p.driveGroup, mediumSize: p.mediumSize })),
    putPool: (request) => {
      const body = request.body as PoolRequest;
      const old = catalog.getPool(body.name);
      const p = catalog.putPool({ name: body.name, retentionDays: body.retentionDays ?? old?.retentionDays ?? 30, driveGroup: body.driveGroup ?? old?.driveGroup ?? "default", mediumSize: body.mediumSize ?? old?.mediumSize ?? 4 * 1024 ** 3 });
      return { name: p.name, retentionDays: p.retentionDays, driveGroup: p.driveGroup, mediumSize: p.mediumSize };
    },
    listDrives: () => catalog.listDrives().map(driveView),
    putDrive: (request) => {
      const body = request.body as DriveRequest;
      const old = catalog.getDrive(body.name);
      return driveView(catalog.putDrive({ name: body.name, node: body.node, kind: body.kind, path: body.path, channels: body.channels ?? old?.channels ?? 4, driveGroup: body.driveGroup ?? old?.driveGroup ?? "default", options: body.options ?? old?.options ?? {} }));
    },
    listMedia: () => catalog.listMedia().map(mediumView),
    labelMedia: async (request) => (await labelMedia(o.recycler, request.body as MediaLabelRequest)).map(mediumView),
    listTasks: () => catalog.listTasks().map(taskView),
  };
}

function mediumView(m: Medium): object {
  return { id: m.id, label: m.label, pool: m.pool, drive: m.drive, state: m.state, bytesWritten: m.bytesWritten, blocks: m.blocks, endOfLife: iso(m.endOfLife), createdAt: m.createdAt.toISOString() };
}

/** `POST /media/label`: either new empty media of a pool on a drive, or one medium re-initialised (with force). */
async function labelMedia(media: MediaRecycler, body: MediaLabelRequest): Promise<Medium[]> {
  if (body.label !== undefined) {
    if (body.pool !== undefined || body.drive !== undefined || body.count !== undefined) throw apiError("API_BAD_REQUEST", "body: give either label (and force) or pool, drive and count");
    if (body.force !== true) throw apiError("API_CONFLICT", `Medium "${body.label}" would be erased: give force: true (reel media label ${body.label} --force) to re-initialise it`, { label: body.label });
    return [await media.relabel(body.label)];
  }
  if (body.pool === undefined || body.drive === undefined) throw apiError("API_BAD_REQUEST", "body must have pool and drive (or label)");
  return media.labelNew({ pool: body.pool, drive: body.drive, count: body.count ?? 1 });
}

function driveView(d: { name: string; node: string; kind: string; path: string; channels: number; driveGroup: string; options: Record<string, unknown> }): object {
  return { name: d.name, node: d.node, kind: d.kind, path: d.path, channels: d.channels, driveGroup: d.driveGroup, options: d.options };
}

function taskView(t: { name: string; client: string; paths: string[]; excludes: string[]; pool: string; compression: "none" | "zstd"; compressionLevel: number; mirrors: string[] }): object {
  return { name: t.name, client: t.client, paths: t.paths, excludes: t.excludes, pool: t.pool, compression: t.compression, level: t.compressionLevel, mirrors: t.mirrors };
}

function authenticate(catalog: Catalog, route: Route, request: FastifyRequest): void {
  if (route.role === null) return;
  const header = request.headers.authorization ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (match === null) throw apiError("API_UNAUTHORIZED", "This endpoint needs a token: Authorization: Bearer <token>");
  const token = catalog.findApiToken(match[1]!);
  if (token === null) throw apiError("API_UNAUTHORIZED", "The token is not valid");
  if (!roleAllows(token.role, route.role)) throw apiError("API_FORBIDDEN", `This needs the ${route.role} role; the token "${token.name}" has ${token.role}`);
}

/** Builds the fastify app; `listen` is the caller's. */
export function buildHttp(o: HttpOptions): FastifyInstance {
  const app = Fastify({ logger: false, ajv: { customOptions: { removeAdditional: false, allErrors: false, coerceTypes: false } }, bodyLimit: 4 * 1024 * 1024 });
  const table = handlers(o);
  app.setErrorHandler((error: unknown, _request, reply) => {
    const validation = error as { validation?: unknown; validationContext?: string; message?: string; statusCode?: number };
    if (validation.validation !== undefined) {
      return reply.code(400).send({ error: { code: "API_BAD_REQUEST", message: validation.message ?? "bad request" } });
    }
    if (isReelError(error)) return reply.code(statusOf(error.code)).send({ error: { code: error.code, message: error.message } });
    const status = validation.statusCode ?? 500;
    if (status >= 400 && status < 500) return reply.code(status).send({ error: { code: "API_BAD_REQUEST", message: validation.message ?? "bad request" } });
    return reply.code(500).send({ error: { code: "SERVER_INTERNAL", message: error instanceof Error ? error.message : String(error) } });
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: { code: "API_NOT_FOUND" satisfies ApiErrorCode, message: `No endpoint ${request.method} ${request.url.split("?")[0] ?? ""}` } }));
  for (const route of routes) {
    const handler = table[route.operationId];
    if (handler === undefined) throw new Error(`No handler for ${route.operationId}`);
    app.route({
      method: route.method,
      url: API_ROOT + route.path,
      schema: {
        ...(route.body === undefined ? {} : { body: schemas[route.body] }),
        ...(route.query === undefined ? {} : { querystring: { type: "object", properties: route.query, additionalProperties: false } }),
      },
      preValidation: (request, _reply, done) => {
        try {
          authenticate(o.catalog, route, request);
          done();
        } catch (error) {
          done(error as Error);
        }
      },
      handler: async (request, reply) => {
        const result = await handler(request, reply);
        if (route.status !== undefined && reply.statusCode === 200 && !(route.body !== undefined && (request.body as { wait?: boolean }).wait === true)) void reply.code(route.status);
        return result;
      },
    });
  }
  return app;
}
