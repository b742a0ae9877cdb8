/**
 * Media requests from the server to a node, beyond streams: label, check, scan and erase
 * volumes of its drives (docs/protocol.md §Media). Returns undefined for a request it does not
 * know (the node then refuses it).
 */
import type { Codecs } from "../format/index.js";
import type { Drive, DriveSpec } from "../media/index.js";
import type { Connection } from "./connection.js";
import type { CopyRun } from "./messages.js";
import { runCopy } from "./node-copy.js";
import type { Identity } from "./tls.js";

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
}

export async function handleMediaRequest(ctx: NodeMediaContext, message: Record<string, unknown>): Promise<object | undefined> {
  if (message["type"] === "copy.run") return runCopy(ctx, message as unknown as CopyRun);
  return undefined;
}
