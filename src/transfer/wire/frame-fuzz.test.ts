import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { isReelError } from "../../errors/index.js";
import { FrameDecoder } from "./frame-decoder.js";
import { encodeFrame, encodeMessage, type Frame, FRAME_HEADER_BYTES, FrameType, MAX_FRAME_PAYLOAD_BYTES } from "./frame.js";

/** Pushes every chunk; returns the frames, or the error the decoder threw. */
function decodeAll(chunks: Uint8Array[]): { frames: Frame[]; error: unknown } {
  const decoder = new FrameDecoder();
  const frames: Frame[] = [];
  try {
    for (const chunk of chunks) {
      frames.push(...decoder.push(chunk));
      assert.ok(decoder.bufferedBytes <= FRAME_HEADER_BYTES + MAX_FRAME_PAYLOAD_BYTES);
    }
  } catch (error) {
    return { frames, error };
  }
  return { frames, error: null };
}

/** Cuts `bytes` at the given positions. */
function cut(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(from, point));
    from = point;
  }
  return chunks;
}

/** Byte chunks that often start like a frame header, so that the fuzzing reaches payloads. */
const headerish = fc.tuple(fc.integer({ min: 0, max: 4096 }), fc.integer({ min: 0, max: 4 }), fc.uint8Array({ maxLength: 600 })).map(([length, type, rest]) => {
  const bytes = new Uint8Array(8 + rest.length);
  new DataView(bytes.buffer).setUint32(0, length, true);
  bytes[4] = type;
  bytes.set(rest, 8);
  return bytes;
});

test("FrameDecoder on arbitrary byte chunks returns frames or throws a TRANSFER_ ReelError, nothing else", () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.uint8Array({ maxLength: 300 }), headerish), { maxLength: 12 }), (chunks) => {
      const { frames, error } = decodeAll(chunks);
      if (error !== null) assert.ok(isReelError(error) && error.code.startsWith("TRANSFER_"), `not a TRANSFER_ ReelError: ${error instanceof Error ? error.stack : typeof error}`);
      for (const frame of frames) {
        if (frame.kind === "message") assert.equal(typeof frame.message.type, "string");
        else assert.ok(frame.payload.length <= MAX_FRAME_PAYLOAD_BYTES);
      }
    }),
    { numRuns: 2000 },
  );
});

const frameArbitrary: fc.Arbitrary<Frame> = fc.oneof(
  fc.record({ kind: fc.constant("message" as const), message: fc.record({ type: fc.string(), note: fc.string({ unit: "grapheme" }), n: fc.integer() }) }),
  fc.record({ kind: fc.constant("record" as const), payload: fc.uint8Array({ maxLength: 2000 }) }),
  fc.record({ kind: fc.constant("binary" as const), payload: fc.uint8Array({ maxLength: 50 }) }),
);

test("FrameDecoder decodes any sequence of frames, however the stream is cut", () => {
  fc.assert(
    fc.property(fc.array(frameArbitrary, { maxLength: 10 }), fc.array(fc.nat(), { maxLength: 20 }), (frames, cuts) => {
      const encoded = frames.map((frame) => (frame.kind === "message" ? encodeMessage(frame.message) : encodeFrame(frame.kind === "record" ? FrameType.record : FrameType.binary, frame.payload)));
      const stream = new Uint8Array(encoded.reduce((n, e) => n + e.length, 0));
      let at = 0;
      for (const part of encoded) {
        stream.set(part, at);
        at += part.length;
      }
      const decoded = decodeAll(cut(stream, cuts));
      assert.equal(decoded.error, null);
      // fast-check builds null-prototype records; compare them as the plain objects JSON makes.
      assert.deepEqual(decoded.frames, frames.map((frame) => (frame.kind === "message" ? { ...frame, message: JSON.parse(JSON.stringify(frame.message)) } : { ...frame })));
    }),
    { numRuns: 500 },
  );
});
