import { ReelError } from "../errors/index.js";

/** Error codes of the server (docs/errors.md). */
export type ServerErrorCode =
  | "SERVER_BAD_MESSAGE"
  | "SERVER_NOT_CONNECTED"
  | "SERVER_NO_DRIVE"
  | "SERVER_JOB_FAILED"
  | "SERVER_DATA_DIR"
  | "SERVER_MEDIUM_DAMAGED"
  | "SERVER_INTERNAL";

export function serverError(code: ServerErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown): ReelError<ServerErrorCode> {
  return new ReelError(code, message, { details, cause });
}
