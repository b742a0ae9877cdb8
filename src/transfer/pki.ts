/**
 * The certificates of reel's private CA (docs/protocol.md §3): ECDSA P-256 keys, the CA's
 * self-signed certificate, CSRs made by agents and the certificates the server issues. A
 * component's identity is the SAN URI `reel:<kind>:<name>` of its certificate.
 */
import { createHash, randomBytes, webcrypto, X509Certificate as NodeCertificate } from "node:crypto";
import { transferError } from "./errors.js";
import { x509 } from "./x509.js";

/** The server's CA: its certificate and PKCS#8 private key, both PEM. */
export interface Authority {
  certPem: string;
  keyPem: string;
}

export type ComponentKind = "server" | "node" | "client";

const KINDS: readonly ComponentKind[] = ["server", "node", "client"];
const KEY_ALGORITHM = { name: "ECDSA", namedCurve: "P-256" };
const SIGNING_ALGORITHM = { name: "ECDSA", hash: "SHA-256" };
const DAY_MS = 24 * 60 * 60 * 1000;
/** notBefore lies this far before `now`, so that peers whose clocks lag a little accept a new certificate. */
const BACKDATE_MS = 5 * 60 * 1000;
const DEFAULT_CA_DAYS = 3650;
const DEFAULT_CERT_DAYS = 730;
/** Component names: what fits a host name label or a dotted host name, 1–64 characters. */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Tells whether `name` may name a component in a certificate (letters, digits, `.`, `_`, `-`; 1–64). */
export function isComponentName(name: string): boolean {
  return NAME_PATTERN.test(name);
}

/** The SAN URI that carries a component's identity. */
export function identityUri(kind: ComponentKind, name: string): string {
  return `reel:${kind}:${name}`;
}

/** Creates a CA: a new P-256 key and a self-signed certificate valid from `now` for `days` (default 3650). */
export async function createAuthority(o: { commonName: string; now: Date; days?: number }): Promise<Authority> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: newSerialNumber(),
    name: [{ CN: [o.commonName] }],
    ...validity(o.now, o.days ?? DEFAULT_CA_DAYS),
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString("pem"), keyPem: await privateKeyPem(keys.privateKey) };
}

/**
 * Creates an agent's key and a CSR for it. The CSR names `kind` and `name` only as a hint: the
 * certificate's identity is what the server decides when it signs. The key never leaves the agent.
 */
export async function createKeyAndRequest(o: { kind: ComponentKind; name: string }): Promise<{ keyPem: string; csrPem: string }> {
  checkName(o.kind, o.name);
  const keys = await newKeys();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [o.name] }],
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: "url", value: identityUri(o.kind, o.name) }])],
  });
  return { keyPem: await privateKeyPem(keys.privateKey), csrPem: csr.toString("pem") };
}

/**
 * Signs a CSR with the CA: the certificate's identity is `reel:<kind>:<name>` (SAN URI) and
 * CN = name, whatever the CSR asked for; `dns` and `ips` add SAN entries for other clients
 * (browsers, curl) of the same key. EKU serverAuth + clientAuth; valid from `now` for `days`
 * (default 730). Throws TRANSFER_BAD_CERTIFICATE for a CSR that does not parse or whose
 * signature does not verify, TRANSFER_BAD_NAME for a name outside isComponentName.
 */
export async function signRequest(
  ca: Authority,
  o: { csrPem: string; kind: ComponentKind; name: string; dns?: string[]; ips?: string[]; now: Date; days?: number },
): Promise<string> {
  checkName(o.kind, o.name);
  const csr = await parseRequest(o.csrPem, `${o.kind} "${o.name}"`);
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await importPrivateKey(ca.keyPem);
  const names: Array<{ type: "url" | "dns" | "ip"; value: string }> = [{ type: "url", value: identityUri(o.kind, o.name) }];
  for (const dns of o.dns ?? []) names.push({ type: "dns", value: dns });
  for (const ip of o.ips ?? []) names.push({ type: "ip", value: ip });
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: newSerialNumber(),
    subject: [{ CN: [o.name] }],
    issuer: caCert.subject,
    ...validity(o.now, o.days ?? DEFAULT_CERT_DAYS),
    publicKey: csr.publicKey,
    signingKey: caKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.SubjectKeyIdentifierExtension.create(csr.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
    ],
  });
  return cert.toString("pem");
}

/**
 * The identity in a certificate's SAN URI `reel:<kind>:<name>`, or null when the certificate
 * does not parse or carries no valid reel identity. Does not verify the certificate: TLS does.
 */
export function identityOf(certDerOrPem: Uint8Array | string): { kind: ComponentKind; name: string } | null {
  let san: InstanceType<typeof x509.SubjectAlternativeNameExtension> | null;
  try {
    const cert = new x509.X509Certificate(typeof certDerOrPem === "string" ? certDerOrPem : Uint8Array.from(certDerOrPem));
    san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  } catch {
    return null;
  }
  for (const item of san?.names.items ?? []) {
    if (item.type !== "url") continue;
    const match = /^reel:([a-z]+):(.*)$/.exec(item.value);
    if (match === null) continue;
    const kind = match[1] as ComponentKind;
    const name = match[2]!;
    if (KINDS.includes(kind) && isComponentName(name)) return { kind, name };
  }
  return null;
}

/** The SHA-256 of a certificate's DER encoding, as 64 lower-case hex digits. */
export function fingerprintOf(certPem: string | Uint8Array): string {
  const der = typeof certPem === "string" ? new NodeCertificate(certPem).raw : certPem;
  return createHash("sha256").update(der).digest("hex");
}

function checkName(kind: ComponentKind, name: string): void {
  if (!KINDS.includes(kind)) throw transferError("TRANSFER_BAD_NAME", `Cannot name a component of kind "${String(kind)}": the kinds are ${KINDS.join(", ")}`);
  if (!isComponentName(name)) {
    throw transferError("TRANSFER_BAD_NAME", `Cannot name ${kind} "${name}": a name has 1 to 64 letters, digits, ".", "_" or "-" and starts with a letter or digit`, { kind, name });
  }
}

async function parseRequest(csrPem: string, what: string): Promise<InstanceType<typeof x509.Pkcs10CertificateRequest>> {
  let csr: InstanceType<typeof x509.Pkcs10CertificateRequest>;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch (error) {
    throw transferError("TRANSFER_BAD_CERTIFICATE", `Cannot sign the request of ${what}: it is not a PEM PKCS#10 request`, {}, error);
  }
  let valid = false;
  try {
    valid = await csr.verify();
  } catch (error) {
    throw transferError("TRANSFER_BAD_CERTIFICATE", `Cannot sign the request of ${what}: its key or signature algorithm is not supported`, {}, error);
  }
  if (!valid) throw transferError("TRANSFER_BAD_CERTIFICATE", `Cannot sign the request of ${what}: its signature does not verify`);
  return csr;
}

async function newKeys(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"]));
}

async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY");
}

async function importPrivateKey(keyPem: string): Promise<webcrypto.CryptoKey> {
  try {
    return await webcrypto.subtle.importKey("pkcs8", x509.PemConverter.decodeFirst(keyPem), KEY_ALGORITHM, false, ["sign"]);
  } catch (error) {
    throw transferError("TRANSFER_BAD_CERTIFICATE", "Cannot read the CA's private key: it is not a PEM PKCS#8 ECDSA P-256 key", {}, error);
  }
}

/** 16 random bytes as hex, positive (RFC 5280 §4.1.2.2: at most 20 octets, non-negative). */
function newSerialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString("hex");
}

function validity(now: Date, days: number): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(now.getTime() - BACKDATE_MS), notAfter: new Date(now.getTime() + days * DAY_MS) };
}
