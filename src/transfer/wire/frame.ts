import { BugError } from "../../errors/index.js";
import { wireError } from "./errors.js";
import { encodeUtf8 } from "./utf8.js";

/** Bytes of a frame header (docs/protocol.md §2.1): u32 LE payload length, u8 type, 3 zero bytes. */
export const FRAME_HEADER_BYTES = 8;

/** The largest payload a frame may carry: 32 MiB. A record is at most ~1 MiB plus headers. */
export const MAX_FRAME_PAYLOAD_BYTES = 32 * 1024 * 1024;

/** Frame type bytes (docs/protocol.md §2.2). */
export const FrameType = {
  /** UTF-8 JSON object with a string `type` field. */
  message: 1,
  /** One sealed record of a saveset stream, opaque bytes. */
  record: 2,
  /** Other opaque bytes, such as a batch of file-index rows. */
  binary: 3,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/**
 * A MESSAGE frame's payload: a JSON object with a string `type`. `id` (a request) and `re` (a
 * reply to request `re`) are reserved: when present they are non-negative safe integers.
 */
export interface WireMessage {
  type: string;
  id?: number;
  re?: number;
  [field: string]: unknown;
}

/**
 * One decoded frame. The payload of a RECORD or BINARY frame belongs to whoever receives the
 * frame: the decoder never writes into it or hands it out again (see FrameDecoder).
 */
export type Frame =
  | { kind: "message"; message: WireMessage }
  | { kind: "record"; payload: Uint8Array }
  | { kind: "binary"; payload: Uint8Array };

/** Tells whether a byte is a frame type this version knows. */
export function isFrameType(value: number): value is FrameType {
  return value === FrameType.message || value === FrameType.record || value === FrameType.binary;
}

/** Throws TRANSFER_TOO_LARGE when a payload of `length` bytes may not be sent in one frame. */
export function checkPayloadLength(length: number, what: string): void {
  if (length > MAX_FRAME_PAYLOAD_BYTES) {
    throw wireError(
      "TRANSFER_TOO_LARGE",
      `Cannot send ${what}: ${length} bytes exceed the frame limit of ${MAX_FRAME_PAYLOAD_BYTES} bytes`,
      { length, limit: MAX_FRAME_PAYLOAD_BYTES },
    );
  }
}

/** Writes a frame header into `target` at `offset`. */
export function writeFrameHeader(target: Uint8Array, offset: number, type: FrameType, length: number): void {
  if (!isFrameType(type) || !Number.isInteger(length) || length < 0) throw new BugError(`bad frame header: type ${type}, length ${length}`);
  const view = new DataView(target.buffer, target.byteOffset + offset, FRAME_HEADER_BYTES);
  view.setUint32(0, length, true);
  view.setUint8(4, type);
  view.setUint8(5, 0);
  view.setUint16(6, 0, true);
}

/**
 * Encodes the 8-byte header of a frame whose payload of `length` bytes the caller sends next.
 * Throws TRANSFER_TOO_LARGE above MAX_FRAME_PAYLOAD_BYTES.
 */
export function encodeFrameHeader(type: FrameType, length: number): Uint8Array {
  checkPayloadLength(length, `a frame of type ${type}`);
  const header = new Uint8Array(FRAME_HEADER_BYTES);
  writeFrameHeader(header, 0, type, length);
  return header;
}

/**
 * Encodes a whole MESSAGE frame (header and JSON payload) in one new array.
 * Throws TRANSFER_TOO_LARGE when the JSON exceeds the frame limit; a message without a string
 * `type`, or one JSON cannot encode, is a bug of the caller.
 */
export function encodeMessage(message: object): Uint8Array {
  const type = (message as { type?: unknown }).type;
  if (typeof type !== "string") throw new BugError("a message needs a string `type`");
  const payload = encodeUtf8(JSON.stringify(message));
  checkPayloadLength(payload.length, `message "${type}"`);
  const frame = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  writeFrameHeader(frame, 0, FrameType.message, payload.length);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

/** Encodes a whole RECORD or BINARY frame in one new array (a copy of `payload`: for small payloads). */
export function encodeFrame(type: FrameType, payload: Uint8Array): Uint8Array {
  checkPayloadLength(payload.length, `a frame of type ${type}`);
  const frame = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  writeFrameHeader(frame, 0, type, payload.length);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}
