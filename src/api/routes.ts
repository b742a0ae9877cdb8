import type { Role } from "./types.js";
import type { Schema, SchemaName } from "./schemas.js";

/** One REST endpoint: the server registers it, the OpenAPI document describes it. */
export interface Route {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Path under the API root, with `:param` placeholders. */
  path: string;
  operationId: string;
  summary: string;
  /** The least role allowed; null: no authentication (health, OpenAPI, enrollment by its token). */
  role: Role | null;
  body?: SchemaName;
  query?: Record<string, Schema>;
  /** The success answer: a schema name, or an array of one (`["Job"]`), or "event-stream". */
  response: SchemaName | [SchemaName] | "event-stream" | "openapi";
  status?: number;
}

export const API_ROOT = "/api/v1";

const id = "id";
export const routes: readonly Route[] = [
  { method: "GET", path: "/health", operationId: "health", summary: "Liveness: answers without authentication", role: null, response: "Health" },
  { method: "GET", path: "/openapi.json", operationId: "openapi", summary: "This API as an OpenAPI 3.1 document", role: null, response: "openapi" },
  { method: "POST", path: "/enroll", operationId: "enroll", summary: "A node or client agent trades a one-time token and a CSR for its certificate", role: null, body: "EnrollRequest", response: "EnrollResponse" },
  { method: "POST", path: "/tokens", operationId: "createToken", summary: "Create an enrollment token (node, client) or an API token", role: "admin", body: "TokenRequest", response: "TokenCreated", status: 201 },
  { method: "GET", path: "/clients", operationId: "listClients", summary: "Client agents", role: "viewer", response: ["Client"] },
  { method: "GET", path: "/nodes", operationId: "listNodes", summary: "Storage nodes", role: "viewer", response: ["Node"] },
  { method: "GET", path: "/pools", operationId: "listPools", summary: "Media pools", role: "viewer", response: ["Pool"] },
  { method: "POST", path: "/pools", operationId: "putPool", summary: "Create or change a pool (retention days, drive group, medium size in bytes)", role: "admin", body: "PoolRequest", response: "Pool", status: 201 },
  { method: "GET", path: "/drives", operationId: "listDrives", summary: "Drives", role: "viewer", response: ["Drive"] },
  { method: "POST", path: "/drives", operationId: "putDrive", summary: "Create or change a drive of a node (kind dir, vtl or tape; a drive group; kind options)", role: "admin", body: "DriveRequest", response: "Drive", status: 201 },
  { method: "GET", path: "/media", operationId: "listMedia", summary: "Media (volumes)", role: "viewer", response: ["Medium"] },
  { method: "POST", path: "/media/check", operationId: "checkMedium", summary: "Check a medium: its node reads every block and verifies every checksum; damage marks it error", role: "admin", body: "MediaCheckRequest", response: "Job", status: 202 },
  { method: "POST", path: "/media/scan", operationId: "scanMedia", summary: "Rebuild the catalog from a drive's volumes (all, or the labels given): media, savesets, copies, file index", role: "admin", body: "MediaScanRequest", response: "Job", status: 202 },
  { method: "POST", path: "/media/label", operationId: "labelMedia", summary: "Add empty media to a pool on a drive (pool, drive, count), or re-initialise a medium that holds no live saveset (label, force)", role: "admin", body: "MediaLabelRequest", response: ["Medium"], status: 201 },
  { method: "GET", path: "/tasks", operationId: "listTasks", summary: "Backup tasks", role: "viewer", response: ["Task"] },
  { method: "POST", path: "/tasks", operationId: "putTask", summary: "Create or change a backup task", role: "operator", body: "TaskRequest", response: "Task", status: 201 },
  { method: "GET", path: "/jobs", operationId: "listJobs", summary: "Jobs, newest first", role: "viewer", query: { limit: { type: "string", pattern: "^[1-9][0-9]{0,3}$" } }, response: ["Job"] },
  { method: `GET`, path: `/jobs/:${id}`, operationId: "getJob", summary: "One job", role: "viewer", response: "Job" },
  { method: "GET", path: "/events", operationId: "events", summary: "Live job events (text/event-stream): every change of state and progress", role: "viewer", response: "event-stream" },
  { method: "POST", path: "/backups", operationId: "startBackup", summary: "Start a backup of a task now (creates the task when paths are given and it does not exist)", role: "operator", body: "BackupRequest", response: "Job", status: 202 },
  { method: "POST", path: "/restores", operationId: "startRestore", summary: "Restore a saveset (as of that saveset: its chain is resolved)", role: "operator", body: "RestoreRequest", response: "Job", status: 202 },
  { method: "POST", path: "/copies", operationId: "startCopy", summary: "Copy (or with move: migrate) the selected complete savesets through copy stages, one pool each (to)", role: "operator", body: "CopyRequest", response: "Job", status: 202 },
  { method: "POST", path: "/compactions", operationId: "startCompaction", summary: "Compact a pool: move the live savesets off its full media whose live bytes are below threshold, then expire those media", role: "operator", body: "CompactionRequest", response: "Job", status: 202 },
  { method: "PUT", path: "/calendar/config", operationId: "applyCalendar", summary: "Replace the calendar's schedules and events (timezone, schedules, events as in reel.yaml); checked whole, nothing applied on error", role: "admin", body: "CalendarConfig", response: "CalendarConfig" },
  { method: "GET", path: "/calendar/config", operationId: "getCalendar", summary: "The calendar's schedules and events as applied", role: "viewer", response: "CalendarConfig" },
  { method: "POST", path: "/calendar/start", operationId: "startEvent", summary: "Start an event now: a one-time occurrence on the calendar (reel start EVENT)", role: "operator", body: "StartRequest", response: "Started", status: 202 },
  { method: "GET", path: "/calendar", operationId: "calendarSheet", summary: "The calendar sheet: every occurrence in [from, to) with its backup day and status", role: "viewer", query: { from: { type: "string", minLength: 10 }, to: { type: "string", minLength: 10 } }, response: ["Occurrence"] },
  { method: "GET", path: "/savesets", operationId: "listSavesets", summary: "Savesets, newest first", role: "viewer", query: { task: { type: "string" } }, response: ["Saveset"] },
  { method: "GET", path: `/savesets/:${id}`, operationId: "getSaveset", summary: "One saveset", role: "viewer", response: "Saveset" },
  { method: "GET", path: `/savesets/:${id}/copies`, operationId: "listCopies", summary: "Where a saveset lies: each copy's pool, drive, node and media, best first as a restore reads them", role: "viewer", response: ["Copy"] },
  { method: "GET", path: `/savesets/:${id}/files`, operationId: "listFiles", summary: "A directory of the saveset's file index as of that saveset (path: UTF-8, or path64: raw bytes in base64); form=columns: one array per field instead of one object per entry (FileColumns); form=text: the lines reel ls prints (text/plain)", role: "viewer", query: { path: { type: "string" }, path64: { type: "string" }, form: { type: "string", enum: ["objects", "columns", "text"] } }, response: ["File"] },
];

/** The roles in order of power: a route open to `viewer` is open to all three. */
export function roleAllows(have: Role, need: Role): boolean {
  const rank: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };
  return rank[have] >= rank[need];
}
