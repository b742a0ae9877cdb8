/**
 * `media.check` on a node: reads every block of one volume and checks every checksum
 * (format.md §3.4), counting the blocks of each stream (docs/protocol.md §Media).
 */
import { type Codecs } from "../format/index.js";
import { type Drive, scanVolume } from "../media/index.js";
import type { MediaCheckReply } from "./messages.js";

/** The most damaged block numbers a check names; the count is always whole. */
export const LISTED_DAMAGED_BLOCKS = 100;

export async function checkVolume(drive: Drive, label: string, codecs: Codecs): Promise<MediaCheckReply> {
  const damagedBlocks: number[] = [];
  const streams = new Map<string, number>();
  const scan = await scanVolume({
    drive, label, codecs,
    onBlock: (info) => {
      if (!info.ok) {
        if (damagedBlocks.length < LISTED_DAMAGED_BLOCKS) damagedBlocks.push(info.block);
        return;
      }
      if (info.block === 0 || info.header === null) return;
      const stream = hexOf(info.header.streamId);
      streams.set(stream, (streams.get(stream) ?? 0) + 1);
    },
  });
  return {
    label, blocks: scan.blocks, damaged: scan.damaged, damagedBlocks,
    isLabelOk: scan.label !== null && scan.label.label === label,
    streams: [...streams].map(([stream, blocks]) => ({ stream, blocks })),
  };
}

/** A stream or medium id as the catalog writes it: 32 lower-case hex digits. */
export function hexOf(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString("hex");
}
