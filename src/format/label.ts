import { fromUtf8, utf8 } from "./bytes.js";
import { formatError } from "./errors.js";

/** The label of a medium (format.md §3.3). */
export interface MediumLabel {
  label: string;
  pool: string | null;
  createdAt: string;
  writer: string;
}

export function encodeLabel(label: MediumLabel): Uint8Array {
  return utf8(JSON.stringify({ label: label.label, pool: label.pool, createdAt: label.createdAt, writer: label.writer }));
}

export function decodeLabel(payload: Uint8Array): MediumLabel {
  let value: unknown;
  try {
    value = JSON.parse(fromUtf8(payload));
  } catch {
    throw formatError("FORMAT_MALFORMED", "Cannot read the medium label: its payload is not JSON");
  }
  if (typeof value !== "object" || value === null) throw formatError("FORMAT_MALFORMED", "Cannot read the medium label: not a JSON object");
  const o = value as Record<string, unknown>;
  if (typeof o["label"] !== "string" || typeof o["createdAt"] !== "string") {
    throw formatError("FORMAT_MALFORMED", "Cannot read the medium label: \"label\" or \"createdAt\" missing");
  }
  return {
    label: o["label"],
    pool: typeof o["pool"] === "string" ? o["pool"] : null,
    createdAt: o["createdAt"],
    writer: typeof o["writer"] === "string" ? o["writer"] : "",
  };
}
