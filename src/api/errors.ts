import { ReelError } from "../errors/index.js";

/** Error codes of the REST API (docs/errors.md); the HTTP status goes with each. */
export type ApiErrorCode =
  | "API_BAD_REQUEST"
  | "API_UNAUTHORIZED"
  | "API_FORBIDDEN"
  | "API_NOT_FOUND"
  | "API_CONFLICT"
  | "API_UNAVAILABLE"
  | "API_UNREACHABLE";

export const API_ERROR_STATUS: Record<ApiErrorCode, number> = {
  API_BAD_REQUEST: 400,
  API_UNAUTHORIZED: 401,
  API_FORBIDDEN: 403,
  API_NOT_FOUND: 404,
  API_CONFLICT: 409,
  API_UNAVAILABLE: 503,
  API_UNREACHABLE: 502,
};

export function apiError(code: ApiErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown): ReelError<ApiErrorCode> {
  return new ReelError(code, message, { details, cause });
}

/** The body of every error answer: `{ "error": { "code", "message" } }`. */
export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}
