/**
 * Media requests from the server to a node, beyond streams: check, scan and erase the volumes
 * of its drives (docs/protocol.md §Media). Returns undefined for a request it does not know (the node
 * then refuses it).
 */
import type { Codecs } from "../format/index.js";
import type { Drive, DriveSpec } from "../media/index.js";
import type { Connection } from "./connection.js";
import type { StageOut } from "./stage-sender.js";
import { encodeIndexRows } from "./index-rows.js";
import type { CopyRun, MediaCheck, MediaScan, MediaScanRead } from "./messages.js";
import { runCopy } from "./node-copy.js";
import type { Identity } from "./tls.js";
import { indexStream } from "./stream-index.js";
import { checkVolume } from "./volume-check.js";
import { eraseVolume } from "./node-media-erase.js";
import { scanDrive } from "./volume-scan.js";

export interface NodeMediaContext {
  /** The node's name (for messages). */
  name: string;
  /** The drive of a spec: the one the node's media agent writes, or a new one. */
  driveOf(spec: DriveSpec): Drive;
  /** The control connection to the server (scans send BINARY frames of index rows on it). */
  server: Connection;
  codecs: Codecs;
  log: (line: string) => void;
  /** The node's identity (copy jobs reach their copy stages with it). */
  identity?: Identity;
  /** Opens a stream to a stage: this node's own media agents when the stage is here, else its node. */
  openStage?: (target: { name: string; address: string; stage: number }, stream: string) => Promise<StageOut>;
}

export async function handleMediaRequest(ctx: NodeMediaContext, message: Record<string, unknown>): Promise<object | undefined> {
  switch (message["type"]) {
    case "media.check": {
      const request = message as unknown as MediaCheck;
      return checkVolume(ctx.driveOf(request.drive), request.label, ctx.codecs);
    }
    case "media.scan": {
      const request = message as unknown as MediaScan;
      return scanDrive(ctx.driveOf(request.drive), request.labels, ctx.codecs);
    }
    case "media.scan.read": {
      const request = message as unknown as MediaScanRead;
      return indexStream({
        drive: ctx.driveOf(request.drive), stream: request.stream, extents: request.extents, codecs: ctx.codecs,
        send: (rows) => ctx.server.sendBinary(encodeIndexRows(request.job, rows)),
      });
    }
    case "media.erase":
      return eraseVolume(ctx, message);
    case "copy.run":
      return runCopy(ctx, message as unknown as CopyRun);
    default:
      return undefined;
  }
}
