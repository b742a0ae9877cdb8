/**
 * Memory with free bytes in front of a buffer, where whoever carries the buffer may write its own
 * header and send header and buffer as one piece. A TLS socket given two pieces copies them both
 * into fresh memory before it encrypts (Node's TLSWrap writes one buffer as it is, several by
 * joining them): for a 1 MiB record that copy and the fresh pages cost more than the encryption's
 * own copy (bench/RESULTS.md).
 *
 * Invariant: a buffer registered with `reserveHeadroom` owns the bytes of its memory before it
 * for as long as it is in use; nothing else lies there.
 */

/** The free bytes kept in front of record memory: enough for any carrier's header. */
export const HEADROOM_BYTES = 16;

/** Where the registered buffer of each memory starts. */
const starts = new WeakMap<ArrayBufferLike, number>();

/** Marks `buffer` as having the bytes of its memory before it free (see the invariant). */
export function reserveHeadroom(buffer: Uint8Array): void {
  starts.set(buffer.buffer, buffer.byteOffset);
}

/** The free bytes in front of `buffer`: 0 unless it starts where a buffer with headroom was registered. */
export function headroomOf(buffer: Uint8Array): number {
  return starts.get(buffer.buffer) === buffer.byteOffset ? buffer.byteOffset : 0;
}
