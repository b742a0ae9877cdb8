import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { isReelError } from "../errors/index.js";
import { withCatalog } from "./temp-catalog.js";

const TOKEN = "rl_api_0123456789abcdef0123456789abcdef";

test("addApiToken() stores only the token's hash; findApiToken() finds it by the token", () => {
  withCatalog((catalog, _clock, path) => {
    const { id } = catalog.addApiToken({ name: "ci", role: "operator", token: TOKEN });
    assert.deepEqual(catalog.findApiToken(TOKEN), { id, name: "ci", role: "operator" });
    assert.equal(catalog.findApiToken(`${TOKEN}x`), null);
    assert.equal(catalog.findApiToken(""), null);
    catalog.checkpoint();
    assert.equal(readFileSync(path).includes(Buffer.from(TOKEN)), false, "the token itself is not in the file");
    assert.deepEqual(
      catalog.listApiTokens().map((t) => [t.name, t.role]),
      [["ci", "operator"]],
    );
    assert.equal(catalog.deleteApiToken(id), true);
    assert.equal(catalog.findApiToken(TOKEN), null);
  });
});

test("addApiToken() refuses unknown roles, short tokens and a token stored twice", () => {
  withCatalog((catalog) => {
    assert.throws(() => catalog.addApiToken({ name: "x", role: "root" as "admin", token: TOKEN }), (e: unknown) => isReelError(e, "CATALOG_INVALID"));
    assert.throws(() => catalog.addApiToken({ name: "x", role: "admin", token: "short" }), (e: unknown) => isReelError(e, "CATALOG_INVALID"));
    catalog.addApiToken({ name: "a", role: "viewer", token: TOKEN });
    assert.throws(() => catalog.addApiToken({ name: "b", role: "admin", token: TOKEN }), (e: unknown) => isReelError(e, "CATALOG_CONFLICT"));
  });
});

test("consumeEnrollToken() succeeds once, then never again", () => {
  withCatalog((catalog, clock) => {
    const expiresAt = new Date(clock.now().getTime() + 3600_000);
    catalog.addEnrollToken({ kind: "node", name: "node-1", token: "enroll-aaaaaaaaaaaaaaaa", expiresAt });
    catalog.addEnrollToken({ kind: "client", name: null, token: "enroll-bbbbbbbbbbbbbbbb", expiresAt });
    assert.deepEqual(catalog.consumeEnrollToken("enroll-aaaaaaaaaaaaaaaa"), { kind: "node", name: "node-1" });
    assert.equal(catalog.consumeEnrollToken("enroll-aaaaaaaaaaaaaaaa"), null);
    assert.deepEqual(catalog.consumeEnrollToken("enroll-bbbbbbbbbbbbbbbb"), { kind: "client", name: null });
    assert.equal(catalog.consumeEnrollToken("enroll-unknown-cccccccccc"), null);
  });
});

test("consumeEnrollToken() refuses a token once the clock reaches its expiry", () => {
  withCatalog((catalog, clock) => {
    const expiresAt = new Date(clock.now().getTime() + 60_000);
    catalog.addEnrollToken({ kind: "client", name: "web1", token: "enroll-dddddddddddddddd", expiresAt });
    catalog.addEnrollToken({ kind: "client", name: "web2", token: "enroll-eeeeeeeeeeeeeeee", expiresAt });
    clock.advance(59_999);
    assert.deepEqual(catalog.consumeEnrollToken("enroll-dddddddddddddddd"), { kind: "client", name: "web1" });
    clock.advance(1);
    assert.equal(catalog.consumeEnrollToken("enroll-eeeeeeeeeeeeeeee"), null);
  });
});
