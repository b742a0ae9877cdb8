import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { isReelError } from "../errors/index.js";
import { enroll } from "./enroll.js";
import { loadIdentity, saveIdentity } from "./identity-files.js";
import { type Authority, fingerprintOf, identityOf, signRequest } from "./pki.js";
import { testPki, type TestPki } from "./testing-identities.js";
import { connectTls, type Identity, type Listener, listenTls } from "./tls.js";

const now = new Date("2020-01-01T00:00:00Z");
let pki: TestPki;
let serverIdentity: Identity;
let agents: Listener;
let api: http.Server;
let serverUrl: string;
let dir: string;
/** What the test's enrollment route received, to check that no key travelled. */
const bodies: Array<Record<string, unknown>> = [];
/** One-time tokens: token → the kind and name the server decided on. */
const tokens = new Map<string, { kind: "node" | "client"; name: string }>();
/** How the route misbehaves, when a test asks it to. */
let misbehave: "none" | "html" | "other-name" = "none";

/** A stand-in for the server's route (the real one lives in src/server): checks the token, signs with pki. */
function enrollRoute(ca: Authority, agentAddress: string): http.RequestListener {
  return (request, response) => {
    let text = "";
    request.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    request.on("end", () => {
      void (async () => {
        const body = JSON.parse(text) as { token: string; kind: "node" | "client"; name: string; csr: string };
        bodies.push(body);
        const send = (status: number, value: unknown): void => void response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
        if (misbehave === "html") return void response.writeHead(502, { "content-type": "text/html" }).end("<html>bad gateway</html>");
        const grant = tokens.get(body.token);
        if (request.url !== "/api/v1/enroll" || grant === undefined || grant.kind !== body.kind) {
          return send(401, { error: { code: "API_UNAUTHORIZED", message: "The enrollment token is unknown, used or expired" } });
        }
        tokens.delete(body.token);
        const name = misbehave === "other-name" ? "someone-else" : grant.name;
        const certPem = await signRequest(ca, { csrPem: body.csr, kind: grant.kind, name, now, days: 20000 });
        send(200, { certPem, caPem: ca.certPem, agentAddress });
      })();
    });
  };
}

before(async () => {
  pki = await testPki();
  serverIdentity = await pki.issue("server", "srv");
  agents = await listenTls({ host: "127.0.0.1", port: 0, identity: serverIdentity, accept: ["node", "client"] }, (conn, peer) => {
    conn.onMessage(async (message) => void (await conn.reply(message as { id: number }, { hello: `${peer.kind} ${peer.name}` })));
  });
  api = http.createServer(enrollRoute(pki.ca, `127.0.0.1:${agents.port}`));
  await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
  serverUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  dir = mkdtempSync(join(tmpdir(), "reel-"));
});

after(async () => {
  await agents.close();
  await new Promise((resolve) => api.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

test("enroll() gets a certificate for a key that never leaves the agent, and the identity connects", async () => {
  tokens.set("t-node", { kind: "node", name: "n1" });
  const identity = await enroll({ serverUrl: `${serverUrl}/`, token: "t-node", kind: "node", name: "n1", dataAddress: "127.0.0.1:7001", caFingerprint: fingerprintOf(pki.ca.certPem) });
  assert.deepEqual(identityOf(identity.certPem), { kind: "node", name: "n1" });
  assert.equal(identity.caPem, pki.ca.certPem);
  assert.equal(identity.agentAddress, `127.0.0.1:${agents.port}`);
  const sent = bodies.at(-1)!;
  assert.deepEqual(Object.keys(sent).sort(), ["csr", "dataAddress", "kind", "name", "token"]);
  assert.doesNotMatch(JSON.stringify(sent), /PRIVATE KEY/);

  const home = join(dir, "node");
  saveIdentity(home, { ...identity, serverUrl });
  assert.equal(statSync(join(home, "key.pem")).mode & 0o777, 0o600);
  assert.equal(statSync(home).mode & 0o777, 0o700);
  const loaded = loadIdentity(home);
  assert.deepEqual(loaded, { caPem: identity.caPem, certPem: identity.certPem, keyPem: identity.keyPem, agentAddress: identity.agentAddress, serverUrl });

  const conn = await connectTls({ host: "127.0.0.1", port: agents.port, identity: loaded, expect: "server" });
  assert.deepEqual(await conn.request({ type: "hi" }), { type: "reply", hello: "node n1", re: 1 });
  await conn.close();
});

test("enroll() passes the server's error code through: a used or wrong token", async () => {
  tokens.set("t-once", { kind: "client", name: "c1" });
  await enroll({ serverUrl, token: "t-once", kind: "client", name: "c1" });
  await assert.rejects(enroll({ serverUrl, token: "t-once", kind: "client", name: "c1" }), (e: unknown) =>
    isReelError(e, "API_UNAUTHORIZED") && e.message === "The enrollment token is unknown, used or expired" && e.details["status"] === 401,
  );
  tokens.set("t-client", { kind: "client", name: "c2" });
  await assert.rejects(enroll({ serverUrl, token: "t-client", kind: "node", name: "c2" }), (e: unknown) => isReelError(e, "API_UNAUTHORIZED"));
});

test("enroll() refuses answers it cannot trust or read", async () => {
  const fails = (pattern: RegExp) => (e: unknown) => isReelError(e, "TRANSFER_ENROLL_FAILED") && pattern.test(e.message);
  tokens.set("t1", { kind: "node", name: "n2" });
  await assert.rejects(enroll({ serverUrl, token: "t1", kind: "node", name: "n2", caFingerprint: "00".repeat(32) }), fails(/CA has fingerprint/));
  try {
    misbehave = "other-name";
    tokens.set("t2", { kind: "node", name: "n2" });
    await assert.rejects(enroll({ serverUrl, token: "t2", kind: "node", name: "n2" }), fails(/names node "someone-else"/));
    misbehave = "html";
    await assert.rejects(enroll({ serverUrl, token: "t3", kind: "node", name: "n2" }), fails(/answered HTTP 502: <html>bad gateway/));
  } finally {
    misbehave = "none";
  }
  await assert.rejects(enroll({ serverUrl: "ftp://x", token: "t", kind: "node", name: "n2" }), fails(/not an http/));
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const closedPort = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  await assert.rejects(enroll({ serverUrl: `http://127.0.0.1:${closedPort}`, token: "t", kind: "node", name: "n2" }), fails(/ECONNREFUSED/));
  await assert.rejects(enroll({ serverUrl, token: "t", kind: "node", name: "bad name" }), (e: unknown) => isReelError(e, "TRANSFER_BAD_NAME"));
});

test("loadIdentity() is null for an empty directory and names what is wrong with a broken one", async () => {
  const home = mkdtempSync(join(dir, "id-"));
  assert.equal(loadIdentity(home), null);
  assert.equal(loadIdentity(join(home, "missing")), null);
  const other = await pki.issue("client", "c9");
  const mine = await pki.issue("client", "c9");
  saveIdentity(home, { ...mine, agentAddress: "127.0.0.1:1", serverUrl });
  const broken = (pattern: RegExp) => (e: unknown) => isReelError(e, "TRANSFER_BAD_IDENTITY") && pattern.test(e.message);
  writeFileSync(join(home, "key.pem"), other.keyPem);
  assert.throws(() => loadIdentity(home), broken(/cert\.pem is not for key\.pem/));
  writeFileSync(join(home, "agent.json"), "{");
  assert.throws(() => loadIdentity(home), broken(/agent\.json is not JSON/));
  unlinkSync(join(home, "ca.pem"));
  assert.throws(() => loadIdentity(home), broken(/ca\.pem is missing; enroll again/));
  writeFileSync(join(dir, "a-file"), "");
  assert.throws(() => saveIdentity(join(dir, "a-file"), { ...mine, agentAddress: "x", serverUrl }), broken(/Cannot save the identity/));
});
