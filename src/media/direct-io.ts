/**
 * Writing volumes around the page cache (O_DIRECT): the data goes from the block buffers to the
 * disk, without the kernel copying it into its cache first — on the machines measured that copy
 * cost more CPU than everything reel does to a block (bench/RESULTS.md, mirror chains). O_DIRECT
 * needs buffers at aligned addresses: block memory is cut from slabs at a 4096-byte boundary,
 * found with the native addon (native/reel_posix.c `alignmentOffset`). Without the addon, or on a
 * file system that refuses O_DIRECT (tmpfs), volumes are written through the cache as before.
 */
import { constants, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The address and size alignment O_DIRECT asks of every buffer (a page: enough for any device). */
export const DIRECT_ALIGNMENT = 4096;

type AlignmentOffset = (buffer: Uint8Array, alignment: number) => number;

function loadAlignmentOffset(): AlignmentOffset | null {
  if (constants.O_DIRECT === undefined) return null;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "build", "Release", "reel_posix.node");
    if (existsSync(candidate)) {
      try {
        const addon = createRequire(import.meta.url)(candidate) as { alignmentOffset?: AlignmentOffset };
        return typeof addon.alignmentOffset === "function" ? addon.alignmentOffset : null;
      } catch {
        return null;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

const alignmentOffset = loadAlignmentOffset();

/** True when volumes may be written with O_DIRECT here (the flag exists and aligned memory can be had). */
export const canWriteDirect = alignmentOffset !== null && process.env["REEL_NO_DIRECT_IO"] !== "1";

/** The flags to open a volume file for direct reading (like "r", plus O_DIRECT). */
export const DIRECT_READ_FLAGS = constants.O_RDONLY | (constants.O_DIRECT ?? 0);

/** The flags to create a new volume file for direct writing (like "wx", plus O_DIRECT). */
export const DIRECT_CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_DIRECT ?? 0);

/** True when `block` starts at an aligned address. */
export function isAligned(block: Uint8Array): boolean {
  return alignmentOffset !== null && alignmentOffset(block, DIRECT_ALIGNMENT) === 0;
}

/** `count` buffers of `size` bytes (a multiple of the alignment) at aligned addresses, cut from one allocation. */
export function alignedBlocks(count: number, size: number): Uint8Array[] {
  const slab = Buffer.allocUnsafeSlow(count * size + DIRECT_ALIGNMENT);
  const offset = alignmentOffset === null ? 0 : alignmentOffset(slab, DIRECT_ALIGNMENT);
  const blocks: Uint8Array[] = [];
  for (let i = 0; i < count; i++) blocks.push(slab.subarray(offset + i * size, offset + (i + 1) * size));
  return blocks;
}
