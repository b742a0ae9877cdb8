import { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { HEADROOM_BYTES, headroomOf, reserveHeadroom } from "../format/index.js";
import { BugError, isReelError, type ReelError } from "../errors/index.js";
import { reasonOf, transferError } from "./errors.js";
import type { ComponentKind } from "./pki.js";
import { deserializeError, serializeError } from "./remote-error.js";
import { canReadIntoReusedBuffer, readIntoReusedBuffer } from "./reused-reads.js";
import {
  checkPayloadLength,
  encodeFrame,
  encodeFrameHeader,
  encodeMessage,
  FRAME_HEADER_BYTES,
  type Frame,
  FrameDecoder,
  FrameType,
  type WireMessage,
  writeFrameHeader,
} from "./wire/index.js";

/** Who is at the other end of a connection, from its verified certificate. */
export interface Peer {
  kind: ComponentKind;
  name: string;
  /** SHA-256 of the peer certificate's DER, 64 hex digits. */
  fingerprint: string;
}

export type MessageHandler = (message: WireMessage) => void | Promise<void>;
export type BytesHandler = (bytes: Uint8Array) => void | Promise<void>;

/** The version of docs/protocol.md this code speaks; sent in `transfer.ready`. */
export const PROTOCOL_VERSION = 1;

/** Payloads up to this size are copied behind their header and written once; larger ones are written after it, uncopied. */
const COPY_LIMIT_BYTES = 64 * 1024;

interface PendingRequest {
  type: string;
  resolve(message: WireMessage): void;
  reject(error: Error): void;
}

const RESOLVED = Promise.resolve();
const ignore = (): void => undefined;

/** A rejected promise that is already marked as handled, so that a caller who drops it does not crash the process. */
function rejected(error: unknown): Promise<never> {
  const promise = Promise.reject(error instanceof Error ? error : new Error(String(error)));
  promise.catch(ignore);
  return promise;
}

/**
 * A framed connection (docs/protocol.md §4) over any Duplex: a TLS socket in production, a
 * plain net.Socket in tests.
 *
 * Invariants:
 * 1. Received frames are handled in the order they arrived, replies included: a reply settles its
 *    request only after every frame before it was handled. So a handler must not await a request
 *    on its own connection (start it and return), or it waits for a reply queued behind itself.
 * 2. While a handler's promise is pending and the next frame has arrived, or while the next frame
 *    has no handler yet, the socket is paused: TCP flow control then slows the sender
 *    (backpressure). So at most one waiting frame and one socket chunk are held. Handlers set
 *    before the first frame arrives see every frame.
 * 3. `send*` resolve at once while the socket's write buffer is under its high-water mark, else
 *    on `drain`; a RECORD or BINARY payload over 64 KiB is not copied, and its send resolves once
 *    the socket has taken it: the caller may reuse its memory then, not before. They reject with
 *    TRANSFER_PEER_CLOSED once the connection has ended.
 * 4. `closed` resolves once: after the socket has closed and the frames received before a clean
 *    end were handled. Pending requests reject when the socket closes.
 * 5. A handler that throws answers its request with the error when the message had an `id`;
 *    otherwise the connection is aborted with that error (`transfer.abort`).
 */
/** What a socket reads goes into one buffer of this size (a TLS socket reads 16 KiB at a time). */
const READ_BUFFER_BYTES = 64 * 1024;
/** Records are assembled in buffers of at least this size, and this many are kept for reuse. */
const RECORD_MEMORY_BYTES = 1024 * 1024 + 64 * 1024;
const RECORD_POOL_SIZE = 4;

export class Connection {
  readonly peer: Peer | null;
  readonly closed: Promise<Error | null>;
  /**
   * Resolves when the listener's `transfer.ready` arrives (docs/protocol.md §4.1): meaningful on
   * the connector's side only (connectTls awaits it); rejects when the connection ends first.
   */
  readonly ready: Promise<void>;
  readonly #socket: Duplex;
  readonly #decoder: FrameDecoder;
  readonly #describe: string;
  #queue: Array<Frame | undefined> = [];
  #head = 0;
  #busy = false;
  #onMessage: MessageHandler | undefined;
  #onRecord: BytesHandler | undefined;
  #onBinary: BytesHandler | undefined;
  readonly #pending = new Map<number, PendingRequest>();
  #nextId = 1;
  #drain: { promise: Promise<void>; resolve(): void; reject(error: Error): void } | null = null;
  /** Set when this side chose to end: close() (null), destroy(error?) or abort(error). */
  #localEnd: { error: Error | null } | null = null;
  #remoteError: ReelError | null = null;
  #socketError: Error | null = null;
  #socketClosed = false;
  #result: Error | null = null;
  #resolveClosed!: (error: Error | null) => void;
  #readyState!: { resolve(): void; reject(error: Error): void };

  /** `remote` names the other end in messages when there is no verified peer ("127.0.0.1:4000"). */
  /** Memory for assembling records, reused once their handler settled (opt-in: reuseRecordMemory). */
  readonly #recordPool: ArrayBuffer[];
  #assembled: Set<Uint8Array> | null;

  constructor(socket: Duplex, options: { peer?: Peer | null; remote?: string } = {}) {
    this.#socket = socket;
    this.peer = options.peer ?? null;
    this.#describe = this.peer !== null ? `${this.peer.kind} "${this.peer.name}"` : `peer ${options.remote ?? "(unnamed)"}`;
    this.#recordPool = [];
    this.#assembled = null;
    // A socket reads into one reused buffer where it can (reused-reads.ts), else it emits `data`.
    const reused = socket instanceof Socket && canReadIntoReusedBuffer(socket);
    this.#decoder = new FrameDecoder({ source: `from ${this.#describe}`, allocate: (length, type) => this.#allocate(length, type), reusedChunks: reused });
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.ready = new Promise<void>((resolve, reject) => (this.#readyState = { resolve, reject }));
    this.ready.catch(ignore);
    socket.on("error", (error: Error) => (this.#socketError ??= error));
    socket.on("close", () => this.#onClose());
    socket.on("drain", () => this.#settleDrain(null));
    // Last: data the socket already holds is handled at once, by a connection that is whole.
    if (!(reused && readIntoReusedBuffer(socket, Buffer.allocUnsafeSlow(READ_BUFFER_BYTES), (chunk) => this.#onData(chunk)))) {
      socket.on("data", (chunk: Uint8Array) => this.#onData(chunk));
    }
  }

  /** Names the other end for messages: `node "n1"`. */
  get description(): string {
    return this.#describe;
  }

  /** Sends a MESSAGE frame. See invariant 3 for when it resolves. */
  send(message: { type: string; [field: string]: unknown }): Promise<void> {
    let frame: Uint8Array;
    try {
      frame = encodeMessage(message);
    } catch (error) {
      return rejected(error);
    }
    return this.#write(frame);
  }

  /** Sends a RECORD frame (one sealed record of a saveset stream). Await it: backpressure; a large record's memory may be reused once it resolves. */
  sendRecord(record: Uint8Array): Promise<void> {
    return this.#writeFrame(FrameType.record, record);
  }

  /** Sends a BINARY frame. Await it: backpressure. */
  sendBinary(bytes: Uint8Array): Promise<void> {
    return this.#writeFrame(FrameType.binary, bytes);
  }

  /**
   * Sends `message` with a new `id` and resolves with the reply (the MESSAGE with `re: id`).
   * An error reply rejects with a ReelError of the peer's code; the end of the connection
   * rejects with TRANSFER_PEER_CLOSED (or the peer's abort error).
   */
  request<T>(message: { type: string; [field: string]: unknown }): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { type: message.type, resolve: resolve as (message: WireMessage) => void, reject });
      this.send({ ...message, id }).catch((error: Error) => {
        this.#pending.delete(id);
        reject(error);
      });
    });
  }

  /** Answers a request: sends `{ type: "reply", ...body, re: to.id }`. */
  reply(to: { id: number }, body: object): Promise<void> {
    if (!Number.isSafeInteger(to.id)) return rejected(new BugError(`reply to a message without a numeric id (${typeof to.id})`));
    return this.send({ type: "reply", ...body, re: to.id });
  }

  /** Answers a request with an error: `{ type: "error", re, error: { code, message, details } }`. */
  replyError(to: { id: number }, error: unknown): Promise<void> {
    if (!Number.isSafeInteger(to.id)) return rejected(new BugError(`error reply to a message without a numeric id (${typeof to.id})`));
    return this.send({ type: "error", re: to.id, error: serializeError(error) });
  }

  /** Sets the handler of MESSAGE frames that are not replies (one handler; a later call replaces it). */
  onMessage(handler: MessageHandler): void {
    this.#onMessage = handler;
    this.#pump();
  }

  /** Sets the handler of RECORD frames. The socket is paused while its promise is pending. */
  onRecord(handler: BytesHandler): void {
    this.#onRecord = handler;
    this.#pump();
  }

  /** Sets the handler of BINARY frames. The socket is paused while its promise is pending. */
  onBinary(handler: BytesHandler): void {
    this.#onBinary = handler;
    this.#pump();
  }

  /** Ends the connection gracefully: writes what is buffered, then closes; resolves when closed. */
  async close(): Promise<void> {
    if (this.#localEnd === null) this.#localEnd = { error: null };
    this.#discardInput();
    this.#socket.end();
    await this.closed;
  }

  /** Closes at once, dropping buffered data; `closed` resolves with `error`, or null without one. */
  destroy(error?: Error): void {
    if (this.#localEnd === null) this.#localEnd = { error: error ?? null };
    this.#socket.destroy();
  }

  /**
   * Tells the peer why this side gives up (a `transfer.abort` message carrying the error), then
   * ends the connection; `closed` resolves with `error`, and the peer's with its wire form.
   */
  abort(error: unknown): void {
    const local = error instanceof Error ? error : new Error(String(error));
    if (this.#localEnd === null) this.#localEnd = { error: local };
    this.#discardInput();
    if (this.#socket.writable) this.#socket.end(encodeMessage({ type: "transfer.abort", error: serializeError(error) }));
    else this.#socket.destroy();
  }

  #writeFrame(type: FrameType, payload: Uint8Array): Promise<void> {
    try {
      checkPayloadLength(payload.length, `a frame to ${this.#describe}`);
    } catch (error) {
      return rejected(error);
    }
    if (payload.length <= COPY_LIMIT_BYTES) return this.#write(encodeFrame(type, payload));
    if (!this.#isWritable()) return rejected(this.#closedError("cannot send more"));
    // The header written into the free bytes in front of the payload (headroom.ts): one piece to
    // write, which a TLS socket encrypts as it is (two pieces it first copies into new memory).
    if (headroomOf(payload) >= FRAME_HEADER_BYTES) {
      const frame = new Uint8Array(payload.buffer, payload.byteOffset - FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + payload.length);
      writeFrameHeader(frame, 0, type, payload.length);
      return this.#writeTaken(frame);
    }
    // Header and payload as two corked writes, written together in one writev: measured with
    // bench/transfer.ts, this costs less CPU than copying them into one array here, and less than
    // two separate writes (an 8-byte TLS record and a loop turn each). Both writes happen in this
    // synchronous call, so no other frame can come between them.
    return this.#writeTaken(payload, encodeFrameHeader(type, payload.length));
  }

  /**
   * Writes `bytes` (after `header`, corked with it, when given) and resolves once the socket has
   * taken them (encrypted or written out), so the caller may reuse the memory then: no copy here,
   * and the wait is backpressure as well.
   */
  #writeTaken(bytes: Uint8Array, header?: Uint8Array): Promise<void> {
    const taken = new Promise<void>((resolve, reject) => {
      if (header !== undefined) {
        this.#socket.cork();
        this.#socket.write(header);
      }
      this.#socket.write(bytes, (error) => (error === null || error === undefined ? resolve() : reject(this.#closedError("cannot send more"))));
      if (header !== undefined) this.#socket.uncork();
    });
    taken.catch(ignore);
    return taken;
  }

  #isWritable(): boolean {
    return this.#localEnd === null && !this.#socketClosed && this.#socket.writable;
  }

  #write(bytes: Uint8Array): Promise<void> {
    if (!this.#isWritable()) return rejected(this.#closedError("cannot send more"));
    if (this.#socket.write(bytes)) return RESOLVED;
    if (this.#drain === null) {
      let settle!: { resolve(): void; reject(error: Error): void };
      const promise = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
      promise.catch(ignore);
      this.#drain = { promise, ...settle };
    }
    return this.#drain.promise;
  }

  #settleDrain(error: Error | null): void {
    const drain = this.#drain;
    this.#drain = null;
    if (drain === null) return;
    if (error === null) drain.resolve();
    else drain.reject(error);
  }

  #onData(chunk: Uint8Array): void {
    if (this.#localEnd !== null) return;
    let frames: Frame[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (error) {
      this.destroy(error as Error);
      return;
    }
    for (const frame of frames) {
      if (frame.kind === "message" && frame.message.type.startsWith("transfer.") && this.#control(frame.message)) continue;
      this.#queue.push(frame);
    }
    this.#pump();
  }

  /** Handles the reserved `transfer.*` messages (docs/protocol.md §4.1); false for others. */
  #control(message: WireMessage): boolean {
    if (message.type === "transfer.ready") {
      if (message["protocol"] !== PROTOCOL_VERSION) {
        this.destroy(transferError("TRANSFER_PROTOCOL", `Cannot talk to ${this.#describe}: it speaks protocol version ${String(message["protocol"])}, this reel speaks ${PROTOCOL_VERSION}`));
      } else this.#readyState.resolve();
      return true;
    }
    if (message.type === "transfer.abort") {
      this.#remoteError ??= deserializeError(message["error"], this.#describe);
      return true;
    }
    return false;
  }

  /** Runs handlers for queued frames in order; see invariants 1 and 2. */
  #pump(): void {
    while (!this.#busy && this.#head < this.#queue.length) {
      const frame = this.#queue[this.#head]!;
      const handler = this.#handlerFor(frame);
      if (handler === undefined) {
        if (!this.#socketClosed) break;
        this.#queue[this.#head++] = undefined; // nobody will ever handle it: the connection is over
        continue;
      }
      this.#queue[this.#head++] = undefined;
      this.#run(frame, handler);
    }
    if (this.#head === this.#queue.length && this.#head > 0) {
      this.#queue = [];
      this.#head = 0;
    }
    // Read on while a handler runs, but stop once a whole frame waits for it: that bounds what is
    // held to one frame and one chunk, and a promise that settles at once costs no pause.
    const waiting = this.#queue.length > 0;
    if (!waiting && this.#socket.isPaused()) this.#socket.resume();
    else if (waiting && !this.#socket.isPaused()) this.#socket.pause();
    if (!waiting && !this.#busy && this.#socketClosed) this.#resolveClosed(this.#result);
  }

  /**
   * From now on, records split across socket chunks are assembled in reused memory: a record
   * passed to the record handler is valid only until the handler's promise settles (the handler
   * must copy what it keeps). Saves allocating, zeroing and collecting a buffer per record.
   */
  reuseRecordMemory(): void {
    this.#assembled ??= new Set();
  }

  #allocate(length: number, type: FrameType): Uint8Array {
    // Assembled payloads are written whole before anyone reads them: no need to zero them first.
    if (this.#assembled === null || type !== FrameType.record) return Buffer.allocUnsafeSlow(length);
    const pool = this.#recordPool;
    let memory = pool.pop();
    if (memory === undefined || memory.byteLength < HEADROOM_BYTES + length) memory = Buffer.allocUnsafeSlow(HEADROOM_BYTES + Math.max(length, RECORD_MEMORY_BYTES)).buffer;
    // Behind free bytes (format/headroom.ts): a record forwarded to the next stage goes with its frame header in front.
    const record = new Uint8Array(memory, HEADROOM_BYTES, length);
    reserveHeadroom(record);
    this.#assembled.add(record);
    return record;
  }

  #release(payload: Uint8Array): void {
    if (this.#assembled === null || !this.#assembled.delete(payload)) return;
    const pool = this.#recordPool;
    if (pool.length < RECORD_POOL_SIZE) pool.push(payload.buffer as ArrayBuffer);
  }

  #handlerFor(frame: Frame): (() => void | Promise<void>) | undefined {
    switch (frame.kind) {
      case "message": {
        const message = frame.message;
        if (typeof message["re"] === "number") return () => this.#settleReply(message);
        const handler = this.#onMessage;
        return handler === undefined ? undefined : () => handler(message);
      }
      case "record": {
        const handler = this.#onRecord;
        if (handler === undefined) return undefined;
        if (this.#assembled === null) return () => handler(frame.payload);
        return () => {
          const result = handler(frame.payload);
          if (result === undefined || typeof (result as { then?: unknown }).then !== "function") return this.#release(frame.payload);
          return (result).finally(() => this.#release(frame.payload));
        };
      }
      case "binary": {
        const handler = this.#onBinary;
        return handler === undefined ? undefined : () => handler(frame.payload);
      }
    }
  }

  #run(frame: Frame, handler: () => void | Promise<void>): void {
    let result: void | Promise<void>;
    try {
      result = handler();
    } catch (error) {
      this.#handlerFailed(frame, error);
      return;
    }
    if (result === undefined || typeof (result as { then?: unknown }).then !== "function") return;
    this.#busy = true;
    result.then(
      () => {
        this.#busy = false;
        this.#pump();
      },
      (error: unknown) => {
        this.#busy = false;
        this.#handlerFailed(frame, error);
        this.#pump();
      },
    );
  }

  #handlerFailed(frame: Frame, error: unknown): void {
    const id = frame.kind === "message" ? frame.message["id"] : undefined;
    if (typeof id === "number") this.replyError({ id }, error).catch(ignore);
    else this.abort(error);
  }

  #settleReply(message: WireMessage): void {
    const id = message["re"] as number;
    const pending = this.#pending.get(id);
    if (pending === undefined) {
      this.destroy(transferError("TRANSFER_PROTOCOL", `Cannot match a reply from ${this.#describe}: no request ${id} is waiting for one`, { id }));
      return;
    }
    this.#pending.delete(id);
    if (message["error"] !== undefined && message.type === "error") pending.reject(deserializeError(message["error"], this.#describe));
    else pending.resolve(message);
  }

  /** After close() or abort(): keep reading so that the peer's end arrives, but handle nothing more. */
  #discardInput(): void {
    this.#queue = [];
    this.#head = 0;
    this.#socket.resume();
  }

  #onClose(): void {
    this.#socketClosed = true;
    const failure = this.#failure();
    this.#result = failure;
    if (failure !== null) {
      this.#queue = [];
      this.#head = 0;
    }
    const ended = this.#closedError("the connection ended");
    const reason = this.#remoteError ?? ended;
    for (const pending of this.#pending.values()) {
      pending.reject(
        this.#remoteError ?? transferError("TRANSFER_PEER_CLOSED", `Connection to ${this.#describe} closed before it answered "${pending.type}"`, { peer: this.#describe }, failure ?? undefined),
      );
    }
    this.#pending.clear();
    this.#settleDrain(reason);
    this.#readyState.reject(failure ?? ended);
    this.#pump();
  }

  /** Why the connection ended, or null for a clean end (see `closed`). */
  #failure(): Error | null {
    if (this.#localEnd !== null) return this.#localEnd.error;
    if (this.#remoteError !== null) return this.#remoteError;
    const error = this.#socketError;
    const buffered = this.#decoder.bufferedBytes;
    if (buffered > 0) {
      const where = `${buffered} bytes of it at byte ${this.#decoder.offset - buffered}`;
      const message = `Connection to ${this.#describe} closed in the middle of a frame (${where})${error === null ? "" : `: ${reasonOf(error)}`}`;
      return transferError("TRANSFER_PEER_CLOSED", message, { peer: this.#describe }, error ?? undefined);
    }
    if (error === null) return null;
    if (isReelError(error)) return error;
    return transferError("TRANSFER_PEER_CLOSED", `Connection to ${this.#describe} failed: ${reasonOf(error)}`, { peer: this.#describe }, error);
  }

  #closedError(what: string): ReelError {
    return transferError("TRANSFER_PEER_CLOSED", `Cannot use the connection to ${this.#describe}: ${what}`, { peer: this.#describe });
  }
}
