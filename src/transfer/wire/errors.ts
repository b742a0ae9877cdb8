import { ReelError } from "../../errors/index.js";

/** Error codes of the framing layer (docs/errors.md, docs/protocol.md §2). */
export type WireErrorCode = "TRANSFER_BAD_FRAME" | "TRANSFER_TOO_LARGE";

export function wireError(code: WireErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown): ReelError<WireErrorCode> {
  return new ReelError(code, message, { details, cause });
}
