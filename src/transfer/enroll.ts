/**
 * The agent's side of enrollment (docs/protocol.md §5): make a key and a CSR here, send the CSR
 * with the one-time token to the server, and check the certificate that comes back. The private
 * key never leaves the agent.
 */
import { X509Certificate as NodeCertificate, createPrivateKey } from "node:crypto";
import { ReelError } from "../errors/index.js";
import { reasonOf, transferError } from "./errors.js";
import { createKeyAndRequest, fingerprintOf, identityOf } from "./pki.js";
import type { Identity } from "./tls.js";

/** The path of the enrollment route under the server URL. */
export const ENROLL_PATH = "/api/v1/enroll";

export interface EnrollOptions {
  /** `http(s)://host:port` of the server's API. */
  serverUrl: string;
  token: string;
  kind: "node" | "client";
  name: string;
  /** host:port where this node takes data connections (nodes only). */
  dataAddress?: string;
  /** The token may name the agent: accept the name the server puts in the certificate (the kind must still match). */
  acceptServerName?: boolean;
  /**
   * SHA-256 of the CA certificate (hex, colons allowed) as the administrator got it from the
   * server. When given, a CA that does not match is refused: this pins the CA even over plain HTTP.
   */
  caFingerprint?: string;
}

/**
 * Enrolls this agent: POSTs `{ token, kind, name, csr, dataAddress? }` to `${serverUrl}/api/v1/enroll`
 * and returns the new identity and the server's agent listener address. A 4xx/5xx answer
 * `{ error: { code, message } }` rejects with a ReelError of that code; anything else that goes
 * wrong is TRANSFER_ENROLL_FAILED.
 */
export async function enroll(o: EnrollOptions): Promise<Identity & { agentAddress: string }> {
  const who = `${o.kind} "${o.name}"`;
  const url = enrollUrl(o.serverUrl, who);
  const { keyPem, csrPem } = await createKeyAndRequest({ kind: o.kind, name: o.name });
  const body = { token: o.token, kind: o.kind, name: o.name, csr: csrPem, ...(o.dataAddress === undefined ? {} : { dataAddress: o.dataAddress }) };
  let response: Response;
  try {
    response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  } catch (error) {
    throw transferError("TRANSFER_ENROLL_FAILED", `Cannot enroll ${who} at ${url}: ${reasonOf((error as Error).cause ?? error)}`, { url }, error);
  }
  const answer = await readAnswer(response, who, url);
  const identity = { caPem: answer.caPem, certPem: answer.certPem, keyPem };
  checkIssued(identity, o, who);
  return { ...identity, agentAddress: answer.agentAddress };
}

function enrollUrl(serverUrl: string, who: string): string {
  let url: URL;
  try {
    url = new URL(serverUrl);
  } catch {
    url = new URL("invalid:");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw transferError("TRANSFER_ENROLL_FAILED", `Cannot enroll ${who}: "${serverUrl}" is not an http:// or https:// URL`, { serverUrl });
  }
  return `${serverUrl.replace(/\/+$/, "")}${ENROLL_PATH}`;
}

async function readAnswer(response: Response, who: string, url: string): Promise<{ certPem: string; caPem: string; agentAddress: string }> {
  const text = await response.text().catch(() => "");
  let value: unknown = null;
  try {
    value = JSON.parse(text);
  } catch {
    // Reported below with the status and the start of the body.
  }
  const fields = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  if (!response.ok) {
    const error = fields["error"] as { code?: unknown; message?: unknown } | undefined;
    if (typeof error?.code === "string" && typeof error.message === "string") {
      throw new ReelError(error.code, error.message, { details: { status: response.status, url } });
    }
    throw transferError("TRANSFER_ENROLL_FAILED", `Cannot enroll ${who} at ${url}: the server answered HTTP ${response.status}: ${text.slice(0, 200)}`, { status: response.status, url });
  }
  const { certPem, caPem, agentAddress } = fields;
  if (typeof certPem !== "string" || typeof caPem !== "string" || typeof agentAddress !== "string") {
    throw transferError("TRANSFER_ENROLL_FAILED", `Cannot enroll ${who} at ${url}: the answer lacks certPem, caPem or agentAddress`, { url });
  }
  return { certPem, caPem, agentAddress };
}

/** Checks that the certificate is for our key and identity and was issued by the CA that came with it. */
function checkIssued(identity: Identity, o: EnrollOptions, who: string): void {
  const fail = (reason: string, cause?: unknown): never => {
    throw transferError("TRANSFER_ENROLL_FAILED", `Cannot enroll ${who}: ${reason}`, {}, cause);
  };
  let cert: NodeCertificate;
  let ca: NodeCertificate;
  try {
    cert = new NodeCertificate(identity.certPem);
    ca = new NodeCertificate(identity.caPem);
  } catch (error) {
    return fail("the server sent a certificate that does not parse", error);
  }
  if (o.caFingerprint !== undefined && fingerprintOf(identity.caPem) !== o.caFingerprint.replace(/:/g, "").toLowerCase()) {
    fail(`the server's CA has fingerprint ${fingerprintOf(identity.caPem)}, not the expected ${o.caFingerprint}`);
  }
  if (!cert.checkPrivateKey(createPrivateKey(identity.keyPem))) fail("the certificate is not for the key this agent made");
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) fail("the certificate was not issued by the CA that came with it");
  const issued = identityOf(identity.certPem);
  if (issued === null || issued.kind !== o.kind || (issued.name !== o.name && o.acceptServerName !== true)) {
    fail(`the certificate names ${issued === null ? "no reel identity" : `${issued.kind} "${issued.name}"`}`);
  }
}
