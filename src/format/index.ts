/**
 * @module format
 * The reel media format (docs/format.md): pure encoding and decoding of media (blocks, labels)
 * and saveset streams (records, chunks, items, entries). No I/O, no node:* modules, no clock;
 * checksums, compression, encryption and hashing come in through the ports of codecs.ts.
 * Imports only ../errors.
 */
export * from "./block.js";
export * from "./block-packer.js";
export * from "./bytes.js";
export type * from "./codecs.js";
export { crc32c, crc32cAfterEdit, crc32cCombine } from "./crc32c.js";
export * from "./entry.js";
export * from "./errors.js";
export * from "./head.js";
export * from "./items.js";
export * from "./label.js";
export * from "./medium-scanner.js";
export * from "./record.js";
export * from "./record-assembler.js";
export * from "./record-sink.js";
export * from "./stream-decoder.js";
export * from "./stream-encoder.js";
export * from "./stream-ledger.js";
export * from "./trailer.js";
export * from "./headroom.js";
