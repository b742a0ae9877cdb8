/**
 * `media.erase` on a node: erases one volume of a drive so that its medium can be labelled anew
 * (recycling, `reel media label LABEL`). docs/protocol.md §6.2.
 */
import { isReelError } from "../errors/index.js";
import type { DriveSpec } from "../media/index.js";
import type { NodeMediaContext } from "./node-media.js";
import { serviceError } from "./service-errors.js";

/** The answer to `media.erase`: false when the drive held no volume of that label (nothing to erase). */
export interface MediaEraseReply {
  erased: boolean;
}

/**
 * Erases the volume `label` of `drive`. Refuses (MEDIA_VOLUME_BUSY) a volume a media agent has
 * open for writing: the drive of a spec is the very one the node's agents write.
 */
export async function eraseVolume(ctx: NodeMediaContext, message: Record<string, unknown>): Promise<MediaEraseReply> {
  const drive = message["drive"] as DriveSpec | undefined;
  const label = message["label"];
  if (typeof drive?.name !== "string" || typeof label !== "string" || label === "") {
    throw serviceError("TRANSFER_BAD_MESSAGE", "media.erase needs a drive and a label");
  }
  try {
    await ctx.driveOf(drive).eraseVolume(label);
  } catch (error) {
    if (isReelError(error, "MEDIA_VOLUME_NOT_FOUND")) return { erased: false };
    throw error;
  }
  ctx.log(`node ${ctx.name}: erased volume "${label}" on drive "${drive.name}"`);
  return { erased: true };
}
