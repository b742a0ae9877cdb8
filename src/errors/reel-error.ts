/**
 * The one error class of reel: every error a user can meet carries a stable `code`
 * (listed in docs/errors.md), a message that names what and where, and plain-data details.
 */
export class ReelError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: Code,
    message: string,
    options: { details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ReelError";
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** A broken invariant inside reel: a bug, never bad input. */
export class BugError extends Error {
  constructor(message: string) {
    super(`Internal error (a bug in reel): ${message}`);
    this.name = "BugError";
  }
}

/** Tells whether `value` is a ReelError, optionally with the given code. */
export function isReelError(value: unknown, code?: string): value is ReelError {
  return value instanceof ReelError && (code === undefined || value.code === code);
}
