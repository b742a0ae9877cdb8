/**
 * @module transfer
 * The wire between server, storage nodes and client agents (docs/protocol.md): framing
 * (wire/, PURE), the private CA and enrollment, mutual TLS connections, and the node and
 * client services that run streams between client/ and media/. Imports ../client, ../media,
 * ../format and ../errors.
 */
export * from "./address.js";
export * from "./client-service.js";
export * from "./connection.js";
export * from "./enroll.js";
export * from "./index-rows.js";
export type * from "./messages.js";
export * from "./node-service.js";
export * from "./pki.js";
export type * from "./placement.js";
export * from "./service-errors.js";
export * from "./tls.js";
