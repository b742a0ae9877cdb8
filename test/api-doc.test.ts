/** docs/api.md lists exactly the routes of src/api/routes.ts, with their roles. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { API_ROOT, routes } from "../src/api/index.js";

const doc = readFileSync(fileURLToPath(new URL("../../docs/api.md", import.meta.url)), "utf8");

test("docs/api.md has a row for every route, with its role", () => {
  const rows = new Map<string, string>();
  for (const match of doc.matchAll(/^\| `(GET|POST|PUT|DELETE) (\S+)` \| ([^|]+) \|/gm)) rows.set(`${match[1]} ${match[2]}`, match[3]!.trim());
  const expected = routes.map((r) => `${r.method} ${API_ROOT}${r.path.replace(/:(\w+)/g, "{$1}")}`);
  assert.deepEqual([...rows.keys()].sort(), expected.sort());
  for (const route of routes) {
    const role = rows.get(`${route.method} ${API_ROOT}${route.path.replace(/:(\w+)/g, "{$1}")}`)!;
    if (route.role !== null) assert.equal(role, route.role, `${route.operationId}: role`);
  }
});
