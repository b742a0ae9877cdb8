import { Socket } from "node:net";

/**
 * Reads of a socket into one reused buffer.
 *
 * By default a TLS socket hands every record it decrypts (16 KiB at most) to JavaScript as a
 * fresh, zero-filled buffer, through the readable stream's `push` and a `data` event; at the
 * rates of a backup that allocation, its collection and the stream's bookkeeping cost as much
 * CPU as the decryption itself (bench/RESULTS.md: a TLS receiver of 2 GiB on loopback spent
 * 1.64 s of CPU with `data` events, 0.80 s with reads into one buffer; `bench/transfer.ts`).
 *
 * Node's sockets have that second mode, `onread` (a buffer that every read is copied into, and a
 * callback called with the number of bytes), but it is an option of `net.connect` and of
 * `tls.connect` without a `socket` only: a TLS socket a server accepted, or one built on a
 * connected socket, has no way to ask for it. The mode is three fields of the socket, which
 * `onread` sets and `onStreamRead` reads, and one call on its handle; this sets them on an open
 * socket. The fields are found by their names on a socket made with `onread` (they are symbols
 * private to Node); where they or the call are missing (another runtime, a later Node), nothing
 * changes and the socket keeps its `data` events.
 */

interface ReadModeFields {
  buffer: symbol;
  callback: symbol;
  generator: symbol;
}

let fields: ReadModeFields | null | undefined;

function readModeFields(): ReadModeFields | null {
  if (fields !== undefined) return fields;
  fields = null;
  try {
    // `onread` is a constructor option of net.Socket too, though Node's types list it for connect() only.
    const probe = new Socket({ onread: { buffer: Buffer.alloc(1), callback: () => true } } as ConstructorParameters<typeof Socket>[0]);
    const named = (description: string): symbol | undefined => Object.getOwnPropertySymbols(probe).find((s) => s.description === description);
    const buffer = named("kBuffer");
    const callback = named("kBufferCb");
    const generator = named("kBufferGen");
    const own = probe as unknown as Record<symbol, unknown>;
    if (buffer !== undefined && callback !== undefined && generator !== undefined && own[buffer] instanceof Uint8Array && typeof own[callback] === "function") {
      fields = { buffer, callback, generator };
    }
    probe.destroy();
  } catch {
    fields = null;
  }
  return fields;
}

type SocketHandle = { useUserBuffer?: (buffer: Uint8Array) => void } | null | undefined;

function handleOf(socket: Socket): SocketHandle {
  return (socket as unknown as { _handle?: SocketHandle })._handle;
}

/** Whether readIntoReusedBuffer() would switch `socket` (it changes nothing). */
export function canReadIntoReusedBuffer(socket: Socket): boolean {
  const f = readModeFields();
  const handle = handleOf(socket);
  if (f === null || handle === null || handle === undefined || typeof handle.useUserBuffer !== "function") return false;
  // A socket made without `onread` has the fields, empty; anything else is not the layout this knows.
  const own = socket as unknown as Record<symbol, unknown>;
  return own[f.buffer] === null && own[f.callback] === null;
}

/**
 * From now on, `socket` copies what it reads into `buffer` and calls `onRead` with a view of the
 * bytes read, valid only during the call; data the socket had already buffered comes first, in
 * this call. Returns false, changing nothing, where the runtime does not allow it: the caller
 * then reads `data` events. `pause()` and `resume()` keep working (they stop and start reading
 * on the handle); the end of the stream still comes as `end` and `close`.
 */
export function readIntoReusedBuffer(socket: Socket, buffer: Uint8Array, onRead: (bytes: Uint8Array) => void): boolean {
  const f = readModeFields();
  if (f === null || !canReadIntoReusedBuffer(socket) || buffer.length < 16 * 1024) return false;
  const own = socket as unknown as Record<symbol, unknown>;
  handleOf(socket)!.useUserBuffer!(buffer);
  own[f.buffer] = buffer;
  own[f.generator] = null;
  own[f.callback] = (nread: number): boolean => {
    onRead(buffer.subarray(0, nread));
    return true;
  };
  // Whatever the readable side had already taken in (nothing, usually: the peer speaks once it was accepted).
  for (let chunk = socket.read() as Buffer | null; chunk !== null; chunk = socket.read() as Buffer | null) onRead(chunk);
  return true;
}
