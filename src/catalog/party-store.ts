import { checkName } from "./checks.js";
import { catalogError } from "./errors.js";
import { dateOf, type Statements } from "./statements.js";
import type { Client, Clock, Node } from "./types.js";

interface ClientRow {
  id: number;
  name: string;
  certFingerprint: string | null;
  createdAt: number;
  lastSeen: number | null;
}
interface NodeRow extends ClientRow {
  dataAddress: string | null;
}

const CLIENT_COLUMNS = "id, name, cert_fingerprint AS certFingerprint, created_at AS createdAt, last_seen AS lastSeen";
const NODE_COLUMNS = `${CLIENT_COLUMNS}, data_address AS dataAddress`;

function clientOf(row: ClientRow): Client {
  return { id: row.id, name: row.name, certFingerprint: row.certFingerprint, createdAt: dateOf(row.createdAt), lastSeen: dateOf(row.lastSeen) };
}

function nodeOf(row: NodeRow): Node {
  return { ...clientOf(row), dataAddress: row.dataAddress };
}

/** Clients (machines whose files are backed up) and nodes (data movers), unique by name. */
export class PartyStore {
  #sql: Statements;
  #clock: Clock;

  constructor(sql: Statements, clock: Clock) {
    this.#sql = sql;
    this.#clock = clock;
  }

  /** Adds a client, or updates the certificate fingerprint of the one with that name. */
  putClient(c: { name: string; certFingerprint: string | null }): Client {
    checkName("client", c.name);
    const row = this.#sql
      .get<ClientRow>(
        `INSERT INTO clients (name, cert_fingerprint, created_at) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET cert_fingerprint = excluded.cert_fingerprint RETURNING ${CLIENT_COLUMNS}`,
      )
      .get(c.name, c.certFingerprint, this.#clock.now().getTime());
    return clientOf(row!);
  }

  getClient(name: string): Client | null {
    const row = this.#sql.get<ClientRow>(`SELECT ${CLIENT_COLUMNS} FROM clients WHERE name = ?`).get(name);
    return row === undefined ? null : clientOf(row);
  }

  listClients(): Client[] {
    return this.#sql.get<ClientRow>(`SELECT ${CLIENT_COLUMNS} FROM clients ORDER BY name`).all().map(clientOf);
  }

  /** Adds a node, or updates the data address and fingerprint of the one with that name. */
  putNode(n: { name: string; dataAddress: string | null; certFingerprint: string | null }): Node {
    checkName("node", n.name);
    const row = this.#sql
      .get<NodeRow>(
        `INSERT INTO nodes (name, data_address, cert_fingerprint, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET data_address = excluded.data_address, cert_fingerprint = excluded.cert_fingerprint
         RETURNING ${NODE_COLUMNS}`,
      )
      .get(n.name, n.dataAddress, n.certFingerprint, this.#clock.now().getTime());
    return nodeOf(row!);
  }

  getNode(name: string): Node | null {
    const row = this.#sql.get<NodeRow>(`SELECT ${NODE_COLUMNS} FROM nodes WHERE name = ?`).get(name);
    return row === undefined ? null : nodeOf(row);
  }

  listNodes(): Node[] {
    return this.#sql.get<NodeRow>(`SELECT ${NODE_COLUMNS} FROM nodes ORDER BY name`).all().map(nodeOf);
  }

  /** Records that the client was seen now. Throws CATALOG_NOT_FOUND for an unknown name. */
  touchClient(name: string): void {
    this.#touch("clients", "client", name);
  }

  touchNode(name: string): void {
    this.#touch("nodes", "node", name);
  }

  #touch(table: "clients" | "nodes", what: string, name: string): void {
    const changes = this.#sql.get(`UPDATE ${table} SET last_seen = ? WHERE name = ?`).run(this.#clock.now().getTime(), name).changes;
    if (changes === 0) throw catalogError("CATALOG_NOT_FOUND", `Cannot record contact with ${what} "${name}": no such ${what}`, { [what]: name });
  }
}
