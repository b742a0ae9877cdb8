import { ReelError } from "../errors/index.js";

/** Error codes of the node and client services (docs/errors.md, Transfer). */
export type ServiceErrorCode =
  | "TRANSFER_BAD_MESSAGE"
  | "TRANSFER_UNEXPECTED_STREAM"
  | "TRANSFER_BAD_ADDRESS"
  | "TRANSFER_JOB_FAILED"
  | "TRANSFER_COMMAND_NOT_ALLOWED";

export function serviceError(code: ServiceErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown): ReelError<ServiceErrorCode> {
  return new ReelError(code, message, { details, cause });
}
