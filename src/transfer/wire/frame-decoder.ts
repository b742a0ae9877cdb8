import type { ReelError } from "../../errors/index.js";
import { wireError } from "./errors.js";
import { FRAME_HEADER_BYTES, FrameType, isFrameType, MAX_FRAME_PAYLOAD_BYTES, type Frame, type WireMessage } from "./frame.js";
import { decodeUtf8 } from "./utf8.js";

/**
 * Splits a byte stream into frames (docs/protocol.md §2), whatever the chunking: frames may be
 * split across pushes or several may share one.
 *
 * Ownership:
 * 1. `push(bytes)` hands `bytes` to the decoder: the caller must not write into them afterwards
 *    (socket chunks are fresh memory, so this holds for a `data` handler).
 * 2. A payload that lies wholly inside one pushed chunk is returned as a view of that chunk
 *    (no copy); a payload split across pushes is assembled into a new array of exactly its
 *    length. Either way the decoder never writes into a returned payload or returns it again,
 *    so the receiver owns it. A view keeps its whole chunk alive while the receiver holds it.
 *    With `reusedChunks` (a socket that reads every chunk into the same memory), the caller may
 *    write into a chunk once push() returned, so RECORD and BINARY payloads are always copied
 *    (MESSAGE payloads are parsed before push() returns).
 * 3. The decoder allocates at most one payload at a time, never more than
 *    MAX_FRAME_PAYLOAD_BYTES, and only after the header has passed its checks.
 *
 * A bad frame throws TRANSFER_BAD_FRAME naming its byte offset in the stream; the decoder is
 * then broken and throws the same error on every later push.
 */
export class FrameDecoder {
  readonly #header = new Uint8Array(FRAME_HEADER_BYTES);
  readonly #source: string;
  #headerFill = 0;
  #type: FrameType = FrameType.message;
  /** Payload length of the frame being read, or -1 while reading a header. */
  #length = -1;
  #payload: Uint8Array | null = null;
  #payloadFill = 0;
  /** Stream offset of the first byte of the current push. */
  #pushOffset = 0;
  /** Stream offset of the current frame's header. */
  #frameOffset = 0;
  #failure: ReelError | null = null;

  readonly #allocate: (length: number, type: FrameType) => Uint8Array;
  readonly #reusedChunks: boolean;

  /**
   * `source` names the peer in error messages, as in `from node "n1"`. `allocate` gives the
   * memory a split payload is assembled in (a pool, say; default: a new array); it must return
   * exactly `length` bytes that nobody else writes into until the receiver is done with them.
   */
  constructor(options: { source?: string; allocate?: (length: number, type: FrameType) => Uint8Array; reusedChunks?: boolean } = {}) {
    this.#source = options.source === undefined ? "" : ` ${options.source}`;
    this.#allocate = options.allocate ?? ((length) => new Uint8Array(length));
    this.#reusedChunks = options.reusedChunks ?? false;
  }

  /** Bytes of an unfinished frame held so far: non-zero when a stream ends mid-frame. */
  get bufferedBytes(): number {
    return this.#length < 0 ? this.#headerFill : FRAME_HEADER_BYTES + this.#payloadFill;
  }

  /** Stream offset of the next byte the decoder expects. */
  get offset(): number {
    return this.#pushOffset;
  }

  /** Decodes the frames that `bytes` completes, in order. */
  push(bytes: Uint8Array): Frame[] {
    if (this.#failure !== null) throw this.#failure;
    const frames: Frame[] = [];
    let at = 0;
    try {
      while (at < bytes.length) {
        at = this.#length < 0 ? this.#readHeader(bytes, at, frames) : this.#readPayload(bytes, at, frames);
      }
    } catch (error) {
      this.#failure = error as ReelError;
      this.#payload = null;
      throw error;
    }
    this.#pushOffset += bytes.length;
    return frames;
  }

  #readHeader(bytes: Uint8Array, at: number, frames: Frame[]): number {
    if (this.#headerFill === 0) this.#frameOffset = this.#pushOffset + at;
    let view: DataView;
    let next: number;
    if (this.#headerFill === 0 && bytes.length - at >= FRAME_HEADER_BYTES) {
      view = new DataView(bytes.buffer, bytes.byteOffset + at, FRAME_HEADER_BYTES);
      next = at + FRAME_HEADER_BYTES;
    } else {
      const take = Math.min(FRAME_HEADER_BYTES - this.#headerFill, bytes.length - at);
      this.#header.set(bytes.subarray(at, at + take), this.#headerFill);
      this.#headerFill += take;
      next = at + take;
      if (this.#headerFill < FRAME_HEADER_BYTES) return next;
      view = new DataView(this.#header.buffer);
    }
    this.#headerFill = 0;
    this.#startFrame(view);
    if (this.#length === 0) this.#finish(new Uint8Array(0), frames);
    return next;
  }

  /** Checks a complete header (docs/protocol.md §2.1) and prepares for its payload. */
  #startFrame(view: DataView): void {
    const length = view.getUint32(0, true);
    const type = view.getUint8(4);
    if (!isFrameType(type)) this.#fail(`unknown frame type ${type}`, { type });
    if (view.getUint8(5) !== 0 || view.getUint16(6, true) !== 0) this.#fail("reserved header bytes are not zero");
    if (length > MAX_FRAME_PAYLOAD_BYTES) this.#fail(`payload of ${length} bytes exceeds the limit of ${MAX_FRAME_PAYLOAD_BYTES}`, { length });
    this.#type = type;
    this.#length = length;
    this.#payloadFill = 0;
  }

  #readPayload(bytes: Uint8Array, at: number, frames: Frame[]): number {
    const available = bytes.length - at;
    if (this.#payload === null && available >= this.#length) {
      const end = at + this.#length;
      let payload = bytes.subarray(at, end);
      if (this.#reusedChunks && this.#type !== FrameType.message) {
        payload = this.#allocate(this.#length, this.#type);
        payload.set(bytes.subarray(at, end));
      }
      this.#finish(payload, frames);
      return end;
    }
    this.#payload ??= this.#allocate(this.#length, this.#type);
    const take = Math.min(this.#length - this.#payloadFill, available);
    this.#payload.set(bytes.subarray(at, at + take), this.#payloadFill);
    this.#payloadFill += take;
    if (this.#payloadFill === this.#length) {
      const payload = this.#payload;
      this.#payload = null;
      this.#finish(payload, frames);
    }
    return at + take;
  }

  #finish(payload: Uint8Array, frames: Frame[]): void {
    this.#length = -1;
    this.#payloadFill = 0;
    switch (this.#type) {
      case FrameType.message:
        frames.push({ kind: "message", message: this.#parseMessage(payload) });
        break;
      case FrameType.record:
        frames.push({ kind: "record", payload });
        break;
      case FrameType.binary:
        frames.push({ kind: "binary", payload });
        break;
    }
  }

  #parseMessage(payload: Uint8Array): WireMessage {
    let value: unknown;
    try {
      value = JSON.parse(decodeUtf8(payload));
    } catch (error) {
      this.#fail(`a message is not valid UTF-8 JSON: ${(error as Error).message}`, {}, error);
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) this.#fail("a message is not a JSON object");
    const message = value as Record<string, unknown>;
    if (typeof message["type"] !== "string") this.#fail("a message has no string `type`");
    for (const field of ["id", "re"]) {
      const number = message[field];
      if (number !== undefined && !(Number.isSafeInteger(number) && (number as number) >= 0)) this.#fail(`a message's \`${field}\` is not a non-negative integer`);
    }
    return message as WireMessage;
  }

  #fail(reason: string, details: Record<string, unknown> = {}, cause?: unknown): never {
    throw wireError("TRANSFER_BAD_FRAME", `Cannot read the frame at byte ${this.#frameOffset}${this.#source}: ${reason}`, { offset: this.#frameOffset, ...details }, cause);
  }
}
