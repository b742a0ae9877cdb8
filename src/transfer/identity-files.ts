/**
 * An agent's identity on disk (docs/protocol.md §5.3): `ca.pem`, `cert.pem`, `key.pem` (mode
 * 0600) and `agent.json` ({ agentAddress, serverUrl }) in one directory (mode 0700).
 */
import { X509Certificate as NodeCertificate, createPrivateKey } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { reasonOf, transferError } from "./errors.js";
import type { Identity } from "./tls.js";

/** An enrolled agent's identity and where its server is. */
export interface SavedIdentity extends Identity {
  /** host:port of the server's agent listener. */
  agentAddress: string;
  /** The server's API URL the agent enrolled with. */
  serverUrl: string;
}

const FILES = ["ca.pem", "cert.pem", "key.pem", "agent.json"] as const;

/**
 * Writes an identity into `dir` (created with mode 0700 when missing). Each file is written to
 * a temporary name and renamed, so a reader sees whole files; key.pem is 0600 from its creation.
 * Throws TRANSFER_BAD_IDENTITY when the files cannot be written.
 */
export function saveIdentity(dir: string, identity: SavedIdentity): void {
  const contents: Record<(typeof FILES)[number], { text: string; mode: number }> = {
    "ca.pem": { text: identity.caPem, mode: 0o644 },
    "cert.pem": { text: identity.certPem, mode: 0o644 },
    "key.pem": { text: identity.keyPem, mode: 0o600 },
    "agent.json": { text: `${JSON.stringify({ agentAddress: identity.agentAddress, serverUrl: identity.serverUrl }, null, 2)}\n`, mode: 0o644 },
  };
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const name of FILES) {
      const path = join(dir, name);
      const temporary = `${path}.tmp`;
      writeFileSync(temporary, contents[name].text, { mode: contents[name].mode, flag: "w" });
      chmodSync(temporary, contents[name].mode);
      renameSync(temporary, path);
    }
  } catch (error) {
    throw transferError("TRANSFER_BAD_IDENTITY", `Cannot save the identity in "${dir}": ${reasonOf(error)}`, { dir }, error);
  }
}

/**
 * Reads the identity saved in `dir`: null when none of its files exist (not enrolled yet).
 * Throws TRANSFER_BAD_IDENTITY when some are missing, unreadable or malformed, or when the
 * certificate is not for the key.
 */
export function loadIdentity(dir: string): SavedIdentity | null {
  const present = FILES.filter((name) => existsSync(join(dir, name)));
  if (present.length === 0) return null;
  const fail = (reason: string, cause?: unknown): never => {
    throw transferError("TRANSFER_BAD_IDENTITY", `Cannot load the identity in "${dir}": ${reason}; enroll again`, { dir }, cause);
  };
  const missing = FILES.filter((name) => !present.includes(name));
  if (missing.length > 0) fail(`${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} missing`);
  const text: Partial<Record<(typeof FILES)[number], string>> = {};
  for (const name of FILES) {
    try {
      text[name] = readFileSync(join(dir, name), "utf8");
    } catch (error) {
      fail(`cannot read ${name}: ${reasonOf(error)}`, error);
    }
  }
  let agent: { agentAddress?: unknown; serverUrl?: unknown } = {};
  try {
    agent = JSON.parse(text["agent.json"]!) as typeof agent;
  } catch (error) {
    fail("agent.json is not JSON", error);
  }
  if (typeof agent.agentAddress !== "string" || typeof agent.serverUrl !== "string") fail("agent.json lacks agentAddress or serverUrl");
  const identity = { caPem: text["ca.pem"]!, certPem: text["cert.pem"]!, keyPem: text["key.pem"]! };
  let matches = false;
  try {
    matches = new NodeCertificate(identity.certPem).checkPrivateKey(createPrivateKey(identity.keyPem)) && new NodeCertificate(identity.caPem).ca;
  } catch (error) {
    fail(`a PEM file does not parse: ${reasonOf(error)}`, error);
  }
  if (!matches) fail("cert.pem is not for key.pem, or ca.pem is not a CA certificate");
  return { ...identity, agentAddress: agent.agentAddress as string, serverUrl: agent.serverUrl as string };
}
