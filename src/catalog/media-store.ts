import { checkCount, checkHex32, checkName, checkOneOf, checkPositive, msOf } from "./checks.js";
import { catalogError } from "./errors.js";
import { idByName } from "./id-by-name.js";
import { dateOf, type Statements } from "./statements.js";
import { MEDIUM_STATES, type Clock, type Drive, type DriveKind, type Medium, type MediumState, type Pool } from "./types.js";

const POOL_COLUMNS = "id, name, retention_days AS retentionDays, drive_group AS driveGroup, medium_size AS mediumSize";
const DRIVE_SELECT = `SELECT d.id, d.name, n.name AS node, d.kind, d.path, d.channels, d.drive_group AS driveGroup, d.options
  FROM drives d JOIN nodes n ON n.id = d.node_id`;
const MEDIUM_SELECT = `SELECT m.id, m.label, p.name AS pool, m.medium_id AS mediumId, d.name AS drive, m.block_size AS blockSize,
  m.capacity, m.state, m.bytes_written AS bytesWritten, m.blocks, m.end_of_life AS endOfLife, m.created_at AS createdAt
  FROM media m JOIN pools p ON p.id = m.pool_id JOIN drives d ON d.id = m.drive_id`;

interface MediumRow extends Omit<Medium, "endOfLife" | "createdAt"> {
  endOfLife: number | null;
  createdAt: number;
}

interface DriveRow extends Omit<Drive, "options"> {
  options: string;
}

function driveOf(row: DriveRow): Drive {
  return { ...row, options: JSON.parse(row.options) as Record<string, unknown> };
}

function mediumOf(row: MediumRow): Medium {
  return { ...row, endOfLife: dateOf(row.endOfLife), createdAt: dateOf(row.createdAt) };
}

/** A pool name fit for medium labels ("DAILY00017"): letters, digits, "-" and "_". */
function checkPoolName(name: string): string {
  if (typeof name !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/.test(name)) {
    throw catalogError("CATALOG_INVALID", `Invalid pool name ${JSON.stringify(name)}: give 1 to 32 letters, digits, "-" or "_", starting with a letter or digit`, { name });
  }
  return name;
}

export type MediumChange = Partial<{ state: MediumState; bytesWritten: number; blocks: number; endOfLife: Date | null }>;

/** Pools, drives and media. */
export class MediaStore {
  #sql: Statements;
  #clock: Clock;

  constructor(sql: Statements, clock: Clock) {
    this.#sql = sql;
    this.#clock = clock;
  }

  /** Adds a pool or updates the one with that name (its label counter stays). */
  putPool(p: { name: string; retentionDays: number; driveGroup: string; mediumSize: number }): Pool {
    checkPoolName(p.name);
    checkCount("retention in days", p.retentionDays);
    checkName("drive group", p.driveGroup);
    checkPositive("medium size", p.mediumSize);
    return this.#sql
      .get<Pool>(
        `INSERT INTO pools (name, retention_days, drive_group, medium_size) VALUES (?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET retention_days = excluded.retention_days, drive_group = excluded.drive_group,
           medium_size = excluded.medium_size
         RETURNING ${POOL_COLUMNS}`,
      )
      .get(p.name, p.retentionDays, p.driveGroup, p.mediumSize)!;
  }

  getPool(name: string): Pool | null {
    return this.#sql.get<Pool>(`SELECT ${POOL_COLUMNS} FROM pools WHERE name = ?`).get(name) ?? null;
  }

  listPools(): Pool[] {
    return this.#sql.get<Pool>(`SELECT ${POOL_COLUMNS} FROM pools ORDER BY name`).all();
  }

  /** Adds a drive or updates the one with that name. Throws CATALOG_NOT_FOUND for an unknown node. */
  putDrive(d: { name: string; node: string; kind: DriveKind; path: string; channels: number; driveGroup: string; options?: Record<string, unknown> }): Drive {
    checkName("drive", d.name);
    checkOneOf("drive kind", d.kind, ["dir", "vtl", "tape"]);
    checkPositive("channel count", d.channels);
    checkName("drive group", d.driveGroup);
    if (typeof d.path !== "string" || d.path.length === 0) throw catalogError("CATALOG_INVALID", `Invalid path for drive "${d.name}": give a non-empty path`, { drive: d.name });
    const nodeId = idByName(this.#sql, "nodes", d.node, `add drive "${d.name}"`);
    this.#sql
      .get(
        `INSERT INTO drives (name, node_id, kind, path, channels, drive_group, options) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET node_id = excluded.node_id, kind = excluded.kind, path = excluded.path,
           channels = excluded.channels, drive_group = excluded.drive_group, options = excluded.options`,
      )
      .run(d.name, nodeId, d.kind, d.path, d.channels, d.driveGroup, JSON.stringify(d.options ?? {}));
    return this.getDrive(d.name)!;
  }

  getDrive(name: string): Drive | null {
    const row = this.#sql.get<DriveRow>(`${DRIVE_SELECT} WHERE d.name = ?`).get(name);
    return row === undefined ? null : driveOf(row);
  }

  listDrives(): Drive[] {
    return this.#sql.get<DriveRow>(`${DRIVE_SELECT} ORDER BY d.name`).all().map(driveOf);
  }

  /** Adds an empty medium. Throws CATALOG_CONFLICT when the label or medium id is taken. */
  addMedium(m: { label: string; pool: string; mediumId: string; drive: string; blockSize: number; capacity: number }): Medium {
    checkName("medium", m.label);
    const mediumId = checkHex32("medium id", m.mediumId);
    checkPositive("block size", m.blockSize);
    checkCount("capacity", m.capacity);
    const purpose = `add medium "${m.label}"`;
    const poolId = idByName(this.#sql, "pools", m.pool, purpose);
    const driveId = idByName(this.#sql, "drives", m.drive, purpose);
    const clash = this.#sql.get<{ label: string }>("SELECT label FROM media WHERE label = ? OR medium_id = ?").get(m.label, mediumId);
    if (clash !== undefined) {
      const which = clash.label === m.label ? "label" : `medium id ${mediumId}`;
      throw catalogError("CATALOG_CONFLICT", `Cannot ${purpose}: medium "${clash.label}" already has that ${which}`, { label: m.label, mediumId });
    }
    const result = this.#sql
      .get("INSERT INTO media (label, pool_id, medium_id, drive_id, block_size, capacity, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .run(m.label, poolId, mediumId, driveId, m.blockSize, m.capacity, this.#clock.now().getTime());
    return this.getMedium(Number(result.lastInsertRowid))!;
  }

  /** Changes a medium's state and counters. Throws CATALOG_NOT_FOUND for an unknown id. */
  updateMedium(id: number, change: MediumChange): void {
    const columns = {
      state: change.state === undefined ? undefined : checkOneOf("medium state", change.state, MEDIUM_STATES),
      bytes_written: change.bytesWritten === undefined ? undefined : checkCount("bytes written", change.bytesWritten),
      blocks: change.blocks === undefined ? undefined : checkCount("block count", change.blocks),
      end_of_life: change.endOfLife === undefined ? undefined : change.endOfLife === null ? null : msOf("end of life", change.endOfLife),
    };
    if (!this.#sql.updateById("media", id, columns)) {
      throw catalogError("CATALOG_NOT_FOUND", `Cannot update medium ${id}: no such medium`, { mediumId: id });
    }
  }

  getMedium(idOrLabel: number | string): Medium | null {
    const where = typeof idOrLabel === "number" ? "m.id = ?" : "m.label = ?";
    const row = this.#sql.get<MediumRow>(`${MEDIUM_SELECT} WHERE ${where}`).get(idOrLabel);
    return row === undefined ? null : mediumOf(row);
  }

  listMedia(filter: { pool?: string; state?: MediumState; drive?: string } = {}): Medium[] {
    const rows = this.#sql
      .get<MediumRow>(`${MEDIUM_SELECT} WHERE (@pool IS NULL OR p.name = @pool) AND (@state IS NULL OR m.state = @state) AND (@drive IS NULL OR d.name = @drive) ORDER BY m.id`)
      .all({ pool: filter.pool ?? null, state: filter.state ?? null, drive: filter.drive ?? null });
    return rows.map(mediumOf);
  }

  /**
   * Hands out an `empty` medium again: it gets a new medium id (its label block is written anew,
   * labels are never rewritten in place) and becomes `appendable` with no blocks and no end of
   * life, so that it is not handed out twice; block size and capacity are those of its new
   * label block. Throws CATALOG_NOT_FOUND for an unknown id, CATALOG_CONFLICT when the medium is
   * not empty or the medium id is taken.
   */
  reuseMedium(id: number, label: { mediumId: string; blockSize: number; capacity: number }): Medium {
    const newId = checkHex32("medium id", label.mediumId);
    checkPositive("block size", label.blockSize);
    checkCount("capacity", label.capacity);
    return this.#sql.transaction(() => {
      const medium = this.getMedium(id);
      if (medium === null) throw catalogError("CATALOG_NOT_FOUND", `Cannot reuse medium ${id}: no such medium`, { mediumId: id });
      if (medium.state !== "empty") throw catalogError("CATALOG_CONFLICT", `Cannot reuse medium "${medium.label}": it is ${medium.state}, not empty`, { label: medium.label, state: medium.state });
      const clash = this.#sql.pluck<string>("SELECT label FROM media WHERE medium_id = ?").get(newId);
      if (clash !== undefined) throw catalogError("CATALOG_CONFLICT", `Cannot reuse medium "${medium.label}": medium "${clash}" already has medium id ${newId}`, { label: medium.label, mediumId: newId });
      this.#sql
        .get("UPDATE media SET medium_id = ?, block_size = ?, capacity = ?, state = 'appendable', blocks = 0, bytes_written = 0, end_of_life = NULL WHERE id = ?")
        .run(newId, label.blockSize, label.capacity, id);
      return this.getMedium(id)!;
    });
  }

  /**
   * Makes a medium whose volume was erased `empty` again (no blocks, no bytes, no end of life),
   * ready to be handed out by reuseMedium. Throws CATALOG_NOT_FOUND for an unknown id,
   * CATALOG_CONFLICT while a copy of a saveset still lies on it.
   */
  recycleMedium(id: number): Medium {
    return this.#sql.transaction(() => {
      const medium = this.getMedium(id);
      if (medium === null) throw catalogError("CATALOG_NOT_FOUND", `Cannot recycle medium ${id}: no such medium`, { mediumId: id });
      const held = this.#sql.pluck<number>(
        "SELECT COUNT(*) FROM (SELECT copy_id FROM copy_segments WHERE medium_id = @medium UNION SELECT copy_id FROM copy_extents WHERE medium_id = @medium)",
      ).get({ medium: id })!;
      if (held > 0) throw catalogError("CATALOG_CONFLICT", `Cannot recycle medium "${medium.label}": ${held} saveset cop${held === 1 ? "y lies" : "ies lie"} on it`, { label: medium.label, copies: held });
      this.#sql.get("UPDATE media SET state = 'empty', blocks = 0, bytes_written = 0, end_of_life = NULL WHERE id = ?").run(id);
      return this.getMedium(id)!;
    });
  }

  /**
   * The next label of a pool: its name in upper case and a 5-digit counter ("DAILY00017"). The
   * counter only goes up, so a label is never handed out twice, even after its medium is gone.
   */
  nextMediumLabel(pool: string): string {
    return this.#sql.transaction(() => {
      const poolId = idByName(this.#sql, "pools", pool, "make a medium label");
      for (;;) {
        const n = this.#sql.pluck<number>("UPDATE pools SET next_label = next_label + 1 WHERE id = ? RETURNING next_label - 1").get(poolId)!;
        const label = `${pool.toUpperCase()}${String(n).padStart(5, "0")}`;
        if (this.#sql.get("SELECT 1 FROM media WHERE label = ?").get(label) === undefined) return label;
      }
    });
  }
}
