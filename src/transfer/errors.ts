import { ReelError } from "../errors/index.js";
import type { WireErrorCode } from "./wire/index.js";

/** Error codes of the transfer layer (docs/errors.md): framing, TLS, certificates, enrollment. */
export type TransferErrorCode =
  | WireErrorCode
  | "TRANSFER_PEER_CLOSED"
  | "TRANSFER_CONNECT_FAILED"
  | "TRANSFER_LISTEN_FAILED"
  | "TRANSFER_REJECTED"
  | "TRANSFER_WRONG_PEER"
  | "TRANSFER_PROTOCOL"
  | "TRANSFER_REMOTE_FAILED"
  | "TRANSFER_BAD_CERTIFICATE"
  | "TRANSFER_BAD_NAME"
  | "TRANSFER_ENROLL_FAILED"
  | "TRANSFER_BAD_IDENTITY";

export function transferError(code: TransferErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown): ReelError<TransferErrorCode> {
  return new ReelError(code, message, { details, cause });
}

/** A short reason for a system or TLS error: "ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1". */
export function reasonOf(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" && !error.message.startsWith(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
