/**
 * @module transfer
 * The wire between client agents, nodes and the server (docs/protocol.md): framing (wire/, PURE),
 * the private CA's certificates, mutual TLS, framed connections and enrollment, plus the
 * messages and services built on them. May import ../client, ../media, ../format and ../errors
 * (docs/architecture.md); wire/ imports only ../../errors.
 */
export * from "./wire/index.js";
export { type TransferErrorCode } from "./errors.js";
export { type SerializedError } from "./remote-error.js";
export {
  type Authority,
  type ComponentKind,
  createAuthority,
  createKeyAndRequest,
  fingerprintOf,
  identityOf,
  identityUri,
  isComponentName,
  signRequest,
} from "./pki.js";
export { type BytesHandler, Connection, type MessageHandler, type Peer, PROTOCOL_VERSION } from "./connection.js";
export { connectTls, type Identity, type Listener, listenTls } from "./tls.js";
export { ENROLL_PATH, enroll, type EnrollOptions } from "./enroll.js";
export { loadIdentity, saveIdentity, type SavedIdentity } from "./identity-files.js";
// Messages and services on top of the connection (written alongside; see their files).
export type * from "./messages.js";
export * from "./index-rows.js";
export type * from "./placement.js";
export * from "./address.js";
export * from "./service-errors.js";
export * from "./node-service.js";
export * from "./client-service.js";
export type { CommandResult } from "./client-commands.js";
