/**
 * Throughput of the transfer layer over loopback TLS: 1 GiB (REEL_BENCH_MIB to change) of 1 MiB
 * records through Connection.sendRecord/onRecord, against plain TLS socket writes of the same
 * buffers as the physical limit, received as `data` events and read into one reused buffer
 * (src/transfer/reused-reads.ts). Both ends run in this process, as in the one-box default.
 *
 *   npm run build && node dist/bench/transfer.js
 */
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import * as tls from "node:tls";
import { connectTls, type Identity, listenTls } from "../src/transfer/index.js";
import { readIntoReusedBuffer } from "../src/transfer/reused-reads.js";
import { testPki } from "../src/transfer/testing-identities.js";

const RECORD_BYTES = 1 << 20;
const totalMiB = Number(process.env["REEL_BENCH_MIB"] ?? 1024);

const ROUNDS = 3;
const results = new Map<string, Array<{ rate: number; cpuPerMiB: number }>>();

interface Start {
  ms: number;
  cpu: NodeJS.CpuUsage;
}

function start(): Start {
  return { ms: performance.now(), cpu: process.cpuUsage() };
}

/** Records MB/s and the CPU time (user + system, both ends) per MiB, which a busy machine disturbs less. */
function report(name: string, bytes: number, started: Start): void {
  const seconds = (performance.now() - started.ms) / 1000;
  const cpu = process.cpuUsage(started.cpu);
  results.set(name, [...(results.get(name) ?? []), { rate: bytes / 1e6 / seconds, cpuPerMiB: (cpu.user + cpu.system) / (bytes / 2 ** 20) }]);
}

/** Plain TLS 1.3: write the same buffer repeatedly, count what arrives (as data events, or read into one buffer). */
async function plainTls(server: Identity, client: Identity, reusedReads: boolean): Promise<void> {
  let received = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const tlsServer = tls.createServer({ minVersion: "TLSv1.3", key: server.keyPem, cert: server.certPem, ca: [server.caPem], requestCert: true }, (socket) => {
    const count = (chunk: Uint8Array): void => {
      received += chunk.length;
      if (received === totalMiB * RECORD_BYTES) done();
    };
    if (!reusedReads || !readIntoReusedBuffer(socket, Buffer.allocUnsafeSlow(64 * 1024), count)) socket.on("data", count);
  });
  tlsServer.listen(0, "127.0.0.1");
  await once(tlsServer, "listening");
  const socket = tls.connect({ host: "127.0.0.1", port: (tlsServer.address() as AddressInfo).port, ca: [client.caPem], cert: client.certPem, key: client.keyPem, checkServerIdentity: () => undefined });
  await once(socket, "secureConnect");
  const buffer = new Uint8Array(RECORD_BYTES).fill(7);
  const started = start();
  for (let i = 0; i < totalMiB; i++) if (!socket.write(buffer)) await once(socket, "drain");
  await finished;
  report(`plain TLS socket writes of 1 MiB, ${reusedReads ? "reads into one buffer" : "data events"}`, received, started);
  socket.destroy();
  tlsServer.close();
}

/** Connection records; `slow` makes the handler asynchronous (a promise per record). */
async function records(server: Identity, client: Identity, asyncHandler: boolean): Promise<void> {
  let received = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const listener = await listenTls({ host: "127.0.0.1", port: 0, identity: server, accept: ["client"] }, (conn) => {
    const count = (record: Uint8Array): void => {
      received += record.length;
      if (received === totalMiB * RECORD_BYTES) done();
    };
    conn.onRecord(asyncHandler ? (record) => Promise.resolve().then(() => count(record)) : count);
  });
  const conn = await connectTls({ host: "127.0.0.1", port: listener.port, identity: client, expect: "node" });
  const started = start();
  // One buffer sent again and again, as the plain case does: sendRecord does not copy, and the
  // content does not matter here (a real sender hands over a new sealed record each time).
  const record = new Uint8Array(RECORD_BYTES).fill(7);
  for (let i = 0; i < totalMiB; i++) await conn.sendRecord(record);
  await finished;
  report(`Connection records, ${asyncHandler ? "async" : "sync"} handler`, received, started);
  await conn.close();
  await listener.close();
}

const pki = await testPki("bench CA");
const [node, client] = await Promise.all([pki.issue("node", "n1"), pki.issue("client", "c1")]);
console.log(`# transfer bench: ${totalMiB} MiB of 1 MiB records over loopback TLS 1.3, both ends in one process (node ${process.version})`);
// Rounds interleave the cases, so that a noisy neighbour hurts them alike; the best round counts.
for (let round = 0; round < ROUNDS; round++) {
  await plainTls(node, client, false);
  await plainTls(node, client, true);
  await records(node, client, false);
  await records(node, client, true);
}
for (const [name, rounds] of results) {
  const best = Math.max(...rounds.map((r) => r.rate));
  const cpu = Math.min(...rounds.map((r) => r.cpuPerMiB));
  const all = rounds.map((r) => r.rate.toFixed(0)).join(", ");
  console.log(`${name.padEnd(40)} best ${best.toFixed(0).padStart(5)} MB/s  ${cpu.toFixed(0).padStart(5)} µs CPU/MiB   (MB/s by round: ${all})`);
}
