import { constants } from "node:fs";
import { reserveHeadroom } from "../format/index.js";
import { posix } from "./posix.js";

/**
 * Block memory for files written with O_DIRECT, around the page cache: on the machines measured
 * the kernel's copy of written data into its cache (and the reclaim after) cost more CPU than
 * reel's own work on a block (bench/RESULTS.md). O_DIRECT asks for buffers at aligned addresses;
 * JavaScript cannot ask for an address, so each block gets memory one alignment larger than the
 * block and sits at its first aligned address, found with the native addon. One block per
 * allocation keeps the zero-copy path to and from the packing thread: a block's memory moves
 * between threads as a whole (a slab cut into blocks could only move all at once).
 */

/** The address and size alignment O_DIRECT asks of every buffer (a page: enough for any device). */
export const DIRECT_ALIGNMENT = 4096;

/** True when files may be written with O_DIRECT here: the flag exists and the addon finds addresses. */
export const canWriteDirect = constants.O_DIRECT !== undefined && typeof posix.alignmentOffset === "function";

/** True when `block` starts at an aligned address. */
export function isAligned(block: Uint8Array): boolean {
  return canWriteDirect && posix.alignmentOffset(block, DIRECT_ALIGNMENT) === 0;
}

/**
 * How the memory of blocks of one size is laid out: each block alone in its ArrayBuffer, at the
 * start of it (`aligned` false) or at its first aligned address (`aligned` true, the memory then
 * being one alignment larger), or `headroom` bytes after its start, those kept free for a carrier's
 * header (headroom.ts). Memory of `memorySize` bytes, and only that, can be reused.
 */
export class BlockMemory {
  readonly size: number;
  readonly aligned: boolean;
  readonly headroom: number;
  readonly memorySize: number;

  constructor(size: number, aligned: boolean, headroom = 0) {
    this.size = size;
    this.aligned = aligned && canWriteDirect;
    this.headroom = this.aligned ? 0 : headroom;
    this.memorySize = this.aligned ? size + DIRECT_ALIGNMENT : size + this.headroom;
  }

  /** A block of new (uninitialised) memory. */
  allocate(): Buffer {
    return this.view(Buffer.allocUnsafeSlow(this.memorySize).buffer);
  }

  /** The block that lives in `memory` (an ArrayBuffer of `memorySize` bytes). */
  view(memory: ArrayBuffer): Buffer {
    const whole = Buffer.from(memory);
    if (this.headroom > 0) {
      const view = whole.subarray(this.headroom);
      reserveHeadroom(view);
      return view;
    }
    if (!this.aligned) return whole;
    const offset = posix.alignmentOffset(whole, DIRECT_ALIGNMENT);
    return whole.subarray(offset, offset + this.size);
  }

  /** True when `memory` can hold a block (so may be kept for reuse). */
  fits(memory: ArrayBufferLike): memory is ArrayBuffer {
    return memory instanceof ArrayBuffer && memory.byteLength === this.memorySize;
  }
}
