import { type BlockHeader, BlockKind, type Codecs, decodeLabel, type MediumLabel, openBlock } from "../format/index.js";
import type { Drive } from "./drive.js";

const READ_BYTES = 4 * 1024 * 1024;

export interface VolumeBlockInfo {
  /** Its number, from its position on the volume. */
  block: number;
  /** False for a damaged block (format.md §3.4); its header is then null. */
  ok: boolean;
  header: BlockHeader | null;
}

export interface ScanVolumeResult {
  /** The label, or null when block 0 is damaged or not a label. */
  label: MediumLabel | null;
  /** Blocks on the volume, the label included. */
  blocks: number;
  damaged: number;
}

/**
 * Scans a whole volume front to back in large reads: the label, then every block's header,
 * checking every checksum (for `reel media check` and `scan`). Throws
 * FORMAT_UNSUPPORTED_VERSION for a block of a newer format (a reader must not guess).
 */
export async function scanVolume(o: { drive: Drive; label: string; codecs: Codecs; onBlock: (info: VolumeBlockInfo) => void }): Promise<ScanVolumeResult> {
  const volume = await o.drive.openVolume(o.label);
  let label: MediumLabel | null = null;
  let damaged = 0;
  try {
    const perRead = Math.max(1, Math.floor(READ_BYTES / volume.blockSize));
    for (let at = 0; at < volume.blockCount; at += perRead) {
      const blocks = await volume.readBlocks(at, perRead);
      blocks.forEach((block, i) => {
        const check = openBlock(block, o.codecs.checksum);
        if (!check.ok) damaged++;
        const header = check.ok ? check.header : null;
        if (at + i === 0 && check.ok && header?.kind === BlockKind.label) label = labelOf(check.payload);
        o.onBlock({ block: at + i, ok: check.ok, header });
      });
      if (blocks.length === 0) break;
    }
  } finally {
    await volume.close();
  }
  return { label, blocks: volume.blockCount, damaged };
}

function labelOf(payload: Uint8Array): MediumLabel | null {
  try {
    return decodeLabel(payload);
  } catch {
    return null;
  }
}
