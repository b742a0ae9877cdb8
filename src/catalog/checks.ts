import { catalogError } from "./errors.js";

/** Argument checks shared by the stores: each throws CATALOG_INVALID naming the field. */

export function checkName(what: string, name: string): string {
  if (typeof name !== "string" || name.length === 0 || name.length > 255 || /[\u0000-\u001f\u007f]/.test(name)) {
    throw catalogError("CATALOG_INVALID", `Invalid ${what} name ${JSON.stringify(name)}: give 1 to 255 characters without control characters`, { what, name });
  }
  return name;
}

export function checkCount(what: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw catalogError("CATALOG_INVALID", `Invalid ${what} ${String(value)}: give a whole number of at least 0`, { what, value });
  }
  return value;
}

export function checkPositive(what: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw catalogError("CATALOG_INVALID", `Invalid ${what} ${String(value)}: give a whole number of at least 1`, { what, value });
  }
  return value;
}

/** A 32-digit hex id (medium id, stream id), returned in lower case. */
export function checkHex32(what: string, value: string): string {
  if (typeof value !== "string" || !/^[0-9a-fA-F]{32}$/.test(value)) {
    throw catalogError("CATALOG_INVALID", `Invalid ${what} ${JSON.stringify(value)}: give 32 hex digits`, { what, value });
  }
  return value.toLowerCase();
}

/** A backup day, "YYYY-MM-DD". */
export function checkDay(value: string): string {
  if (typeof value !== "string" || !/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/.test(value)) {
    throw catalogError("CATALOG_INVALID", `Invalid backup day ${JSON.stringify(value)}: give a date as YYYY-MM-DD`, { value });
  }
  return value;
}

/** A member of a fixed set of words (role, level, state). */
export function checkOneOf<T extends string>(what: string, value: T, allowed: readonly T[]): T {
  if (!allowed.includes(value)) {
    throw catalogError("CATALOG_INVALID", `Invalid ${what} ${JSON.stringify(value)}: give one of ${allowed.join(", ")}`, { what, value, allowed });
  }
  return value;
}

/** Milliseconds since the epoch of a valid Date. */
export function msOf(what: string, date: Date): number {
  const ms = date instanceof Date ? date.getTime() : Number.NaN;
  if (Number.isNaN(ms)) throw catalogError("CATALOG_INVALID", `Invalid ${what}: give a valid Date`, { what });
  return ms;
}
