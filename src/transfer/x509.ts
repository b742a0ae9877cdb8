/**
 * Loads @peculiar/x509 the way it needs to be loaded: reflect-metadata first (it uses tsyringe),
 * then Node's WebCrypto as its crypto provider. Import x509 from here, never directly.
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { webcrypto } from "node:crypto";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
