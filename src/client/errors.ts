import { errnoCode, reasonOf, ReelError } from "../errors/index.js";

/** Error codes of the client (docs/errors.md). */
export type ClientErrorCode =
  | "CLIENT_BAD_PATH"
  | "CLIENT_NOT_FOUND"
  | "CLIENT_WRITE_FAILED"
  | "CLIENT_NOT_AN_ARCHIVE"
  | "CLIENT_NO_SPACE";

export function clientError(code: ClientErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown): ReelError<ClientErrorCode> {
  return new ReelError(code, message, { details, cause });
}

export { errnoCode, reasonOf };

/** Shows raw path bytes for people: UTF-8 where valid, \xNN escapes otherwise, control bytes escaped. */
export function displayPath(path: Uint8Array): string {
  let out = "";
  const text = Buffer.from(path).toString("utf8");
  if (Buffer.from(text, "utf8").equals(Buffer.from(path))) {
    for (const ch of text) {
      const c = ch.codePointAt(0)!;
      out += c < 0x20 || c === 0x7f ? `\\x${c.toString(16).padStart(2, "0")}` : ch === "\\" ? "\\\\" : ch;
    }
    return out;
  }
  for (const b of path) out += b >= 0x20 && b < 0x7f ? (b === 0x5c ? "\\\\" : String.fromCharCode(b)) : `\\x${b.toString(16).padStart(2, "0")}`;
  return out;
}
