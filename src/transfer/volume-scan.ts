/**
 * `media.scan` on a node: what a drive's volumes hold, from the media alone (docs/protocol.md
 * §Media). Every block header is read and checked; the blocks of each stream are gathered into
 * copies (a stream may span volumes, and the same stream may lie on a drive more than once: a
 * copy per pool, and a new copy where its stream offsets start over), each with its extents and
 * segments, and the HEAD record of each copy is read for its descriptor.
 */
import { BLOCK_FLAG_END_OF_STREAM, BlockKind, type Codecs, decodeHead, idFromString, RecordType, type StreamHead } from "../format/index.js";
import { type Drive, readStreamRecords, scanVolume } from "../media/index.js";
import type { MediaScanReply, ScannedStream, ScannedVolume } from "./messages.js";
import { hexOf } from "./volume-check.js";

/** One intact block of a stream, where it lies. */
interface StreamBlock {
  label: string;
  block: number;
  streamOffset: number;
  payloadLength: number;
  isEnd: boolean;
}

interface VolumeBlocks {
  volume: ScannedVolume;
  /** Per stream id, its blocks on the volume in block order. */
  streams: Map<string, StreamBlock[]>;
}

export async function scanDrive(drive: Drive, labels: readonly string[] | undefined, codecs: Codecs): Promise<MediaScanReply> {
  const reply: MediaScanReply = { volumes: [], streams: [], unreadable: [] };
  const read: VolumeBlocks[] = [];
  for (const label of labels ?? (await drive.listVolumes())) {
    try {
      const volume = await readVolume(drive, label, codecs);
      if (volume === null) reply.unreadable.push({ label, reason: "its label block is damaged or not a label" });
      else read.push(volume);
    } catch (error) {
      reply.unreadable.push({ label, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  // Volumes in the order they were labelled: a stream that spans volumes goes on in the next one.
  read.sort((a, b) => a.volume.createdAt.localeCompare(b.volume.createdAt) || a.volume.label.localeCompare(b.volume.label));
  reply.volumes = read.map((v) => v.volume);
  for (const copy of gatherCopies(read)) reply.streams.push(await describeCopy(drive, copy, codecs));
  return reply;
}

async function readVolume(drive: Drive, label: string, codecs: Codecs): Promise<VolumeBlocks | null> {
  const streams = new Map<string, StreamBlock[]>();
  let labelBlock: { mediumId: string; blockSize: number } | null = null;
  const scan = await scanVolume({
    drive, label, codecs,
    onBlock: ({ block, header }) => {
      if (header === null) return;
      if (block === 0 && header.kind === BlockKind.label) labelBlock = { mediumId: hexOf(header.mediumId), blockSize: header.blockSize };
      if (header.kind !== BlockKind.stream) return;
      const stream = hexOf(header.streamId);
      const blocks = streams.get(stream) ?? [];
      blocks.push({ label, block, streamOffset: header.streamOffset, payloadLength: header.payloadLength, isEnd: (header.flags & BLOCK_FLAG_END_OF_STREAM) !== 0 });
      streams.set(stream, blocks);
    },
  });
  const found = labelBlock as { mediumId: string; blockSize: number } | null;
  if (scan.label === null || found === null) return null;
  return {
    volume: { label: scan.label.label, mediumId: found.mediumId, pool: scan.label.pool, createdAt: scan.label.createdAt, blockSize: found.blockSize, blocks: scan.blocks, damaged: scan.damaged },
    streams,
  };
}

interface CopyBlocks {
  stream: string;
  pool: string | null;
  blocks: StreamBlock[];
}

/** Splits each stream's blocks into copies: one per pool, and a new one where the stream starts over. */
function gatherCopies(volumes: readonly VolumeBlocks[]): CopyBlocks[] {
  const done: CopyBlocks[] = [];
  const open = new Map<string, CopyBlocks>();
  for (const { volume, streams } of volumes) {
    for (const [stream, blocks] of streams) {
      const key = `${stream}/${volume.pool ?? ""}`;
      for (const block of blocks) {
        let copy = open.get(key);
        const last = copy?.blocks.at(-1);
        if (copy === undefined || (last !== undefined && block.streamOffset <= last.streamOffset)) {
          if (copy !== undefined) done.push(copy);
          copy = { stream, pool: volume.pool, blocks: [] };
          open.set(key, copy);
        }
        copy.blocks.push(block);
      }
    }
  }
  return [...done, ...open.values()];
}

/** A copy's placement from its blocks (stream order), and its HEAD. */
async function describeCopy(drive: Drive, copy: CopyBlocks, codecs: Codecs): Promise<ScannedStream> {
  const described: ScannedStream = { stream: copy.stream, pool: copy.pool, head: null, hasEnd: false, bytes: 0, segments: [], extents: [] };
  for (const b of copy.blocks) {
    const extent = described.extents.at(-1);
    const continues = extent !== undefined && extent.label === b.label && extent.firstBlock + extent.blockCount === b.block && described.bytes === b.streamOffset;
    if (continues) extent.blockCount++;
    else described.extents.push({ label: b.label, firstBlock: b.block, blockCount: 1, streamOffset: b.streamOffset });
    const segment = described.segments.at(-1);
    if (segment !== undefined && segment.label === b.label) segment.lastBlock = b.block;
    else described.segments.push({ label: b.label, firstBlock: b.block, lastBlock: b.block, streamOffset: b.streamOffset });
    described.bytes = b.streamOffset + b.payloadLength;
    if (b.isEnd) described.hasEnd = true;
  }
  if (copy.blocks[0]?.streamOffset === 0) {
    const head = await readHead(drive, copy.stream, described.extents, codecs);
    if (head !== null) described.head = { createdAt: head.createdAt, descriptor: head.descriptor, compression: head.compression, isEncrypted: head.encryption !== null };
  }
  return described;
}

/** The HEAD record (format.md §4.2) of a stream, or null when it is lost or unreadable. */
async function readHead(drive: Drive, stream: string, extents: ScannedStream["extents"], codecs: Codecs): Promise<StreamHead | null> {
  let head: StreamHead | null = null;
  await readStreamRecords({
    drive, streamId: idFromString(stream), extents, codecs, stopAtOffset: 1,
    onRecord: (record, header) => {
      if (header.type !== RecordType.head || header.sequence !== 0) return;
      try {
        head = decodeHead(record.subarray(24, 24 + header.storedLength));
      } catch {
        head = null;
      }
    },
    onLoss: () => undefined,
  });
  return head;
}
