import { createHash } from "node:crypto";
import { checkName, checkOneOf, msOf } from "./checks.js";
import { catalogError } from "./errors.js";
import type { Statements } from "./statements.js";
import { ROLES, type Clock, type EnrollKind, type Role } from "./types.js";

/** What the catalog keeps of a token: its SHA-256, never the token itself. */
function hashOf(token: string): Buffer {
  if (typeof token !== "string" || token.length < 16) {
    throw catalogError("CATALOG_INVALID", "Invalid token: give a string of at least 16 characters", {});
  }
  return createHash("sha256").update(token, "utf8").digest();
}

export interface ApiTokenInfo {
  id: number;
  name: string;
  role: Role;
  createdAt: Date;
}

/** API tokens (for people and scripts) and one-time enrollment tokens (for nodes and clients). */
export class TokenStore {
  #sql: Statements;
  #clock: Clock;

  constructor(sql: Statements, clock: Clock) {
    this.#sql = sql;
    this.#clock = clock;
  }

  addApiToken(t: { name: string; role: Role; token: string }): { id: number } {
    checkName("API token", t.name);
    checkOneOf("role", t.role, ROLES);
    const hash = hashOf(t.token);
    if (this.#sql.get("SELECT 1 FROM api_tokens WHERE token_hash = ?").get(hash) !== undefined) {
      throw catalogError("CATALOG_CONFLICT", `Cannot add API token "${t.name}": the same token is already stored`, { name: t.name });
    }
    const result = this.#sql
      .get("INSERT INTO api_tokens (name, role, token_hash, created_at) VALUES (?, ?, ?, ?)")
      .run(t.name, t.role, hash, this.#clock.now().getTime());
    return { id: Number(result.lastInsertRowid) };
  }

  findApiToken(token: string): { id: number; name: string; role: Role } | null {
    if (typeof token !== "string" || token.length === 0) return null;
    const hash = createHash("sha256").update(token, "utf8").digest();
    return this.#sql.get<{ id: number; name: string; role: Role }>("SELECT id, name, role FROM api_tokens WHERE token_hash = ?").get(hash) ?? null;
  }

  listApiTokens(): ApiTokenInfo[] {
    return this.#sql
      .get<{ id: number; name: string; role: Role; createdAt: number }>("SELECT id, name, role, created_at AS createdAt FROM api_tokens ORDER BY id")
      .all()
      .map((row) => ({ ...row, createdAt: new Date(row.createdAt) }));
  }

  /** Revokes an API token; false when there was none with that id. */
  deleteApiToken(id: number): boolean {
    return this.#sql.get("DELETE FROM api_tokens WHERE id = ?").run(id).changes > 0;
  }

  addEnrollToken(t: { kind: EnrollKind; name: string | null; token: string; expiresAt: Date }): void {
    checkOneOf("enrollment kind", t.kind, ["node", "client"]);
    if (t.name !== null) checkName(t.kind, t.name);
    const hash = hashOf(t.token);
    const expiresAt = msOf("expiry", t.expiresAt);
    if (this.#sql.get("SELECT 1 FROM enroll_tokens WHERE token_hash = ?").get(hash) !== undefined) {
      throw catalogError("CATALOG_CONFLICT", "Cannot add enrollment token: the same token is already stored", { kind: t.kind });
    }
    this.#sql
      .get("INSERT INTO enroll_tokens (kind, name, token_hash, expires_at, created_at) VALUES (?, ?, ?, ?, ?)")
      .run(t.kind, t.name, hash, expiresAt, this.#clock.now().getTime());
  }

  /**
   * Uses up an enrollment token: returns what it enrolls, or null when the token is unknown,
   * already used or expired. One statement, so two callers cannot both consume it.
   */
  consumeEnrollToken(token: string): { kind: EnrollKind; name: string | null } | null {
    if (typeof token !== "string" || token.length === 0) return null;
    const hash = createHash("sha256").update(token, "utf8").digest();
    const now = this.#clock.now().getTime();
    return (
      this.#sql
        .get<{ kind: EnrollKind; name: string | null }>(
          "UPDATE enroll_tokens SET used_at = @now WHERE token_hash = @hash AND used_at IS NULL AND expires_at > @now RETURNING kind, name",
        )
        .get({ now, hash }) ?? null
    );
  }
}
