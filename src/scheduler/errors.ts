import { ReelError } from "../errors/index.js";

/** Error codes of the scheduler (docs/errors.md). */
export type SchedulerErrorCode =
  | "SCHEDULER_BAD_CONFIG"
  | "SCHEDULER_BAD_CONFIG_SYNTAX"
  | "SCHEDULER_CONFIG_UNREADABLE"
  | "SCHEDULER_BAD_RANGE";

/** Builds a scheduler error with a stable code and plain-data details. */
export function schedulerError(
  code: SchedulerErrorCode,
  message: string,
  details: Record<string, unknown> = {},
  cause?: unknown,
): ReelError<SchedulerErrorCode> {
  return new ReelError(code, message, { details, cause });
}
