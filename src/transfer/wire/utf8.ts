/**
 * UTF-8 for MESSAGE payloads through the WHATWG TextEncoder and TextDecoder, which every runtime
 * reel targets has (Node, browsers, Deno). The pure tsconfig's lib (ES2023) does not declare
 * them, so they are looked up on globalThis with the small types below.
 */
interface Utf8Globals {
  TextEncoder: new () => { encode(text: string): Uint8Array };
  TextDecoder: new (label: string, options: { fatal: boolean }) => { decode(bytes: Uint8Array): string };
}

const globals = globalThis as unknown as Utf8Globals;
const encoder = new globals.TextEncoder();
/** Fatal: a payload that is not valid UTF-8 is a bad frame, not text with replacement characters. */
const decoder = new globals.TextDecoder("utf-8", { fatal: true });

export function encodeUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Decodes strict UTF-8; throws a TypeError on invalid bytes. */
export function decodeUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
