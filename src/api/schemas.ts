/** JSON Schemas (draft 2020-12 subset that Ajv and OpenAPI 3.1 both read) of the API's bodies. */
export type Schema = Readonly<Record<string, unknown>>;

const str = { type: "string" } as const;
const name = { type: "string", minLength: 1, maxLength: 128, pattern: "^[A-Za-z0-9][A-Za-z0-9._-]*$" } as const;
const int = { type: "integer" } as const;
const time = { type: "string", format: "date-time" } as const;
const day = { type: "string", pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" } as const;
const nullable = (schema: Schema): Schema => ({ anyOf: [schema, { type: "null" }] });
const level = { type: "string", enum: ["full", "diff", "incr"] } as const;
const paths = { type: "array", items: { type: "string", minLength: 1, maxLength: 65536 }, maxItems: 10000 } as const;
const object = (properties: Record<string, Schema>, required: string[] = Object.keys(properties)): Schema => ({
  type: "object", properties, required, additionalProperties: false,
});

export const schemas = {
  Error: object({ error: object({ code: str, message: str, details: { type: "object" } }, ["code", "message"]) }),
  Health: object({ status: { const: "ok" }, version: str, time }),
  Client: object({ name, connected: { type: "boolean" }, lastSeen: nullable(time), createdAt: time }),
  Node: object({ name, connected: { type: "boolean" }, dataAddress: nullable(str), lastSeen: nullable(time), createdAt: time }),
  Pool: object({ name, retentionDays: int, driveGroup: str, mediumSize: int }),
  Drive: object({ name, node: str, kind: str, path: str, channels: int, driveGroup: str, options: { type: "object" } }),
  Medium: object({ id: int, label: str, pool: str, drive: str, state: str, bytesWritten: int, blocks: int, endOfLife: nullable(time), createdAt: time }),
  Task: object({ name, client: str, paths, excludes: paths, pool: str, compression: { type: "string", enum: ["none", "zstd"] }, level: { type: "integer", minimum: 1, maximum: 19 }, mirrors: { type: "array", items: str } }),
  Job: object({
    id: int, kind: { type: "string", enum: ["backup", "restore", "command", "copy", "migration", "media"] }, task: nullable(str), client: nullable(str), level: nullable(level),
    state: { type: "string", enum: ["queued", "running", "done", "failed", "aborted"] }, backupDay: str, saveset: nullable(int),
    createdAt: time, startedAt: nullable(time), endedAt: nullable(time), files: int, bytes: int, errors: int, message: nullable(str),
  }),
  Copy: object({ id: int, pool: str, drive: str, node: str, kind: str, media: { type: "array", items: str }, blocks: int, endOfLife: time }),
  Saveset: object({
    id: int, uuid: str, task: str, client: str, level, status: { type: "string", enum: ["running", "complete", "incomplete", "failed"] },
    parent: nullable(int), backupDay: str, startedAt: time, endedAt: nullable(time), files: int, bytes: int, errors: int, endOfLife: time, encrypted: { type: "boolean" },
  }),
  File: object({ name: str, path64: str, path: str, type: str, size: int, mode: int, mtime: time, saveset: int }),
  FileColumns: object({
    dir: str, dir64: str, count: int, name: { type: "array", items: str }, name64: { type: "array", items: nullable(str) }, type: { type: "array", items: str },
    size: { type: "array", items: int }, mode: { type: "array", items: int }, mtime: { type: "array", items: int }, saveset: { type: "array", items: int },
  }),
  BackupRequest: object({ task: name, level, client: name, paths, excludes: paths, pool: name, compression: { type: "string", enum: ["none", "zstd"] }, compressionLevel: { type: "integer", minimum: 1, maximum: 19 }, wait: { type: "boolean" } }, ["task"]),
  RestoreRequest: object({
    saveset: { type: "integer", minimum: 1 }, target: { type: "string", minLength: 1, maxLength: 4096 }, client: name, paths,
    inPlace: { type: "boolean" }, overwrite: { type: "string", enum: ["always", "never", "older"] }, wait: { type: "boolean" }, pool: name,
  }, ["saveset"]),
  TokenRequest: object({
    for: { type: "string", enum: ["node", "client", "api"] }, name, role: { type: "string", enum: ["admin", "operator", "viewer"] },
    ttlMinutes: { type: "integer", minimum: 1, maximum: 525600 },
  }, ["for"]),
  TokenCreated: object({ token: str, for: str, expiresAt: nullable(time) }),
  EnrollRequest: object({ token: { type: "string", minLength: 1, maxLength: 256 }, kind: { type: "string", enum: ["node", "client"] }, name, csr: { type: "string", minLength: 1, maxLength: 16384 }, dataAddress: { type: "string", maxLength: 256 } }, ["token", "kind", "name", "csr"]),
  EnrollResponse: object({ certPem: str, caPem: str, agentAddress: str }),
  MediaLabelRequest: object({ pool: name, drive: name, count: { type: "integer", minimum: 1, maximum: 100 }, label: name, force: { type: "boolean" } }, []),
  PoolRequest: object({ name, retentionDays: { type: "integer", minimum: 0, maximum: 36500 }, driveGroup: name, mediumSize: { type: "integer", minimum: 1048576 } }, ["name"]),
  CalendarConfig: { type: "object", properties: { timezone: str, schedules: { type: "array", maxItems: 10000, items: { type: "object" } }, events: { type: "array", maxItems: 10000, items: { type: "object" } } }, required: ["schedules", "events"], additionalProperties: false },
  Occurrence: object({ time: str, backupDay: str, event: str, type: str, priority: int, status: str, by: str, job: int }, ["time", "backupDay", "event", "type", "priority", "status"]),
  StartRequest: object({ event: { type: "string", minLength: 1, maxLength: 128 } }),
  Started: object({ event: str, job: int }),
  DriveRequest: object({ name, node: name, kind: { type: "string", enum: ["dir", "vtl", "tape"] }, path: { type: "string", minLength: 1 }, channels: { type: "integer", minimum: 1, maximum: 256 }, driveGroup: name, options: { type: "object" } }, ["name", "node", "kind", "path"]),
  MediaCheckRequest: object({ label: name, wait: { type: "boolean" } }, ["label"]),
  MediaScanRequest: object({ drive: name, labels: { type: "array", items: name, minItems: 1, maxItems: 10000 }, wait: { type: "boolean" } }, ["drive"]),
  TaskRequest: object({ name, client: name, paths: { ...paths, minItems: 1 }, excludes: paths, pool: name, mirrors: { type: "array", items: name, maxItems: 8 }, compression: { type: "string", enum: ["none", "zstd"] }, level: { type: "integer", minimum: 1, maximum: 19 } }, ["name", "client", "paths"]),
  CopyRequest: object({
    savesets: { type: "array", items: { type: "integer", minimum: 1 }, minItems: 1, maxItems: 10000 }, task: name, pool: name, since: day, until: day, notCopiedTo: name, alive: { type: "boolean" },
    to: { type: "array", items: name, minItems: 1, maxItems: 8 }, mode: { type: "string", enum: ["multiplex", "demux"] }, move: { type: "boolean" }, wait: { type: "boolean" },
  }, ["to"]),
  CompactionRequest: object({ pool: name, threshold: { type: "number", exclusiveMinimum: 0, maximum: 1 }, wait: { type: "boolean" } }, ["pool"]),
} as const satisfies Record<string, Schema>;

export type SchemaName = keyof typeof schemas;
