// Error codes of the calendar daemon (start now).
import { ReelError } from "../../errors/index.js";

export type DaemonErrorCode = "SCHEDULER_UNKNOWN_EVENT" | "SCHEDULER_NOT_STARTABLE";

/** Builds a daemon error with a stable code and plain-data details. */
export function daemonError(code: DaemonErrorCode, message: string, details: Record<string, unknown> = {}): ReelError<DaemonErrorCode> {
  return new ReelError(code, message, { details });
}
