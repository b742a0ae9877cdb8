import { isReelError, ReelError } from "../errors/index.js";

/** An error as it travels in a MESSAGE (STYLE §4: `{ code, message, details }`). */
export interface SerializedError {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/**
 * Turns any thrown value into its wire form. A ReelError keeps its code, message and details;
 * anything else (a bug on this side) travels as TRANSFER_REMOTE_FAILED with its message.
 */
export function serializeError(error: unknown): SerializedError {
  if (isReelError(error)) return { code: error.code, message: error.message, details: { ...error.details } };
  const message = error instanceof Error ? error.message : String(error);
  return { code: "TRANSFER_REMOTE_FAILED", message: `The peer failed: ${message}` };
}

/** Rebuilds a ReelError from its wire form; a malformed one still yields a ReelError. */
export function deserializeError(value: unknown, peer: string): ReelError {
  const fields = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  const code = typeof fields["code"] === "string" && /^[A-Z][A-Z0-9_]*$/.test(fields["code"]) ? fields["code"] : "TRANSFER_REMOTE_FAILED";
  const message = typeof fields["message"] === "string" ? fields["message"] : `${peer} reported an error without a message`;
  const details = typeof fields["details"] === "object" && fields["details"] !== null ? (fields["details"] as Record<string, unknown>) : {};
  return new ReelError(code, message, { details: { ...details, peer } });
}
