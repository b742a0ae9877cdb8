import assert from "node:assert/strict";
import { test } from "node:test";
import { isReelError } from "../../errors/index.js";
import { FrameDecoder } from "./frame-decoder.js";
import { encodeFrame, encodeFrameHeader, encodeMessage, type Frame, FrameType, MAX_FRAME_PAYLOAD_BYTES } from "./frame.js";

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
const fromHex = (text: string): Uint8Array => Uint8Array.from(text.split(/\s+/).filter(Boolean), (h) => parseInt(h, 16));

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function expectBadFrame(bytes: Uint8Array, pattern: RegExp, offset: number): void {
  const decoder = new FrameDecoder({ source: "from node \"n1\"" });
  assert.throws(
    () => decoder.push(bytes),
    (error: unknown) => isReelError(error, "TRANSFER_BAD_FRAME") && pattern.test(error.message) && error.details["offset"] === offset,
  );
}

test("encodeFrameHeader() writes the header of docs/protocol.md §2.1 (golden bytes)", () => {
  assert.equal(hex(encodeFrameHeader(FrameType.record, 0x01020304)), "04 03 02 01 02 00 00 00");
  assert.equal(hex(encodeFrameHeader(FrameType.binary, 0)), "00 00 00 00 03 00 00 00");
  assert.throws(() => encodeFrameHeader(FrameType.record, MAX_FRAME_PAYLOAD_BYTES + 1), (e: unknown) => isReelError(e, "TRANSFER_TOO_LARGE"));
});

test("encodeMessage() writes one MESSAGE frame of UTF-8 JSON (golden bytes of docs/protocol.md §2.4)", () => {
  const frame = encodeMessage({ type: "ping", id: 7 });
  assert.equal(hex(frame), "16 00 00 00 01 00 00 00 7b 22 74 79 70 65 22 3a 22 70 69 6e 67 22 2c 22 69 64 22 3a 37 7d");
  assert.deepEqual(new FrameDecoder().push(frame), [{ kind: "message", message: { type: "ping", id: 7 } }]);
  assert.throws(() => encodeMessage({ kind: "no type" }), /string `type`/);
});

test("FrameDecoder decodes frames joined in one push and split at every byte", () => {
  const record = Uint8Array.from({ length: 300 }, (_, i) => i % 251);
  const stream = concat([
    encodeMessage({ type: "héllo ✓", list: [1, 2] }),
    encodeFrame(FrameType.record, record),
    encodeFrame(FrameType.binary, new Uint8Array(0)),
    encodeMessage({ type: "bye", re: 3 }),
  ]);
  const expected: Frame[] = [
    { kind: "message", message: { type: "héllo ✓", list: [1, 2] } },
    { kind: "record", payload: record },
    { kind: "binary", payload: new Uint8Array(0) },
    { kind: "message", message: { type: "bye", re: 3 } },
  ];
  assert.deepEqual(new FrameDecoder().push(stream), expected);
  for (const size of [1, 2, 3, 7, 8, 9, 64, 299]) {
    const decoder = new FrameDecoder();
    const frames: Frame[] = [];
    for (let at = 0; at < stream.length; at += size) frames.push(...decoder.push(stream.subarray(at, at + size)));
    assert.deepEqual(frames, expected, `chunks of ${size}`);
    assert.equal(decoder.bufferedBytes, 0);
    assert.equal(decoder.offset, stream.length);
  }
});

test("FrameDecoder returns payloads that later pushes never overwrite", () => {
  const decoder = new FrameDecoder();
  // Whole in one chunk: a view of the chunk, which the caller handed over.
  const chunk = encodeFrame(FrameType.record, fromHex("aa bb cc"));
  const [whole] = decoder.push(chunk) as [Frame & { kind: "record" }];
  assert.equal(whole.payload.buffer, chunk.buffer);
  // Split: assembled into its own array of exactly the payload length.
  const split = encodeFrame(FrameType.record, fromHex("01 02 03 04"));
  const reused = new Uint8Array(10);
  reused.set(split.subarray(0, 10));
  assert.deepEqual(decoder.push(reused), []);
  reused.fill(0xee); // the caller may not do this by contract; the held bytes must not be shared anyway
  const tail = split.slice(10);
  const [assembled] = decoder.push(tail) as [Frame & { kind: "record" }];
  assert.notEqual(assembled.payload.buffer, tail.buffer);
  assert.equal(assembled.payload.byteLength, assembled.payload.buffer.byteLength);
  assert.equal(hex(assembled.payload), "01 02 03 04");
  decoder.push(encodeFrame(FrameType.record, fromHex("ff ff ff ff")));
  assert.equal(hex(whole.payload), "aa bb cc");
  assert.equal(hex(assembled.payload), "01 02 03 04");
});

test("FrameDecoder with reusedChunks copies record and binary payloads out of the chunk; messages are parsed at once", () => {
  const decoder = new FrameDecoder({ reusedChunks: true });
  const reused = new Uint8Array(256);
  const fill = (bytes: Uint8Array): Uint8Array => {
    reused.fill(0);
    reused.set(bytes);
    return reused.subarray(0, bytes.length);
  };
  const [record, binary, message] = decoder.push(fill(Buffer.concat([
    encodeFrame(FrameType.record, fromHex("aa bb cc")),
    encodeFrame(FrameType.binary, fromHex("01 02")),
    encodeMessage({ type: "hello", n: 1 }),
  ]))) as [Frame & { kind: "record" }, Frame & { kind: "binary" }, Frame & { kind: "message" }];
  reused.fill(0xee); // the socket's next read
  assert.notEqual(record.payload.buffer, reused.buffer);
  assert.equal(hex(record.payload), "aa bb cc");
  assert.equal(hex(binary.payload), "01 02");
  assert.deepEqual(message.message, { type: "hello", n: 1 });
  assert.deepEqual(decoder.push(fill(encodeFrame(FrameType.record, new Uint8Array(0)))).length, 1);
});

test("FrameDecoder rejects bad frames with TRANSFER_BAD_FRAME naming the frame's byte offset", () => {
  const ok = encodeMessage({ type: "ok" });
  const at = ok.length;
  expectBadFrame(concat([ok, fromHex("00 00 00 00 09 00 00 00")]), /at byte 21 from node "n1": unknown frame type 9/, at);
  expectBadFrame(concat([ok, fromHex("00 00 00 00 02 01 00 00")]), /reserved header bytes/, at);
  expectBadFrame(concat([ok, encodeFrameHeader(FrameType.record, 0).fill(0xff, 0, 4)]), /exceeds the limit/, at);
  const message = (json: string): Uint8Array => {
    const payload = new Uint8Array(Array.from(json, (c) => c.charCodeAt(0)));
    return concat([ok, encodeFrameHeader(FrameType.message, payload.length), payload]);
  };
  expectBadFrame(message("{\"type\":"), /not valid UTF-8 JSON/, at);
  expectBadFrame(message("[1]"), /not a JSON object/, at);
  expectBadFrame(message("null"), /not a JSON object/, at);
  expectBadFrame(message("{\"kind\":\"x\"}"), /no string `type`/, at);
  expectBadFrame(message("{\"type\":1}"), /no string `type`/, at);
  expectBadFrame(message("{\"type\":\"x\",\"id\":-1}"), /`id` is not/, at);
  expectBadFrame(message("{\"type\":\"x\",\"re\":\"3\"}"), /`re` is not/, at);
  expectBadFrame(concat([ok, encodeFrameHeader(FrameType.message, 2), fromHex("c3 28")]), /UTF-8/, at);
  expectBadFrame(concat([ok, encodeFrameHeader(FrameType.message, 0)]), /JSON/, at);
});

test("FrameDecoder stays broken after a bad frame and checks the length before it allocates", () => {
  const decoder = new FrameDecoder();
  const tooLong = encodeFrameHeader(FrameType.binary, 0);
  new DataView(tooLong.buffer).setUint32(0, MAX_FRAME_PAYLOAD_BYTES + 1, true);
  assert.deepEqual(decoder.push(tooLong.subarray(0, 5)), []);
  assert.throws(() => decoder.push(tooLong.subarray(5)), /exceeds/);
  assert.throws(() => decoder.push(encodeMessage({ type: "ok" })), /exceeds/);

  const largest = new FrameDecoder();
  assert.deepEqual(largest.push(concat([encodeFrameHeader(FrameType.binary, MAX_FRAME_PAYLOAD_BYTES), new Uint8Array(1)])), []);
  assert.equal(largest.bufferedBytes, 9);
});
