import { ReelError } from "../errors/index.js";

/** Error codes of the format layer (docs/errors.md). */
export type FormatErrorCode =
  | "FORMAT_BAD_MAGIC"
  | "FORMAT_UNSUPPORTED_VERSION"
  | "FORMAT_MALFORMED"
  | "FORMAT_TOO_LARGE"
  | "FORMAT_TRUNCATED"
  | "FORMAT_WRONG_PASSPHRASE"
  | "FORMAT_DECRYPT_FAILED"
  | "FORMAT_DECOMPRESS_FAILED"
  | "FORMAT_PASSPHRASE_REQUIRED";

/** Builds a format error. */
export function formatError(
  code: FormatErrorCode,
  message: string,
  details: Record<string, unknown> = {},
): ReelError<FormatErrorCode> {
  return new ReelError(code, message, { details });
}
