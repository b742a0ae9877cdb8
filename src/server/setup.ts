/**
 * The server's data directory (docs/operations.md): made on first start — the catalog, the
 * private CA, the server's own certificate, an admin token, the default pool and `dir` drive,
 * and the identities of the embedded node and client agent — and read on every later start.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Catalog } from "../catalog/index.js";
import { type Authority, createAuthority, createKeyAndRequest, type Identity, signRequest } from "../transfer/index.js";
import { serverError } from "./errors.js";

export const EMBEDDED_NODE = "local";
export const EMBEDDED_CLIENT = "localhost";

export interface DataDir {
  catalog: Catalog;
  ca: Authority;
  server: Identity;
  embeddedNode: Identity;
  embeddedClient: Identity;
  adminToken: string;
  created: boolean;
  /** The catalog file was missing on a later start: a new one was made (media scan brings back the rest). */
  isCatalogNew: boolean;
}

export function newToken(): string {
  return `reel_${randomBytes(24).toString("base64url")}`;
}

function writeSecret(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}

async function issue(ca: Authority, kind: "server" | "node" | "client", name: string, now: Date): Promise<Identity> {
  const request = await createKeyAndRequest({ kind, name });
  const certPem = await signRequest(ca, { csrPem: request.csrPem, kind, name, dns: ["localhost"], ips: ["127.0.0.1", "::1"], now });
  return { caPem: ca.certPem, certPem, keyPem: request.keyPem };
}

function saveIdentity(dir: string, identity: Identity): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, "ca.pem"), identity.caPem);
  writeFileSync(join(dir, "cert.pem"), identity.certPem);
  writeSecret(join(dir, "key.pem"), identity.keyPem);
}

function loadIdentity(dir: string): Identity {
  return { caPem: readFileSync(join(dir, "ca.pem"), "utf8"), certPem: readFileSync(join(dir, "cert.pem"), "utf8"), keyPem: readFileSync(join(dir, "key.pem"), "utf8") };
}

/** Opens (and on first start, initialises) the data directory. */
export async function openDataDir(dir: string, now: () => Date): Promise<DataDir> {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw serverError("SERVER_DATA_DIR", `Cannot create the data directory "${dir}": ${error instanceof Error ? error.message : String(error)}`, { dir }, error);
  }
  const created = !existsSync(join(dir, "ca", "cert.pem"));
  const isCatalogLost = !created && !existsSync(join(dir, "catalog.sqlite"));
  const catalog = Catalog.open(join(dir, "catalog.sqlite"), { now });
  try {
    if (created) await initialise(dir, catalog, now());
    // The catalog is gone but the identities stay: a new catalog knows what the first start made; `reel media scan` brings back the rest.
    else if (isCatalogLost) seedCatalog(dir, catalog, readFileSync(join(dir, "admin.token"), "utf8").trim());
    const ca = { certPem: readFileSync(join(dir, "ca", "cert.pem"), "utf8"), keyPem: readFileSync(join(dir, "ca", "key.pem"), "utf8") };
    return {
      catalog, ca, created,
      server: loadIdentity(join(dir, "server")),
      embeddedNode: loadIdentity(join(dir, "agents", `node-${EMBEDDED_NODE}`)),
      embeddedClient: loadIdentity(join(dir, "agents", `client-${EMBEDDED_CLIENT}`)),
      adminToken: readFileSync(join(dir, "admin.token"), "utf8").trim(),
      isCatalogNew: isCatalogLost,
    };
  } catch (error) {
    catalog.close();
    if (error instanceof Error && "code" in error && typeof error.code === "string" && error.code.startsWith("E")) {
      throw serverError("SERVER_DATA_DIR", `Cannot read the data directory "${dir}": ${error.message}`, { dir }, error);
    }
    throw error;
  }
}

/** What a new catalog starts with: the admin token, the embedded node and client, the default pool and drive. */
function seedCatalog(dir: string, catalog: Catalog, adminToken: string): void {
  catalog.transaction(() => {
    catalog.addApiToken({ name: "admin", role: "admin", token: adminToken });
    catalog.putNode({ name: EMBEDDED_NODE, dataAddress: null, certFingerprint: null });
    catalog.putClient({ name: EMBEDDED_CLIENT, certFingerprint: null });
    catalog.putPool({ name: "default", retentionDays: 30, driveGroup: "default", mediumSize: 4 * 1024 ** 3 });
    catalog.putDrive({ name: "disk0", node: EMBEDDED_NODE, kind: "dir", path: join(dir, "media"), channels: 8, driveGroup: "default" });
  });
}

async function initialise(dir: string, catalog: Catalog, now: Date): Promise<void> {
  const ca = await createAuthority({ commonName: "reel CA", now });
  const server = await issue(ca, "server", "server", now);
  saveIdentity(join(dir, "server"), server);
  saveIdentity(join(dir, "agents", `node-${EMBEDDED_NODE}`), await issue(ca, "node", EMBEDDED_NODE, now));
  saveIdentity(join(dir, "agents", `client-${EMBEDDED_CLIENT}`), await issue(ca, "client", EMBEDDED_CLIENT, now));
  const token = newToken();
  seedCatalog(dir, catalog, token);
  mkdirSync(join(dir, "media"), { recursive: true });
  writeSecret(join(dir, "admin.token"), `${token}\n`);
  // The CA's key last: its presence marks a finished initialisation.
  mkdirSync(join(dir, "ca"), { recursive: true, mode: 0o700 });
  writeSecret(join(dir, "ca", "key.pem"), ca.keyPem);
  writeFileSync(join(dir, "ca", "cert.pem"), ca.certPem);
}
