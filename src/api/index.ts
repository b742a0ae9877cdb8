/**
 * @module api
 * The REST API contract of the reel server (docs/api.md): request and response shapes as JSON
 * Schemas and TypeScript types, the route table, and the OpenAPI document built from it.
 * PURE: shared by the server (which validates with it), the CLI and the web UI. Imports only ../errors.
 */
export * from "./errors.js";
export * from "./instant.js";
export * from "./openapi.js";
export * from "./routes.js";
export * from "./schemas.js";
export * from "./types.js";
