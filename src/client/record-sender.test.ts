import assert from "node:assert/strict";
import { test } from "node:test";
import { RecordSender } from "./record-sender.js";

/** A send whose calls resolve only when the test says so. */
function controlledSend(): { send: (r: Uint8Array) => Promise<void>; calls: Uint8Array[]; release: () => void } {
  const calls: Uint8Array[] = [];
  const pending: Array<() => void> = [];
  return {
    calls,
    send: (r) => {
      calls.push(r);
      return new Promise<void>((resolve) => pending.push(resolve));
    },
    release: () => pending.shift()?.(),
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test("RecordSender sends one record at a time, in order, recycles each after its send resolved, and is busy above its limit", async () => {
  const s = controlledSend();
  const recycled: ArrayBufferLike[] = [];
  const sender = new RecordSender(s.send, (m) => recycled.push(m), 12);
  const records = [new Uint8Array(6), new Uint8Array(6), new Uint8Array(6)];
  for (const r of records) sender.put(r);
  assert.equal(sender.isBusy, true);
  await tick();
  assert.deepEqual(s.calls, [records[0]], "one send pending at a time");
  let isReady = false;
  const ready = sender.ready().then(() => (isReady = true));
  s.release();
  await tick();
  assert.deepEqual(recycled, [records[0]!.buffer]);
  assert.equal(isReady, true, "12 bytes queued: not above the limit any more");
  await ready;
  const drained = sender.drain();
  s.release();
  await tick();
  s.release();
  await drained;
  assert.deepEqual(s.calls, records);
  assert.equal(sender.sent, 3);
});

test("RecordSender stops at the first failed send (or abort): nothing more goes out, put and drain throw it", async () => {
  let calls = 0;
  const sender = new RecordSender(() => (++calls === 2 ? Promise.reject(new Error("reset")) : Promise.resolve()), () => {});
  for (let i = 0; i < 5; i++) sender.put(new Uint8Array(1));
  await assert.rejects(sender.drain(), /reset/);
  assert.equal(calls, 2);
  assert.throws(() => sender.put(new Uint8Array(1)), /reset/);

  const s = controlledSend();
  const aborted = new RecordSender(s.send, () => {});
  aborted.put(new Uint8Array(1));
  aborted.put(new Uint8Array(1));
  await tick();
  aborted.abort(new Error("gave up"));
  s.release();
  await tick();
  assert.equal(s.calls.length, 1, "the queued record is dropped");
  await assert.rejects(aborted.ready(), /gave up/);
});
