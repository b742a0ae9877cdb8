/**
 * Test fixtures: a CA and identities issued by it, made once per test process (about 10 ms
 * each). Used by the transfer tests; not exported from index.ts.
 */
import { createAuthority, createKeyAndRequest, signRequest, type Authority, type ComponentKind } from "./pki.js";
import type { Identity } from "./tls.js";

export interface TestPki {
  ca: Authority;
  issue(kind: ComponentKind, name: string): Promise<Identity>;
}

/**
 * A new CA named `commonName`. Its certificates are valid from 2020 for 20000 days, so that
 * tests neither read the clock nor expire.
 */
export async function testPki(commonName = "reel test CA"): Promise<TestPki> {
  const now = new Date("2020-01-01T00:00:00Z");
  const days = 20000;
  const ca = await createAuthority({ commonName, now, days });
  return {
    ca,
    async issue(kind, name) {
      const { keyPem, csrPem } = await createKeyAndRequest({ kind, name });
      const certPem = await signRequest(ca, { csrPem, kind, name, now, days });
      return { caPem: ca.certPem, certPem, keyPem };
    },
  };
}
