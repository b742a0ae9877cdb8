/**
 * `media.scan.read` on a node: decodes one stream from its blocks and turns its ENTRY and
 * DELETED items into file-index rows, the rows a client sends during a backup (docs/protocol.md
 * §Media). What the stream does not hold is filled in so that the catalog stays usable: ctime is
 * 0 (a later incremental then reads every file again, which is safe), and the inode is a hash of
 * the path, a hard link taking its target's (so that a restore of the link brings its file).
 */
import { type Codecs, copyOf, type Entry, EntryType, type EntryLocation, idFromString, StreamDecoder, type TrailerCheck } from "../format/index.js";
import { type Drive, readStreamRecords } from "../media/index.js";
import { type WireIndexRow } from "./index-rows.js";
import type { MediaScanReadReply } from "./messages.js";
import type { WireExtent } from "./placement.js";

/** Rows per BINARY frame. */
const ROWS_PER_FRAME = 4096;

export interface IndexStreamOptions {
  drive: Drive;
  stream: string;
  extents: WireExtent[];
  codecs: Codecs;
  /** Takes a batch of rows, in stream order; awaited. */
  send: (rows: WireIndexRow[]) => Promise<void>;
}

export async function indexStream(o: IndexStreamOptions): Promise<MediaScanReadReply> {
  let rows: WireIndexRow[] = [];
  let sent = 0;
  let entries = 0;
  let dataBytes = 0;
  let trailer: TrailerCheck | null = null;
  const losses: string[] = [];
  const inodeOf = pathHasher(o.codecs);
  const decoder = new StreamDecoder(
    {
      // Encrypted chunks cannot be read without the passphrase (a node never has it): no rows then.
      head: () => null,
      entry: (entry, location) => {
        entries++;
        rows.push(entryRow(entry, location, inodeOf));
      },
      data: (item) => (dataBytes += item.data.length),
      // A copy of our own: the decoder's may be a view of a decompression buffer that is used again.
      deleted: (path, location) => rows.push({ path: copyOf(path), type: 0, size: 0, mode: 0, mtimeNs: 0n, ctimeNs: 0n, inode: 0, chunkOffset: location.chunkOffset, itemOffset: location.itemOffset, deleted: true }),
      damage: (damage) => void (losses.length < 20 && losses.push(damage.message)),
      trailer: (check) => (trailer = check),
    },
    o.codecs,
    { skipEncrypted: true },
  );
  const flush = async (minimum: number): Promise<void> => {
    if (rows.length < minimum || rows.length === 0) return;
    const batch = rows;
    rows = [];
    sent += batch.length;
    await o.send(batch);
  };
  await readStreamRecords({
    drive: o.drive, streamId: idFromString(o.stream), extents: o.extents, codecs: o.codecs,
    onRecord: async (record, header, streamOffset) => {
      decoder.record(record, header, streamOffset);
      await flush(ROWS_PER_FRAME);
    },
    onLoss: (loss) => {
      decoder.loss(loss);
      if (losses.length < 20) losses.push(`${loss.reason} (stream bytes ${loss.fromOffset}–${loss.toOffset}, volume ${loss.label}${loss.block === null ? "" : ` block ${loss.block}`})`);
    },
  });
  await flush(1);
  const check = trailer as TrailerCheck | null;
  return {
    trailer: check === null ? null : { entryCount: check.trailer.entryCount, dataBytes: check.trailer.dataBytes, isIntact: check.isIntact, problems: check.problems },
    entries, dataBytes, rows: sent, losses,
  };
}

function entryRow(entry: Entry, location: EntryLocation, inodeOf: (path: Uint8Array) => number): WireIndexRow {
  const isLink = entry.type === EntryType.hardlink && entry.linkTarget !== null;
  return {
    path: entry.path, type: entry.type, size: entry.size, mode: entry.mode,
    mtimeNs: BigInt(entry.mtimeSec) * 1_000_000_000n + BigInt(entry.mtimeNsec), ctimeNs: 0n,
    inode: inodeOf(isLink ? entry.linkTarget! : entry.path),
    chunkOffset: location.chunkOffset, itemOffset: location.itemOffset, deleted: false,
  };
}

/** A stand-in inode: 48 bits of the SHA-256 of the path (collisions are as rare as they need to be). */
function pathHasher(codecs: Codecs): (path: Uint8Array) => number {
  return (path) => {
    const hash = codecs.sha256();
    hash.update(path);
    const d = hash.digest();
    return (d[0]! * 2 ** 40) + (d[1]! * 2 ** 32) + ((d[2]! << 24) >>> 0) + (d[3]! << 16) + (d[4]! << 8) + d[5]!;
  };
}
