/**
 * Mutual TLS between reel components (docs/protocol.md §3, §4.1): TLS 1.3 only, both sides
 * present a certificate of the server's private CA, and the CA is the only trust anchor. Host
 * names are not checked: the identity that matters is the SAN URI `reel:<kind>:<name>`.
 */
import type { Socket } from "node:net";
import { isIP } from "node:net";
import * as tls from "node:tls";
import { isReelError, type ReelError } from "../errors/index.js";
import { Connection, type Peer, PROTOCOL_VERSION } from "./connection.js";
import { reasonOf, transferError } from "./errors.js";
import { type ComponentKind, fingerprintOf, identityOf } from "./pki.js";

/** What a component needs to speak mutual TLS: the CA certificate, its certificate and its key (PEM). */
export interface Identity {
  caPem: string;
  certPem: string;
  keyPem: string;
}

export interface Listener {
  /** The port listened on (the chosen one when asked for port 0). */
  port: number;
  /** Stops listening and destroys every connection it accepted. */
  close(): Promise<void>;
}

const TLS_VERSION = { minVersion: "TLSv1.3", maxVersion: "TLSv1.3" } as const;

/**
 * Listens for mutual-TLS connections. A peer must present a certificate of `identity.caPem`
 * (requestCert + rejectUnauthorized) whose identity kind is in `accept`; any other peer is
 * refused with a `transfer.abort` (TRANSFER_REJECTED) and a line to `log`. An accepted peer is
 * sent `transfer.ready`, then handed to `onConnection`, which should set its handlers at once.
 * Throws TRANSFER_LISTEN_FAILED when the address cannot be bound.
 */
export async function listenTls(
  o: { host: string; port: number; identity: Identity; accept: ComponentKind[]; log?: (line: string) => void },
  onConnection: (conn: Connection, peer: Peer) => void,
): Promise<Listener> {
  const log = o.log ?? ((line: string) => console.warn(line));
  const sockets = new Set<Socket>();
  const remotes = new WeakMap<Socket, string>();
  const server = withIdentity(o.identity, () =>
    tls.createServer({ ...TLS_VERSION, key: o.identity.keyPem, cert: o.identity.certPem, ca: [o.identity.caPem], requestCert: true, rejectUnauthorized: true }),
  );
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    remotes.set(socket, remoteOf(socket));
    socket.once("close", () => sockets.delete(socket));
  });
  server.on("tlsClientError", (error: Error, socket: tls.TLSSocket) => {
    // A client certificate that fails verification ends the handshake without an error of its
    // own (Node destroys the socket); the reason is in authorizationError.
    const parent = (socket as unknown as { _parent?: Socket })._parent;
    const remote = parent === undefined ? remoteOf(socket) : (remotes.get(parent) ?? remoteOf(socket));
    // Typed as an Error, but Node sets the OpenSSL code string here.
    const rejected = socket.authorizationError as unknown;
    const reason = typeof rejected === "string" ? `its certificate does not verify against this CA (${rejected})` : reasonOf(error);
    log(`Refused a TLS connection from ${remote}: ${reason}`);
  });
  server.on("secureConnection", (socket: tls.TLSSocket) => {
    const peer = peerOf(socket);
    if (peer === null || !o.accept.includes(peer.kind)) {
      const who = peer === null ? "a certificate without a reel identity" : `${peer.kind} "${peer.name}"`;
      const reason = `this listener accepts ${o.accept.join(" and ")} certificates only, and ${remoteOf(socket)} presented ${who}`;
      log(`Refused a connection: ${reason}`);
      new Connection(socket, { remote: remoteOf(socket) }).abort(transferError("TRANSFER_REJECTED", `Connection refused: ${reason}`, { accept: o.accept }));
      return;
    }
    const conn = new Connection(socket, { peer });
    conn.send({ type: "transfer.ready", protocol: PROTOCOL_VERSION }).catch(() => undefined);
    try {
      onConnection(conn, peer);
    } catch (error) {
      // Thrown in a socket event it would take the process down; it ends this connection only.
      log(`Dropped the connection of ${peer.kind} "${peer.name}": ${reasonOf(error)}`);
      conn.abort(error);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error) => reject(transferError("TRANSFER_LISTEN_FAILED", `Cannot listen on ${o.host}:${o.port}: ${reasonOf(error)}`, { host: o.host, port: o.port }, error)));
    server.listen(o.port, o.host, () => resolve());
  });
  server.on("error", (error) => log(`Listener on ${o.host}:${o.port} failed: ${reasonOf(error)}`));
  const address = server.address();
  return {
    port: typeof address === "object" && address !== null ? address.port : o.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/**
 * Connects with mutual TLS and resolves once the listener has accepted this side (its
 * `transfer.ready` arrived). The server's certificate must chain to `identity.caPem` and carry
 * the identity kind `expect` (and `name`, when given); its host name is not checked, since the
 * private CA is pinned (docs/protocol.md §3.3). Rejects with TRANSFER_CONNECT_FAILED (no TCP or
 * TLS connection, including a server certificate that does not verify), TRANSFER_WRONG_PEER (a
 * verified certificate of another identity) or TRANSFER_REJECTED (the listener refused this
 * side's certificate). `signal` aborts the attempt, for a caller that wants a timeout.
 */
export async function connectTls(o: {
  host: string;
  port: number;
  identity: Identity;
  expect: ComponentKind;
  name?: string;
  signal?: AbortSignal;
}): Promise<Connection> {
  const target = `${o.expect}${o.name === undefined ? "" : ` "${o.name}"`} at ${o.host}:${o.port}`;
  const socket = await handshake(o, target);
  const peer = peerOf(socket);
  if (peer === null || peer.kind !== o.expect || (o.name !== undefined && peer.name !== o.name)) {
    socket.destroy();
    const found = peer === null ? "a certificate without a reel identity" : `the certificate of ${peer.kind} "${peer.name}"`;
    throw transferError("TRANSFER_WRONG_PEER", `Cannot connect to ${target}: it presented ${found}`, { host: o.host, port: o.port, found: peer });
  }
  const conn = new Connection(socket, { peer });
  try {
    await conn.ready;
  } catch {
    throw refusal(await conn.closed, target);
  }
  return conn;
}

function handshake(o: { host: string; port: number; identity: Identity; signal?: AbortSignal }, target: string): Promise<tls.TLSSocket> {
  return new Promise<tls.TLSSocket>((resolve, reject) => {
    const socket = withIdentity(o.identity, () => tls.connect({
      ...TLS_VERSION,
      host: o.host,
      port: o.port,
      ...(isIP(o.host) === 0 ? { servername: o.host } : {}),
      ca: [o.identity.caPem],
      cert: o.identity.certPem,
      key: o.identity.keyPem,
      rejectUnauthorized: true,
      // The private CA is the only trust anchor and the identity is checked from the SAN URI.
      checkServerIdentity: () => undefined,
    }));
    const onAbort = (): void => {
      socket.destroy(transferError("TRANSFER_CONNECT_FAILED", `Cannot connect to ${target}: the attempt was aborted`));
    };
    const onError = (error: Error): void => {
      o.signal?.removeEventListener("abort", onAbort);
      reject(isReelError(error) ? error : transferError("TRANSFER_CONNECT_FAILED", `Cannot connect to ${target}: ${reasonOf(error)}`, { host: o.host, port: o.port }, error));
    };
    if (o.signal?.aborted === true) onAbort();
    o.signal?.addEventListener("abort", onAbort, { once: true });
    socket.once("error", onError);
    socket.once("secureConnect", () => {
      // onError stays attached: an error before the Connection takes over must not go unheard.
      o.signal?.removeEventListener("abort", onAbort);
      resolve(socket);
    });
  });
}

/** Runs a TLS constructor, turning Node's errors about unusable PEM text into TRANSFER_BAD_IDENTITY. */
function withIdentity<T>(identity: Identity, make: () => T): T {
  try {
    return make();
  } catch (error) {
    const has = `${identity.caPem.length > 0 ? "a" : "no"} CA, ${identity.certPem.length > 0 ? "a" : "no"} certificate, ${identity.keyPem.length > 0 ? "a" : "no"} key`;
    throw transferError("TRANSFER_BAD_IDENTITY", `Cannot use this identity for TLS (${has}): ${reasonOf(error)}`, {}, error);
  }
}

/** The error for a connection that closed before the listener's `transfer.ready`. */
function refusal(reason: Error | null, target: string): ReelError {
  if (isReelError(reason) && reason.code !== "TRANSFER_PEER_CLOSED") return reason;
  const why = reason === null ? "" : ` (${reasonOf(reason.cause ?? reason)})`;
  return transferError(
    "TRANSFER_REJECTED",
    `Cannot connect to ${target}: it closed the connection before accepting this side${why}; was this side's certificate issued by its CA?`,
    {},
    reason ?? undefined,
  );
}

/** The verified peer of a TLS socket, or null when its certificate carries no reel identity. */
function peerOf(socket: tls.TLSSocket): Peer | null {
  const cert = socket.getPeerCertificate();
  if (!socket.authorized || cert === null || cert.raw === undefined) return null;
  const identity = identityOf(cert.raw);
  return identity === null ? null : { ...identity, fingerprint: fingerprintOf(cert.raw) };
}

function remoteOf(socket: Socket): string {
  return socket.remoteAddress === undefined ? "an unknown address" : `${socket.remoteAddress}:${socket.remotePort}`;
}
