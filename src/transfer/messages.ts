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
  /** The node of the next stage of the chain, which expects the stream from this node. */
  forward?: { name: string; address: string };
}
/** Server → node: a client will ask for this stream; read it from these extents. */
export interface StreamServe {
  type: "stream.serve";
  stream: string;
  client: string;
  drive: DriveSpec;
  extents: WireExtent[];
  fromOffset: number;
  /** Stop after the record that reaches this stream offset (a restore of a few files); absent: read to the end. */
  stopAtOffset?: number;
}
/** Server → node: the client failed; forget the stream if it was never opened. Reply: `{ opened }`. */
export interface StreamWithdraw { type: "stream.withdraw"; stream: string }
/** Node → server: asks for a new volume on a drive (the catalog names it). */
export interface VolumeNext { type: "volume.next"; drive: string; pool: string; blockSize: number }
export interface VolumeNextReply { label: string; mediumId: string; capacityBytes: number }
/** Node → server: a volume was opened or filled. */
export interface VolumeEvent { type: "volume.event"; drive: string; label: string; state: "opened" | "full"; blocks: number; bytes: number }
/** Node → server: a stream ended (cleanly or not) and lies on these extents. */
export interface StreamDone {
  type: "stream.done";
  stream: string;
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
export interface StreamOpen { type: "stream.open"; stream: string }
export interface StreamClose { type: "stream.close"; stream: string }
export interface StreamRead { type: "stream.read"; stream: string }
/** Node → client after the last RECORD of a read. */
export interface StreamEof { type: "stream.eof"; stream: string; losses: string[] }

/** A stream of a copy job: where it lies on the source volumes and the node of its first copy stage. */
export interface CopyStream {
  stream: string;
  /** The source copy's extents (volume labels of `CopyRun.volumes`), in stream order. */
  extents: WireExtent[];
  /** The node of copy stage 1, told by the server to expect the stream from this node. */
  target: { name: string; address: string };
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
  records: number;
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
