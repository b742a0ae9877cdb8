import { ReelError } from "../errors/index.js";

/** Error codes of the catalog (docs/errors.md). */
export type CatalogErrorCode =
  | "CATALOG_OPEN_FAILED"
  | "CATALOG_TOO_NEW"
  | "CATALOG_MIGRATION_FAILED"
  | "CATALOG_STORAGE_FAILED"
  | "CATALOG_NOT_FOUND"
  | "CATALOG_CONFLICT"
  | "CATALOG_INVALID"
  | "CATALOG_BAD_PATH";

export function catalogError(code: CatalogErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown): ReelError<CatalogErrorCode> {
  return new ReelError(code, message, { details, cause });
}
