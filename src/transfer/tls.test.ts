import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, test } from "node:test";
import * as tls from "node:tls";
import { isReelError } from "../errors/index.js";
import type { Connection, Peer } from "./connection.js";
import { fingerprintOf } from "./pki.js";
import { encodeFrameHeader, FrameType } from "./wire/index.js";
import { testPki, type TestPki } from "./testing-identities.js";
import { connectTls, type Identity, type Listener, listenTls } from "./tls.js";

let pki: TestPki;
let other: TestPki;
let server: Identity;
let node: Identity;
let client: Identity;
const listeners: Listener[] = [];

before(async () => {
  [pki, other] = await Promise.all([testPki("reel test CA"), testPki("another CA")]);
  [server, node, client] = await Promise.all([pki.issue("server", "srv"), pki.issue("node", "n1"), pki.issue("client", "c1")]);
});

after(async () => {
  for (const listener of listeners) await listener.close();
});

/** Waits (a bounded number of event-loop turns) until `check` holds. */
async function until(check: () => boolean): Promise<void> {
  for (let turn = 0; turn < 1000 && !check(); turn++) await new Promise((resolve) => setImmediate(resolve));
}

/** A listener on 127.0.0.1:0 that answers `who` requests with the peer it saw. */
async function listen(identity: Identity, accept: Peer["kind"][], log: string[] = []): Promise<Listener> {
  const listener = await listenTls({ host: "127.0.0.1", port: 0, identity, accept, log: (line) => log.push(line) }, (conn) => {
    conn.onMessage(async (message) => {
      if (message.type === "who") await conn.reply(message as { id: number }, { peer: conn.peer });
    });
  });
  listeners.push(listener);
  return listener;
}

test("nodes and clients with certificates of the CA connect, and each side sees the other's identity", async () => {
  const listener = await listen(server, ["node", "client"]);
  for (const [identity, kind, name] of [[node, "node", "n1"], [client, "client", "c1"]] as const) {
    const conn = await connectTls({ host: "127.0.0.1", port: listener.port, identity, expect: "server", name: "srv" });
    assert.deepEqual(conn.peer, { kind: "server", name: "srv", fingerprint: fingerprintOf(server.certPem) });
    const reply = await conn.request<{ peer: Peer }>({ type: "who" });
    assert.deepEqual(reply.peer, { kind, name, fingerprint: fingerprintOf(identity.certPem) });
    await conn.close();
  }
});

test("a certificate from another CA is rejected, on either side", async () => {
  const log: string[] = [];
  const listener = await listen(server, ["node"], log);
  // It trusts our CA, but its own certificate comes from another one.
  const stranger = { ...(await other.issue("node", "n1")), caPem: pki.ca.certPem };
  await assert.rejects(connectTls({ host: "127.0.0.1", port: listener.port, identity: stranger, expect: "server" }), (e: unknown) => {
    assert.ok(isReelError(e, "TRANSFER_REJECTED"), String(e));
    assert.match(e.message, /^Cannot connect to server at 127\.0\.0\.1:\d+: it closed the connection before accepting this side/);
    return true;
  });
  await until(() => log.length > 0);
  assert.match(log.join("\n"), /Refused a TLS connection from 127\.0\.0\.1:\d+: its certificate does not verify against this CA \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/);

  const strangeServer = await listen(await other.issue("server", "srv"), ["node"]);
  await assert.rejects(connectTls({ host: "127.0.0.1", port: strangeServer.port, identity: node, expect: "server" }), (e: unknown) =>
    isReelError(e, "TRANSFER_CONNECT_FAILED") && /certificate/i.test(e.message),
  );
});

test("a client certificate at a listener that accepts only nodes is refused with a reason", async () => {
  const log: string[] = [];
  const listener = await listen(server, ["node"], log);
  await assert.rejects(connectTls({ host: "127.0.0.1", port: listener.port, identity: client, expect: "server" }), (e: unknown) => {
    assert.ok(isReelError(e, "TRANSFER_REJECTED"), String(e));
    assert.match(e.message, /accepts node certificates only, and 127\.0\.0\.1:\d+ presented client "c1"/);
    return true;
  });
  await until(() => log.length > 0);
  assert.match(log.join("\n"), /Refused a connection: .*presented client "c1"/);
});

test("connectTls() checks the identity of the listener it reached", async () => {
  const nodeListener = await listen(node, ["client"]);
  await assert.rejects(connectTls({ host: "127.0.0.1", port: nodeListener.port, identity: client, expect: "server" }), (e: unknown) =>
    isReelError(e, "TRANSFER_WRONG_PEER") && /presented the certificate of node "n1"/.test(e.message),
  );
  await assert.rejects(connectTls({ host: "127.0.0.1", port: nodeListener.port, identity: client, expect: "node", name: "n2" }), (e: unknown) => isReelError(e, "TRANSFER_WRONG_PEER"));
  const conn = await connectTls({ host: "127.0.0.1", port: nodeListener.port, identity: client, expect: "node", name: "n1" });
  await conn.close();
  await assert.rejects(connectTls({ host: "127.0.0.1", port: 1, identity: client, expect: "node" }), (e: unknown) => isReelError(e, "TRANSFER_CONNECT_FAILED") && /ECONNREFUSED/.test(e.message));
  await assert.rejects(listenTls({ host: "127.0.0.1", port: nodeListener.port, identity: node, accept: ["client"] }, () => undefined), (e: unknown) => isReelError(e, "TRANSFER_LISTEN_FAILED"));
});

test("a TLS peer destroyed in the middle of a frame: closed is TRANSFER_PEER_CLOSED and pending requests reject", async () => {
  let accepted!: (conn: Connection) => void;
  const connection = new Promise<Connection>((resolve) => (accepted = resolve));
  const listener = await listenTls({ host: "127.0.0.1", port: 0, identity: node, accept: ["client"] }, (conn) => accepted(conn));
  listeners.push(listener);
  const raw = tls.connect({ host: "127.0.0.1", port: listener.port, ca: [client.caPem], cert: client.certPem, key: client.keyPem, checkServerIdentity: () => undefined });
  raw.on("error", () => undefined);
  await new Promise((resolve) => raw.once("data", resolve)); // transfer.ready
  const conn = await connection;
  conn.onMessage(() => undefined);
  const pending = conn.request({ type: "stream.read" });
  raw.write(encodeFrameHeader(FrameType.record, 1 << 20));
  raw.write(new Uint8Array(1000));
  await new Promise((resolve) => raw.once("data", resolve)); // the request: our frame bytes are through
  raw.destroy();
  await assert.rejects(pending, (e: unknown) => isReelError(e, "TRANSFER_PEER_CLOSED") && /client "c1" closed before it answered "stream\.read"/.test(e.message));
  const closed = await conn.closed;
  assert.ok(isReelError(closed, "TRANSFER_PEER_CLOSED"), String(closed));
  assert.match(closed.message, /^Connection to client "c1" closed in the middle of a frame \(1008 bytes of it at byte 0\)/);
});

test("an identity whose PEM text is unusable is TRANSFER_BAD_IDENTITY on both sides", async () => {
  const broken = { ...client, keyPem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" };
  await assert.rejects(connectTls({ host: "127.0.0.1", port: 1, identity: broken, expect: "node" }), (e: unknown) => isReelError(e, "TRANSFER_BAD_IDENTITY"));
  await assert.rejects(listenTls({ host: "127.0.0.1", port: 0, identity: broken, accept: ["node"] }, () => undefined), (e: unknown) => isReelError(e, "TRANSFER_BAD_IDENTITY"));
});

test("listeners speak TLS 1.3 only", async () => {
  const listener = await listen(server, ["node"]);
  const socket = tls.connect({ host: "127.0.0.1", port: listener.port, ca: [node.caPem], cert: node.certPem, key: node.keyPem, maxVersion: "TLSv1.2", checkServerIdentity: () => undefined });
  const error = await new Promise<Error>((resolve) => socket.once("error", resolve));
  assert.match(error.message, /protocol version|unsupported protocol/i);
});

test("64 MiB of records cross TLS intact and in order, with backpressure", async () => {
  const received: Array<{ index: number; digest: string }> = [];
  let behindMost = 0;
  let sent = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const listener = await listenTls({ host: "127.0.0.1", port: 0, identity: node, accept: ["client"] }, (conn: Connection) => {
    conn.onRecord(async (record) => {
      behindMost = Math.max(behindMost, sent - received.length);
      received.push({ index: new DataView(record.buffer, record.byteOffset).getUint32(0, true), digest: createHash("sha256").update(record).digest("hex") });
      // A slow consumer: every eighth record waits for a few turns of the event loop.
      if (received.length % 8 === 0) for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
      if (received.length === 64) done();
    });
  });
  listeners.push(listener);
  const conn = await connectTls({ host: "127.0.0.1", port: listener.port, identity: client, expect: "node" });
  const digests: string[] = [];
  for (let index = 0; index < 64; index++) {
    const record = new Uint8Array(1 << 20);
    const view = new DataView(record.buffer);
    for (let at = 0; at < record.length; at += 4096) view.setUint32(at, index * 7919 + at, true);
    view.setUint32(0, index, true);
    digests.push(createHash("sha256").update(record).digest("hex"));
    await conn.sendRecord(record);
    sent++;
  }
  await finished;
  await conn.close();
  assert.deepEqual(received.map((r) => r.index), Array.from({ length: 64 }, (_, i) => i));
  assert.deepEqual(received.map((r) => r.digest), digests);
  assert.ok(behindMost < 32, `the sender ran ${behindMost} MiB ahead of a slow receiver`);
});
