/**
 * @module transfer/wire
 * Framing of the reel wire protocol (docs/protocol.md §2): frame headers, MESSAGE/RECORD/BINARY
 * frames and a decoder for a byte stream. PURE: Uint8Array and DataView only, no node:* modules,
 * no Buffer, clock or randomness. Imports only ../../errors.
 */
export * from "./errors.js";
export * from "./frame.js";
export { FrameDecoder } from "./frame-decoder.js";
