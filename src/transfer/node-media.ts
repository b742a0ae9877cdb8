/**
 * Media requests from the server to a node, beyond streams: label, check, scan and erase
 * volumes of its drives (docs/protocol.md §Media). Returns undefined for a request it does not
 * know (the node then refuses it).
 */
import type { Codecs } from "../format/index.js";
import type { Drive, DriveSpec } from "../media/index.js";
import type { Connection } from "./connection.js";
import { eraseVolume } from "./node-media-erase.js";

export interface NodeMediaContext {
  /** The node's name (for messages). */
  name: string;
  /** The drive of a spec: the one the node's media agent writes, or a new one. */
  driveOf(spec: DriveSpec): Drive;
  /** The control connection to the server (scans send BINARY frames of index rows on it). */
  server: Connection;
  codecs: Codecs;
  log: (line: string) => void;
}

export async function handleMediaRequest(ctx: NodeMediaContext, message: Record<string, unknown>): Promise<object | undefined> {
  if (message["type"] === "media.erase") return eraseVolume(ctx, message);
  return undefined;
}
