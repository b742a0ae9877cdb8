import assert from "node:assert/strict";
import { once } from "node:events";
import * as net from "node:net";
import { test } from "node:test";
import { setImmediate as tick } from "node:timers/promises";
import { isReelError, ReelError } from "../errors/index.js";
import { HEADROOM_BYTES, reserveHeadroom } from "../format/index.js";
import { Connection } from "./connection.js";
import { encodeFrameHeader, encodeMessage, FrameType, type WireMessage } from "./wire/index.js";

/** Two connected plain TCP sockets on loopback. */
async function socketPair(): Promise<[net.Socket, net.Socket]> {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const accepted = once(server, "connection") as Promise<[net.Socket]>;
  const client = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
  await once(client, "connect");
  const [socket] = await accepted;
  server.close();
  return [client, socket];
}

async function connectionPair(): Promise<[Connection, Connection]> {
  const [a, b] = await socketPair();
  // `remote` names the other end: a talks to b.
  return [new Connection(a, { remote: "b-side" }), new Connection(b, { remote: "a-side" })];
}

test("request() resolves with the reply; error replies reject with the peer's code", async () => {
  const [a, b] = await connectionPair();
  b.onMessage(async (message) => {
    const request = message as WireMessage & { id: number };
    if (message.type === "add") await b.reply(request, { sum: (message["x"] as number) + (message["y"] as number) });
    else if (message.type === "full") await b.replyError(request, new ReelError("MEDIA_END_OF_MEDIUM", "Cannot write block 7 of medium \"V1\": end of medium", { details: { block: 7 } }));
    else if (message.type === "throw-reel") throw new ReelError("MEDIA_GONE", "Drive \"d1\" is gone");
    else if (message.type === "throw-bug") throw new TypeError("x is undefined");
  });
  const reply = await a.request<{ type: string; re: number; sum: number }>({ type: "add", x: 2, y: 3 });
  assert.deepEqual(reply, { type: "reply", sum: 5, re: 1 });
  await assert.rejects(a.request({ type: "full" }), (e: unknown) => isReelError(e, "MEDIA_END_OF_MEDIUM") && e.details["block"] === 7 && e.details["peer"] === "peer b-side");
  await assert.rejects(a.request({ type: "throw-reel" }), (e: unknown) => isReelError(e, "MEDIA_GONE") && e.message === "Drive \"d1\" is gone");
  await assert.rejects(a.request({ type: "throw-bug" }), (e: unknown) => isReelError(e, "TRANSFER_REMOTE_FAILED") && /x is undefined/.test(e.message));
  await a.close();
  assert.equal(await a.closed, null);
  assert.equal(await b.closed, null);
});

test("frames of all kinds reach their handlers in order, and wait for handlers set late", async () => {
  const [a, b] = await connectionPair();
  const seen: string[] = [];
  await a.send({ type: "m1" });
  await a.sendRecord(new Uint8Array([1]));
  await a.sendBinary(new Uint8Array([2, 2]));
  await a.sendRecord(new Uint8Array(200_000).fill(3)); // above the copy limit: header and payload written apart
  await a.send({ type: "m2" });
  await tick();
  await tick();
  assert.equal(seen.length, 0);
  b.onRecord(async (record) => {
    await tick();
    seen.push(`record ${record[0]} ×${record.length}`);
  });
  b.onMessage(async (message) => {
    await tick();
    seen.push(message.type);
  });
  b.onBinary((bytes) => void seen.push(`binary ×${bytes.length}`));
  await a.close();
  assert.equal(await b.closed, null);
  assert.deepEqual(seen, ["m1", "record 1 ×1", "binary ×2", "record 3 ×200000", "m2"]);
});

test("a peer that ends in the middle of a frame: closed is TRANSFER_PEER_CLOSED and pending requests reject", async () => {
  const [socket, raw] = await socketPair();
  const conn = new Connection(socket, { peer: { kind: "node", name: "n1", fingerprint: "00" } });
  conn.onMessage(() => undefined);
  const pending = conn.request({ type: "stream.open" });
  await once(raw, "data");
  raw.write(encodeMessage({ type: "progress" }));
  raw.write(encodeFrameHeader(FrameType.record, 1000));
  raw.end(new Uint8Array(10));
  await assert.rejects(pending, (e: unknown) => isReelError(e, "TRANSFER_PEER_CLOSED") && /node "n1" closed before it answered "stream.open"/.test(e.message));
  const closed = await conn.closed;
  assert.ok(isReelError(closed, "TRANSFER_PEER_CLOSED"), String(closed));
  assert.match(closed.message, /Connection to node "n1" closed in the middle of a frame/);
  await assert.rejects(conn.send({ type: "late" }), (e: unknown) => isReelError(e, "TRANSFER_PEER_CLOSED"));
});

test("a bad frame ends the connection with TRANSFER_BAD_FRAME naming the peer and the offset", async () => {
  const [socket, raw] = await socketPair();
  const conn = new Connection(socket, { peer: { kind: "client", name: "c1", fingerprint: "00" } });
  raw.write(encodeMessage({ type: "fine" }));
  raw.write(new Uint8Array([1, 0, 0, 0, 7, 0, 0, 0, 0]));
  const closed = await conn.closed;
  assert.ok(isReelError(closed, "TRANSFER_BAD_FRAME"), String(closed));
  assert.equal(closed.message, "Cannot read the frame at byte 23 from client \"c1\": unknown frame type 7");
  raw.destroy();
});

test("a handler that fails on a non-request aborts the connection and tells the peer why", async () => {
  const [a, b] = await connectionPair();
  b.onMessage(() => undefined);
  b.onRecord(() => {
    throw new ReelError("MEDIA_WRITE_FAILED", "Cannot write volume \"V3\": EIO");
  });
  const pending = a.request({ type: "never answered" });
  await a.sendRecord(new Uint8Array(8));
  const closedA = await a.closed;
  assert.ok(isReelError(closedA, "MEDIA_WRITE_FAILED"), String(closedA));
  assert.equal(closedA.details["peer"], "peer b-side");
  await assert.rejects(pending, (e: unknown) => isReelError(e, "MEDIA_WRITE_FAILED"));
  assert.ok(isReelError(await b.closed, "MEDIA_WRITE_FAILED"));
});

test("a reply to no request is a protocol error", async () => {
  const [socket, raw] = await socketPair();
  const conn = new Connection(socket, { remote: "raw" });
  raw.write(encodeMessage({ type: "reply", re: 42 }));
  const closed = await conn.closed;
  assert.ok(isReelError(closed, "TRANSFER_PROTOCOL"));
  raw.destroy();
});

test("records pause the sender while the receiver's handler is busy (backpressure)", async () => {
  const [a, b] = await connectionPair();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let received = 0;
  b.onRecord(async (record) => {
    await gate;
    assert.equal(record[0], received % 256);
    received++;
  });
  const record = new Uint8Array(1 << 20);
  let sent = 0;
  let blocked = false;
  const sender = (async () => {
    for (; sent < 64; sent++) {
      record[0] = sent % 256;
      const written = a.sendRecord(record.slice());
      // A send that does not settle within a few turns is waiting for drain: the sender is held back.
      const settled = await Promise.race([written.then(() => true), tick().then(tick).then(tick).then(() => false)]);
      if (!settled) {
        blocked = true;
        break;
      }
    }
  })();
  await sender;
  assert.ok(blocked, "the sender was never held back");
  assert.ok(sent < 64, `sent ${sent} MiB to a receiver that took none`);
  assert.equal(received, 0);
  release();
  for (sent++; sent < 64; sent++) {
    record[0] = sent % 256;
    await a.sendRecord(record.slice());
  }
  await a.close();
  await b.closed;
  assert.equal(received, 64);
});

test("reuseRecordMemory(): records assembled in reused memory arrive intact while handlers copy them, sync or async", async () => {
  const [a, b] = await connectionPair();
  b.reuseRecordMemory();
  const received: Buffer[] = [];
  let n = 0;
  b.onRecord((record) => {
    // Every other handler finishes later: the memory must not be reused before it settles.
    if (n++ % 2 === 0) {
      received.push(Buffer.from(record));
      return;
    }
    return tick().then(() => void received.push(Buffer.from(record)));
  });
  const sent: Buffer[] = [];
  for (let i = 0; i < 40; i++) {
    const record = Buffer.alloc(100_000 + i * 37_000, i + 1);
    record.writeUInt32LE(i, 0);
    sent.push(record);
    await a.sendRecord(record);
  }
  await a.send({ type: "done" });
  await new Promise<void>((resolve) => b.onMessage(() => resolve()));
  assert.equal(received.length, sent.length);
  for (let i = 0; i < sent.length; i++) assert.ok(received[i]!.equals(sent[i]!), `record ${i} differs`);
  await a.close();
});

test("records with headroom go out as one piece with the frame header in front; others as two; all arrive intact", async () => {
  const [a, b] = await connectionPair();
  b.reuseRecordMemory();
  const received: Buffer[] = [];
  b.onRecord((record) => void received.push(Buffer.from(record)));
  const sent: Buffer[] = [];
  const memories: Uint8Array[] = [];
  for (let i = 0; i < 6; i++) {
    const size = 70_000 + i * 50_000;
    const withRoom = i % 2 === 0;
    const memory = new Uint8Array((withRoom ? HEADROOM_BYTES : 0) + size).fill(0xa5);
    const record = memory.subarray(withRoom ? HEADROOM_BYTES : 0);
    if (withRoom) reserveHeadroom(record);
    record.fill(i + 1);
    sent.push(Buffer.from(record));
    memories.push(memory);
    await a.sendRecord(record);
  }
  await a.send({ type: "done" });
  await new Promise<void>((resolve) => b.onMessage(() => resolve()));
  assert.equal(received.length, sent.length);
  for (let i = 0; i < sent.length; i++) assert.ok(received[i]!.equals(sent[i]!), `record ${i} differs`);
  // The header went into the last 8 bytes of the headroom (frame type RECORD, then the length), nowhere else.
  const first = memories[0]!;
  assert.deepEqual([...first.subarray(0, HEADROOM_BYTES - 8)], new Array(HEADROOM_BYTES - 8).fill(0xa5));
  assert.deepEqual(Buffer.from(first.subarray(HEADROOM_BYTES - 8, HEADROOM_BYTES)), Buffer.from(encodeFrameHeader(FrameType.record, 70_000)));
  await a.close();
});

test("sockets read into one reused buffer: records and binaries of every size arrive intact while their handlers hold them", async () => {
  const [a, b] = await connectionPair();
  // Sizes within one 64 KiB read and across reads, down to one byte; each filled with its own pattern.
  const sizes = [1, 100, 16 * 1024, 16 * 1024 + 1, 40_000, 64 * 1024, 70_000, 1024 * 1024 + 7];
  const made = (size: number, seed: number): Uint8Array => Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed * 7) & 0xff);
  const held: Array<{ kind: string; bytes: Uint8Array; expected: Uint8Array }> = [];
  let messages = 0;
  const expectedRecords: Uint8Array[] = [];
  const expectedBinaries: Uint8Array[] = [];
  // The handlers keep each payload until later reads have gone through the socket's buffer.
  b.onRecord(async (record) => {
    held.push({ kind: "record", bytes: record.slice(), expected: expectedRecords.shift()! });
    await tick();
    assert.ok(Buffer.from(record).equals(Buffer.from(held.at(-1)!.expected)), `a record of ${record.length} bytes changed while its handler held it`);
  });
  b.onBinary((bytes) => void held.push({ kind: "binary", bytes, expected: expectedBinaries.shift()! }));
  b.onMessage(() => void messages++);
  for (let round = 0; round < 3; round++) {
    for (const [i, size] of sizes.entries()) {
      const record = made(size, round * 100 + i);
      const binary = made(size, round * 100 + i + 50);
      expectedRecords.push(record);
      expectedBinaries.push(binary);
      await Promise.all([a.sendRecord(record), a.sendBinary(binary), a.send({ type: "note", round, i })]);
    }
  }
  await a.close();
  assert.equal(await b.closed, null);
  assert.equal(messages, 3 * sizes.length);
  assert.equal(held.length, 2 * 3 * sizes.length);
  for (const h of held) assert.ok(Buffer.from(h.bytes).equals(Buffer.from(h.expected)), `a ${h.kind} of ${h.expected.length} bytes arrived changed`);
});

test("a connection made on a socket that already holds received data handles that data first", async () => {
  const [a, b] = await socketPair();
  // The frames reach b's socket before any Connection reads it.
  a.write(encodeMessage({ type: "early", n: 1 }));
  a.write(Buffer.concat([encodeFrameHeader(FrameType.record, 3), Buffer.from([7, 8, 9])]));
  for (let i = 0; i < 50 && b.readableLength < 20; i++) await tick();
  assert.ok(b.readableLength > 0, "the data did not arrive in time");
  const conn = new Connection(b, { remote: "a-side" });
  const seen: string[] = [];
  conn.onMessage((message) => void seen.push(`${message.type} ${String(message["n"])}`));
  conn.onRecord((record) => void seen.push(`record ${Array.from(record).join(",")}`));
  const peer = new Connection(a, { remote: "b-side" });
  await peer.send({ type: "late", n: 2 });
  await peer.close();
  assert.equal(await conn.closed, null);
  assert.deepEqual(seen, ["early 1", "record 7,8,9", "late 2"]);
});
