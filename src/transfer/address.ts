import { serviceError } from "./service-errors.js";

export interface Address {
  host: string;
  port: number;
}

/** Parses "host:port" or "[v6]:port"; the port may be 0 (any free port) when `allowZero`. */
export function parseAddress(text: string, what: string, allowZero = false): Address {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const port = match === null ? NaN : Number(match[3]);
  if (match === null || port > 65535 || (port === 0 && !allowZero)) {
    throw serviceError("TRANSFER_BAD_ADDRESS", `Cannot use ${what} "${text}": expected HOST:PORT (for example 127.0.0.1:8080)`);
  }
  return { host: match[1] ?? match[2]!, port };
}

export function formatAddress(address: Address): string {
  return address.host.includes(":") ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
