import { errnoCode, reasonOf, ReelError } from "../errors/index.js";

/** Error codes of the media component (docs/errors.md). */
export type MediaErrorCode =
  | "MEDIA_BAD_RECORD"
  | "MEDIA_BAD_BLOCK"
  | "MEDIA_BAD_LABEL"
  | "MEDIA_BAD_BLOCK_SIZE"
  | "MEDIA_VOLUME_EXISTS"
  | "MEDIA_VOLUME_NOT_FOUND"
  | "MEDIA_VOLUME_TOO_SMALL"
  | "MEDIA_VOLUME_BUSY"
  | "MEDIA_BAD_DRIVE"
  | "MEDIA_NOT_A_VOLUME"
  | "MEDIA_END_OF_MEDIUM"
  | "MEDIA_NO_SPACE"
  | "MEDIA_WRITE_FAILED"
  | "MEDIA_READ_FAILED"
  | "MEDIA_NO_VOLUME"
  | "MEDIA_AGENT_CLOSED"
  | "MEDIA_STREAM_EXISTS"
  | "MEDIA_STREAM_CLOSED"
  | "MEDIA_NO_TRAILER"
  | "MEDIA_LIBRARY_FULL"
  | "MEDIA_TAPE_COMMAND_FAILED";

/** Builds a media error. */
export function mediaError(code: MediaErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown): ReelError<MediaErrorCode> {
  return new ReelError(code, message, { details, cause });
}

export { errnoCode, reasonOf };
