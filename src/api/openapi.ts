import { API_ROOT, type Route, routes } from "./routes.js";
import { type Schema, schemas } from "./schemas.js";

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

function responseOf(route: Route): Schema {
  if (route.response === "event-stream") return { description: "server-sent events, one JSON JobEvent per `data:` line", content: { "text/event-stream": { schema: { type: "string" } } } };
  if (route.response === "openapi") return { description: "this document", content: { "application/json": { schema: { type: "object" } } } };
  const schema = Array.isArray(route.response) ? { type: "array", items: ref(route.response[0]) } : ref(route.response);
  return { description: "success", content: { "application/json": { schema } } };
}

function operationOf(route: Route): Schema {
  const parameters = [
    ...[...route.path.matchAll(/:(\w+)/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "integer" } })),
    ...Object.entries(route.query ?? {}).map(([name, schema]) => ({ name, in: "query", required: false, schema })),
  ];
  const error = { description: "error", content: { "application/json": { schema: ref("Error") } } };
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.role === null ? { security: [] } : { "x-reel-role": route.role }),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body !== undefined ? { requestBody: { required: true, content: { "application/json": { schema: ref(route.body) } } } } : {}),
    responses: {
      [String(route.status ?? 200)]: responseOf(route),
      ...(route.body !== undefined || route.query !== undefined ? { 400: error } : {}),
      ...(route.role !== null ? { 401: error, 403: error } : {}),
    },
  };
}

/** The OpenAPI 3.1 document of the API, built from the route table and the schemas. */
export function openApiDocument(version: string): Schema {
  const paths: Record<string, Record<string, Schema>> = {};
  for (const route of routes) {
    const path = API_ROOT + route.path.replace(/:(\w+)/g, "{$1}");
    (paths[path] ??= {})[route.method.toLowerCase()] = operationOf(route);
  }
  return {
    openapi: "3.1.0",
    info: { title: "reel", version, description: "The REST API of the reel backup server. Authenticate with `Authorization: Bearer <token>`." },
    servers: [{ url: "/" }],
    security: [{ bearer: [] }],
    paths,
    components: { schemas, securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
  };
}
