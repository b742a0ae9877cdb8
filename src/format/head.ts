import { fromUtf8, utf8 } from "./bytes.js";
import { formatError } from "./errors.js";

// format.md §4.2, §6
export interface EncryptionParameters {
  cipher: "aes-256-gcm";
  kdf: "scrypt";
  salt: string;
  logN: number;
  r: number;
  p: number;
  check: string;
}

export interface StreamHead {
  format: 1;
  streamId: string;
  createdAt: string;
  compression: "none" | "zstd";
  encryption: EncryptionParameters | null;
  descriptor: Record<string, unknown>;
}

export function encodeHead(head: StreamHead): Uint8Array {
  return utf8(JSON.stringify(head));
}

function fail(detail: string): never {
  throw formatError("FORMAT_MALFORMED", `Cannot read the stream head: ${detail}`);
}

function decodeEncryption(value: unknown): EncryptionParameters | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== "object") fail("\"encryption\" is not an object");
  const e = value as Record<string, unknown>;
  if (e["cipher"] !== "aes-256-gcm" || e["kdf"] !== "scrypt") {
    throw formatError("FORMAT_UNSUPPORTED_VERSION", `Cannot read the stream: cipher "${String(e["cipher"])}" with kdf "${String(e["kdf"])}" is not supported`);
  }
  const logN = e["logN"], r = e["r"], p = e["p"];
  if (typeof e["salt"] !== "string" || typeof e["check"] !== "string") fail("encryption salt or check missing");
  if (typeof logN !== "number" || !Number.isInteger(logN) || logN < 1 || logN > 22) fail("scrypt logN out of range 1..22");
  if (typeof r !== "number" || !Number.isInteger(r) || r < 1 || r > 32) fail("scrypt r out of range 1..32");
  if (typeof p !== "number" || !Number.isInteger(p) || p < 1 || p > 16) fail("scrypt p out of range 1..16");
  return { cipher: "aes-256-gcm", kdf: "scrypt", salt: e["salt"], logN, r, p, check: e["check"] };
}

export function decodeHead(body: Uint8Array): StreamHead {
  let value: unknown;
  try {
    value = JSON.parse(fromUtf8(body));
  } catch {
    fail("not JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail("not a JSON object");
  const o = value as Record<string, unknown>;
  if (typeof o["format"] !== "number") fail("\"format\" missing");
  if (o["format"] !== 1) {
    throw formatError("FORMAT_UNSUPPORTED_VERSION", `Cannot read the stream: format ${String(o["format"])} is not supported (this reader knows 1)`, { version: o["format"] });
  }
  if (typeof o["streamId"] !== "string") fail("\"streamId\" missing");
  const compression = o["compression"];
  if (compression !== "none" && compression !== "zstd") fail(`unknown compression "${String(compression)}"`);
  const descriptor = o["descriptor"];
  return {
    format: 1,
    streamId: o["streamId"],
    createdAt: typeof o["createdAt"] === "string" ? o["createdAt"] : "",
    compression,
    encryption: decodeEncryption(o["encryption"]),
    descriptor: typeof descriptor === "object" && descriptor !== null && !Array.isArray(descriptor) ? (descriptor as Record<string, unknown>) : {},
  };
}
