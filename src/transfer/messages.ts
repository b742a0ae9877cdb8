/**
 * The MESSAGE frames that server, nodes and client agents exchange (docs/protocol.md §Messages).
 * Requests carry an `id` and are answered by a message with `re`; see connection.ts.
 */
import type { DriveSpec } from "../media/index.js";
import type { WireExtent } from "./placement.js";

export interface Hello { type: "hello"; kind: "node" | "client"; name: string; version: string; dataAddress?: string }

/**
 * Server → node: a client (or, for a mirror or copy stage, the node of the stage before) will
 * send the stream with this id; write it on this drive, and forward it to the next stage's node
 * if there is one.
 */
export interface StreamExpect {
  type: "stream.expect";
  stream: string;
  /** The name of the sender. */
  client: string;
  /** What the sender is (default "client"). */
  sender?: "client" | "node";
  drive: DriveSpec;
  pool: string;
  blockSize: number;
  /** Its stage in the chain: 0 the backup stage (from the client), 1 the first mirror... (default 0). */
  stage?: number;
  /** The node of the next stage of the chain, which expects the stream from this node for that stage. */
  forward?: { name: string; address: string; stage: number };
}
/** Where one copy of a stream lies: a drive of a node, and the extents on its volumes. */
export interface StreamSource {
  /** The node whose drive holds it (its data address); null: the node that serves the stream. */
  node: { name: string; address: string } | null;
  drive: DriveSpec;
  extents: WireExtent[];
}
/**
 * Server → node: a client will ask for this stream; read it from these extents. Where they
 * fail (a damaged block, a missing volume), read the same stream range from the alternatives,
 * other copies in order of preference, on this node or another.
 */
export interface StreamServe {
  type: "stream.serve";
  stream: string;
  client: string;
  drive: DriveSpec;
  extents: WireExtent[];
  fromOffset: number;
  /** Stop after the record that reaches this stream offset (a restore of a few files); absent: read to the end. */
  stopAtOffset?: number;
  alternatives?: StreamSource[];
}
/** Server → node: the client failed; forget the stream if it was never opened (from that sender, if named). Reply: `{ opened }`. */
export interface StreamWithdraw { type: "stream.withdraw"; stream: string; stage?: number }
/** Node → server: asks for a new volume on a drive (the catalog names it). */
export interface VolumeNext { type: "volume.next"; drive: string; pool: string; blockSize: number }
export interface VolumeNextReply { label: string; mediumId: string; capacityBytes: number }
/** Node → server: a volume was opened or filled. */
export interface VolumeEvent { type: "volume.event"; drive: string; label: string; state: "opened" | "full"; blocks: number; bytes: number }
/** Node → server: a stream ended (cleanly or not) and lies on these extents. */
export interface StreamDone {
  type: "stream.done";
  stream: string;
  /** The drive it was written on (a node may write two stages of one chain). */
  drive: string;
  aborted: boolean;
  error: string | null;
  bytes: number;
  segments: { label: string; firstBlock: number; lastBlock: number; streamOffset: number }[];
  extents: WireExtent[];
}

/** Server → client: run a backup, send the stream to that node. The reply comes when it ends. */
export interface BackupRun {
  type: "backup.run";
  job: number;
  stream: string;
  node: { name: string; address: string };
  paths: string[];
  excludes: string[];
  level: "full" | "diff" | "incr";
  /** The saveset whose state an incremental or differential compares with. */
  base: number | null;
  compression: "none" | "zstd";
  compressionLevel: number;
  descriptor: Record<string, unknown>;
}
export interface BackupResult { files: number; bytes: number; errors: number; deleted: number; unchanged: number; trailerOk: boolean }
/** Client → server: send me the index of the base saveset (BINARY frames with this job id, then the reply). */
export interface IndexPrevious { type: "index.previous"; job: number; saveset: number }
/** Client → server: progress of a running job. */
export interface JobProgress { type: "job.progress"; job: number; files: number; bytes: number; log?: string }

/** Server → client: restore these streams in order into target. */
export interface RestoreRun {
  type: "restore.run";
  job: number;
  target: string;
  /** Stored paths (base64 of raw bytes) to restore; empty: everything. */
  selection: string[];
  overwrite: "always" | "never" | "older";
  numericOwner: boolean;
  /** `partial`: the node stops before the trailer on purpose (only a few files are wanted). */
  streams: { stream: string; node: { name: string; address: string }; fromOffset: number; partial?: boolean }[];
}
export interface RestoreResult { files: number; bytes: number; damaged: number; errors: number }

/** Client → node on a data connection. */
export interface StreamOpen { type: "stream.open"; stream: string; stage?: number }
export interface StreamClose { type: "stream.close"; stream: string }
export interface StreamRead {
  type: "stream.read";
  stream: string;
  /** Only from another node filling in a range from its copy: where the copy lies, and the range. */
  source?: { drive: DriveSpec; extents: WireExtent[] };
  fromOffset?: number;
  stopAtOffset?: number;
}
/** Node → client after the last RECORD of a read. */
export interface StreamEof { type: "stream.eof"; stream: string; losses: string[]; repaired?: string[]; complete?: boolean }

/** Server → node: read every block of a volume and check its checksum (`reel media check`). */
export interface MediaCheck { type: "media.check"; drive: DriveSpec; label: string }
export interface MediaCheckReply {
  label: string;
  /** Blocks on the volume, the label included. */
  blocks: number;
  damaged: number;
  /** The first damaged block numbers (at most 100; `damaged` counts them all). */
  damagedBlocks: number[];
  /** The label block is intact and names this label. */
  isLabelOk: boolean;
  /** Streams with blocks on the volume (ids as 32 hex digits) and how many intact blocks each has. */
  streams: { stream: string; blocks: number }[];
}

/** Server → node: list what a drive's volumes hold, from the media alone (`reel media scan`). */
export interface MediaScan { type: "media.scan"; drive: DriveSpec; labels?: string[] }
export interface ScannedVolume {
  label: string;
  /** From the label block: the medium id (32 hex digits), pool and time of labelling. */
  mediumId: string;
  pool: string | null;
  createdAt: string;
  blockSize: number;
  blocks: number;
  damaged: number;
}
/** One copy of a stream on the drive's volumes: its HEAD (null when lost) and where its blocks lie. */
export interface ScannedStream {
  stream: string;
  pool: string | null;
  head: { createdAt: string; descriptor: Record<string, unknown>; compression: "none" | "zstd"; isEncrypted: boolean } | null;
  /** A block with the end-of-stream flag was seen: the writer wrote the trailer. */
  hasEnd: boolean;
  bytes: number;
  segments: { label: string; firstBlock: number; lastBlock: number; streamOffset: number }[];
  extents: WireExtent[];
}
export interface MediaScanReply {
  volumes: ScannedVolume[];
  streams: ScannedStream[];
  /** Volumes that could not be read, or whose label block is damaged. */
  unreadable: { label: string; reason: string }[];
}

/**
 * Server → node: decode one stream from these extents and send its file-index rows (BINARY
 * frames tagged with `job`) before the reply.
 */
export interface MediaScanRead { type: "media.scan.read"; job: number; drive: DriveSpec; stream: string; extents: WireExtent[] }
export interface MediaScanReadReply {
  /** The TRAILER as read, or null when the stream has none (incomplete). */
  trailer: { entryCount: number; dataBytes: number; isIntact: boolean; problems: string[] } | null;
  entries: number;
  dataBytes: number;
  rows: number;
  /** Damage met on the way, for people. */
  losses: string[];
}

/** A stream of a copy job: where it lies on the source volumes and the node of its first copy stage. */
export interface CopyStream {
  stream: string;
  /** The source copy's extents (volume labels of `CopyRun.volumes`), in stream order. */
  extents: WireExtent[];
  /** The node of copy stage 1 and that stage's number, told by the server to expect the stream from this node. */
  target: { name: string; address: string; stage: number };
}
/**
 * Server → node: copy these streams from these volumes to copy stages (a copy, migration or
 * compaction job; DESIGN §5). `multiplex` reads each volume once, front to back, and feeds every
 * selected stream as its blocks come; `demux` sends the streams one after another, in the order
 * given, each read from its extents (so each lands contiguously on the target). The reply comes
 * when every stream was sent: a CopyRunReply.
 */
export interface CopyRun {
  type: "copy.run";
  job: number;
  mode: "multiplex" | "demux";
  /** The source volumes in the order they were written, each with its drive. */
  volumes: { label: string; drive: DriveSpec }[];
  streams: CopyStream[];
}
/** What became of one stream of a copy.run: `complete` when its trailer was sent and the stage took the stream. */
export interface CopyStreamResult {
  stream: string;
  /** True once stage 1 accepted the stream (it then reports where the stream lies, even when cut short). */
  opened: boolean;
  /** Records sent (a stream copied record by record). */
  records: number;
  /** Blocks passed on as they are (every stage on the reading node: records are not rebuilt). */
  blocks: number;
  bytes: number;
  complete: boolean;
  error: string | null;
}
export interface CopyRunReply {
  streams: CopyStreamResult[];
  /** Volumes opened and blocks read from them (a multiplex copy reads each volume once); damaged blocks of the streams copied. */
  volumesRead: number;
  blocksRead: number;
  damagedBlocks: number;
}
