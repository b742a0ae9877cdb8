import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { test } from "node:test";
import { isReelError } from "../errors/index.js";
import { createAuthority, createKeyAndRequest, fingerprintOf, identityOf, isComponentName, signRequest } from "./pki.js";

const now = new Date("2026-03-01T12:00:00Z");

test("signRequest() issues a certificate whose identity the server chose, chained to the CA", async () => {
  const ca = await createAuthority({ commonName: "reel CA", now });
  // The CSR asks for node "n1"; the server's decision (the token) says client "c7".
  const { keyPem, csrPem } = await createKeyAndRequest({ kind: "node", name: "n1" });
  const certPem = await signRequest(ca, { csrPem, kind: "client", name: "c7", dns: ["c7.example"], ips: ["10.0.0.7"], now, days: 10 });

  assert.deepEqual(identityOf(certPem), { kind: "client", name: "c7" });
  const cert = new X509Certificate(certPem);
  const caCert = new X509Certificate(ca.certPem);
  assert.equal(cert.subject, "CN=c7");
  assert.equal(cert.subjectAltName, "URI:reel:client:c7, DNS:c7.example, IP Address:10.0.0.7");
  assert.ok(cert.checkIssued(caCert) && cert.verify(caCert.publicKey));
  assert.ok(cert.checkPrivateKey((await import("node:crypto")).createPrivateKey(keyPem)));
  assert.equal(cert.ca, false);
  assert.equal(caCert.ca, true);
  assert.deepEqual(cert.keyUsage, ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]);
  assert.equal(new Date(cert.validTo).getTime(), now.getTime() + 10 * 86_400_000);
  assert.ok(new Date(cert.validFrom).getTime() < now.getTime(), "backdated for clock skew");
  assert.equal(fingerprintOf(certPem), cert.fingerprint256.replace(/:/g, "").toLowerCase());
  assert.equal(fingerprintOf(new Uint8Array(cert.raw)), fingerprintOf(certPem));
  assert.deepEqual(identityOf(new Uint8Array(cert.raw)), { kind: "client", name: "c7" });
});

test("identityOf() is null for certificates without a valid reel identity, and for garbage", async () => {
  const ca = await createAuthority({ commonName: "reel CA", now });
  assert.equal(identityOf(ca.certPem), null);
  assert.equal(identityOf("not a certificate"), null);
  assert.equal(identityOf(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01])), null);
});

test("signRequest() refuses requests that do not parse or verify, and names outside the rule", async () => {
  const ca = await createAuthority({ commonName: "reel CA", now });
  const { csrPem } = await createKeyAndRequest({ kind: "node", name: "n1" });
  await assert.rejects(signRequest(ca, { csrPem: "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----", kind: "node", name: "n1", now }), (e: unknown) =>
    isReelError(e, "TRANSFER_BAD_CERTIFICATE"),
  );
  // Flip a bit of the signature (the last bytes of the DER): proof of possession fails.
  const der = Buffer.from(csrPem.replace(/-----[^-]+-----|\s/g, ""), "base64");
  der[der.length - 2]! ^= 0x01;
  const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString("base64")}\n-----END CERTIFICATE REQUEST-----\n`;
  await assert.rejects(signRequest(ca, { csrPem: tampered, kind: "node", name: "n1", now }), (e: unknown) => isReelError(e, "TRANSFER_BAD_CERTIFICATE"));
  for (const bad of ["", "-n", ".x", "a b", "a:b", "x".repeat(65), "é"]) {
    assert.equal(isComponentName(bad), false, bad);
    await assert.rejects(signRequest(ca, { csrPem, kind: "node", name: bad, now }), (e: unknown) => isReelError(e, "TRANSFER_BAD_NAME"), bad);
  }
  for (const good of ["n1", "db-01.example.com", "A_b", "x".repeat(64)]) assert.equal(isComponentName(good), true, good);
});
