import { copyOf, getU64, setU64, viewOf } from "./bytes.js";
import { formatError } from "./errors.js";

// format.md §4.3
export const TRAILER_SIZE = 64;
export const NO_INDEX = Number.MAX_SAFE_INTEGER; // stands for 0xFFFFFFFFFFFFFFFF in memory

export interface StreamTrailer {
  recordCount: number;
  entryCount: number;
  dataBytes: number;
  /** Stream offset of the first index chunk, or NO_INDEX. */
  indexOffset: number;
  digest: Uint8Array;
}

export function encodeTrailer(trailer: StreamTrailer): Uint8Array {
  const out = new Uint8Array(TRAILER_SIZE);
  const view = viewOf(out);
  setU64(view, 0, trailer.recordCount);
  setU64(view, 8, trailer.entryCount);
  setU64(view, 16, trailer.dataBytes);
  if (trailer.indexOffset === NO_INDEX) {
    view.setUint32(24, 0xffffffff, true);
    view.setUint32(28, 0xffffffff, true);
  } else {
    setU64(view, 24, trailer.indexOffset);
  }
  out.set(trailer.digest, 32);
  return out;
}

export function decodeTrailer(body: Uint8Array): StreamTrailer {
  if (body.length !== TRAILER_SIZE) throw formatError("FORMAT_MALFORMED", `Cannot read the stream trailer: ${body.length} bytes instead of ${TRAILER_SIZE}`);
  const view = viewOf(body);
  const noIndex = view.getUint32(24, true) === 0xffffffff && view.getUint32(28, true) === 0xffffffff;
  const indexHigh = view.getUint32(28, true);
  if (!noIndex && indexHigh > 0x1fffff) throw formatError("FORMAT_TOO_LARGE", "Cannot read the stream trailer: index offset exceeds 2^53");
  return {
    recordCount: getU64(view, 0),
    entryCount: getU64(view, 8),
    dataBytes: getU64(view, 16),
    indexOffset: noIndex ? NO_INDEX : getU64(view, 24),
    digest: copyOf(body.subarray(32, 64)),
  };
}
