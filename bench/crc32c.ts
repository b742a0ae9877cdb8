/**
 * CRC-32C throughput: the native addon's three-stream SSE4.2 loop (native/reel_posix.c) against
 * @node-rs/crc32, on 1 MiB, 64 KiB and 16 KiB buffers (GB/s) and per call on 48 bytes (ns),
 * median of 5 rounds each.
 *
 *   npm run build && node dist/bench/crc32c.js
 */
import { crc32c as nodeRs } from "@node-rs/crc32";
import { posix } from "../src/client/posix.js";

const data = new Uint8Array(1 << 20);
for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

/** Nanoseconds per call of fn over `bytes` bytes, `calls` times. */
function time(fn: (data: Uint8Array, previous: number) => number, bytes: number, calls: number): number {
  const slice = data.subarray(0, bytes);
  let crc = 0;
  for (let i = 0; i < Math.min(calls, 1000); i++) crc = fn(slice, crc);
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) crc = fn(slice, crc);
  const ns = Number(process.hrtime.bigint() - start) / calls;
  if (crc === -1) console.log("impossible");
  return ns;
}

const candidates: Array<[string, (data: Uint8Array, previous: number) => number]> = [["@node-rs/crc32", nodeRs]];
if (posix.crc32c !== undefined) candidates.unshift(["addon (3 streams, SSE4.2)", posix.crc32c]);
else console.log("the addon has no crc32c on this CPU (no SSE4.2): only @node-rs/crc32 is measured");

console.log("| implementation | 1 MiB GB/s | 64 KiB GB/s | 16 KiB GB/s | 48 B ns/call |");
console.log("|---|---|---|---|---|");
for (const [name, fn] of candidates) {
  const rate = (bytes: number, calls: number): string => (bytes / median(Array.from({ length: 5 }, () => time(fn, bytes, calls)))).toFixed(1);
  const small = median(Array.from({ length: 5 }, () => time(fn, 48, 200_000))).toFixed(0);
  console.log(`| ${name} | ${rate(1 << 20, 1024)} | ${rate(1 << 16, 16384)} | ${rate(1 << 14, 65536)} | ${small} |`);
}
