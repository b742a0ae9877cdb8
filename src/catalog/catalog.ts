import type Database from "better-sqlite3";
import { ChainBrowser } from "./chain-browse.js";
import { walkChain } from "./chain-walk.js";
import { CopyStore, type NewCopy } from "./copy-store.js";
import { openDatabase } from "./database.js";
import type { DirectoryListing } from "./directory-listing.js";
import { DirDictionary } from "./dir-dictionary.js";
import { catalogError } from "./errors.js";
import { driverError } from "./driver-errors.js";
import { FileIndexWriter } from "./file-index-writer.js";
import { JobStore, type JobChange, type NewJob } from "./job-store.js";
import { MediaStore, type MediumChange } from "./media-store.js";
import { MIGRATIONS } from "./migrations/list.js";
import { PartyStore } from "./party-store.js";
import { SavesetStore, type NewSaveset } from "./saveset-store.js";
import { Statements } from "./statements.js";
import { TaskStore } from "./task-store.js";
import { TokenStore, type ApiTokenInfo } from "./token-store.js";
import type {
  BrowseRow, Client, Clock, Copy, Drive, DriveKind, EnrollKind, FileRow, Job, JobState, Level, Medium, MediumState, Node, Pool, Role, Saveset,
  SavesetStatus, Task,
} from "./types.js";

/** Counts and on-disk size of the file index. */
export interface IndexStats {
  fileRows: number;
  /** Directories in the shared dictionary (the root not counted). */
  dirRows: number;
  /** Bytes of the pages of the file-index tables and their index. */
  fileBytes: number;
}

/**
 * Writes one saveset's file index (file-index-writer.ts). Rows are committed in batches as they
 * come; `finish()` commits the last, partial batch: rows added after the last batch and not
 * finished are dropped.
 */
export interface IndexWriter {
  /** Adds a row. Throws CATALOG_BAD_PATH or CATALOG_INVALID for a bad row (the writer stays usable), CATALOG_STORAGE_FAILED when a batch cannot be written (it then refuses further use). */
  add(row: FileRow): void;
  /** Commits the rows still pending; idempotent. */
  finish(): void;
}

/**
 * The catalog of a reel server: one SQLite file (WAL, foreign keys on, synchronous=NORMAL)
 * behind a synchronous API. The server holds one Catalog per process, its only writer. Every
 * method throws ReelErrors with CATALOG_* codes (docs/errors.md); driver failures become
 * CATALOG_STORAGE_FAILED.
 */
export class Catalog {
  #db: Database.Database;
  #path: string;
  #sql: Statements;
  #tokens: TokenStore;
  #parties: PartyStore;
  #media: MediaStore;
  #tasks: TaskStore;
  #jobs: JobStore;
  #savesets: SavesetStore;
  #copies: CopyStore;
  #dirs: DirDictionary;
  #browser: ChainBrowser;

  private constructor(db: Database.Database, path: string, clock: Clock) {
    this.#db = db;
    this.#path = path;
    this.#sql = new Statements(db);
    this.#tokens = new TokenStore(this.#sql, clock);
    this.#parties = new PartyStore(this.#sql, clock);
    this.#media = new MediaStore(this.#sql, clock);
    this.#tasks = new TaskStore(this.#sql);
    this.#jobs = new JobStore(this.#sql, clock);
    this.#savesets = new SavesetStore(this.#sql, clock);
    this.#copies = new CopyStore(this.#sql, clock);
    this.#dirs = new DirDictionary(this.#sql);
    this.#browser = new ChainBrowser(this.#sql, this.#dirs);
  }

  /** Opens the catalog at `path`, creating and migrating it. Throws CATALOG_OPEN_FAILED, CATALOG_TOO_NEW, CATALOG_MIGRATION_FAILED. */
  static open(path: string, clock: Clock): Catalog {
    return new Catalog(openDatabase(path, MIGRATIONS), path, clock);
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  /** Runs `fn` in one transaction (nested calls become savepoints); `fn` must not return a promise. */
  transaction<T>(fn: () => T): T {
    return this.#guard("run a transaction", () => this.#sql.transaction(fn));
  }

  /** Copies the write-ahead log into the main file and truncates it (maintenance, e.g. at newday). */
  checkpoint(): void {
    this.#guard("checkpoint", () => this.#db.pragma("wal_checkpoint(TRUNCATE)"));
  }

  getSetting(key: string): string | null {
    return this.#guard("read a setting", () => this.#sql.pluck<string>("SELECT value FROM settings WHERE key = ?").get(key) ?? null);
  }

  setSetting(key: string, value: string): void {
    this.#guard(`save setting "${key}"`, () =>
      this.#sql.get("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(key, value),
    );
  }

  // API and enrollment tokens (token-store.ts)
  addApiToken(t: { name: string; role: Role; token: string }): { id: number } {
    return this.#guard("add an API token", () => this.#tokens.addApiToken(t));
  }
  findApiToken(token: string): { id: number; name: string; role: Role } | null {
    return this.#guard("look up an API token", () => this.#tokens.findApiToken(token));
  }
  listApiTokens(): ApiTokenInfo[] {
    return this.#guard("list API tokens", () => this.#tokens.listApiTokens());
  }
  deleteApiToken(id: number): boolean {
    return this.#guard("delete an API token", () => this.#tokens.deleteApiToken(id));
  }
  addEnrollToken(t: { kind: EnrollKind; name: string | null; token: string; expiresAt: Date }): void {
    this.#guard("add an enrollment token", () => this.#tokens.addEnrollToken(t));
  }
  consumeEnrollToken(token: string): { kind: EnrollKind; name: string | null } | null {
    return this.#guard("use an enrollment token", () => this.#tokens.consumeEnrollToken(token));
  }

  // Clients and nodes (party-store.ts)
  putClient(c: { name: string; certFingerprint: string | null }): Client {
    return this.#guard(`save client "${c.name}"`, () => this.#parties.putClient(c));
  }
  getClient(name: string): Client | null {
    return this.#guard("read a client", () => this.#parties.getClient(name));
  }
  listClients(): Client[] {
    return this.#guard("list clients", () => this.#parties.listClients());
  }
  putNode(n: { name: string; dataAddress: string | null; certFingerprint: string | null }): Node {
    return this.#guard(`save node "${n.name}"`, () => this.#parties.putNode(n));
  }
  getNode(name: string): Node | null {
    return this.#guard("read a node", () => this.#parties.getNode(name));
  }
  listNodes(): Node[] {
    return this.#guard("list nodes", () => this.#parties.listNodes());
  }
  touchClient(name: string): void {
    this.#guard(`record contact with client "${name}"`, () => this.#parties.touchClient(name));
  }
  touchNode(name: string): void {
    this.#guard(`record contact with node "${name}"`, () => this.#parties.touchNode(name));
  }

  // Pools, drives and media (media-store.ts)
  putPool(p: { name: string; retentionDays: number; driveGroup: string; mediumSize: number }): Pool {
    return this.#guard(`save pool "${p.name}"`, () => this.#media.putPool(p));
  }
  getPool(name: string): Pool | null {
    return this.#guard("read a pool", () => this.#media.getPool(name));
  }
  listPools(): Pool[] {
    return this.#guard("list pools", () => this.#media.listPools());
  }
  putDrive(d: { name: string; node: string; kind: DriveKind; path: string; channels: number; driveGroup: string; options?: Record<string, unknown> }): Drive {
    return this.#guard(`save drive "${d.name}"`, () => this.#media.putDrive(d));
  }
  listDrives(): Drive[] {
    return this.#guard("list drives", () => this.#media.listDrives());
  }
  getDrive(name: string): Drive | null {
    return this.#guard("read a drive", () => this.#media.getDrive(name));
  }
  addMedium(m: { label: string; pool: string; mediumId: string; drive: string; blockSize: number; capacity: number }): Medium {
    return this.#guard(`add medium "${m.label}"`, () => this.#media.addMedium(m));
  }
  updateMedium(id: number, change: MediumChange): void {
    this.#guard(`update medium ${id}`, () => this.#media.updateMedium(id, change));
  }
  getMedium(idOrLabel: number | string): Medium | null {
    return this.#guard("read a medium", () => this.#media.getMedium(idOrLabel));
  }
  listMedia(filter?: { pool?: string; state?: MediumState; drive?: string }): Medium[] {
    return this.#guard("list media", () => this.#media.listMedia(filter));
  }
  reuseMedium(id: number, label: { mediumId: string; blockSize: number; capacity: number }): Medium {
    return this.#guard(`reuse medium ${id}`, () => this.#media.reuseMedium(id, label));
  }
  recycleMedium(id: number): Medium {
    return this.#guard(`recycle medium ${id}`, () => this.#media.recycleMedium(id));
  }
  nextMediumLabel(pool: string): string {
    return this.#guard(`make a label for pool "${pool}"`, () => this.#media.nextMediumLabel(pool));
  }

  // Tasks and jobs (task-store.ts, job-store.ts)
  putTask(t: { name: string; client: string; paths: string[]; excludes: string[]; pool: string; compression?: "none" | "zstd"; compressionLevel?: number }): Task {
    return this.#guard(`save task "${t.name}"`, () => this.#tasks.putTask(t));
  }
  getTask(name: string): Task | null {
    return this.#guard("read a task", () => this.#tasks.getTask(name));
  }
  listTasks(): Task[] {
    return this.#guard("list tasks", () => this.#tasks.listTasks());
  }
  addJob(j: NewJob): Job {
    return this.#guard(`add a ${j.kind} job`, () => this.#jobs.addJob(j));
  }
  updateJob(id: number, change: JobChange): void {
    this.#guard(`update job ${id}`, () => this.#jobs.updateJob(id, change));
  }
  getJob(id: number): Job | null {
    return this.#guard("read a job", () => this.#jobs.getJob(id));
  }
  listJobs(filter?: { limit?: number; state?: JobState }): Job[] {
    return this.#guard("list jobs", () => this.#jobs.listJobs(filter));
  }

  // Savesets and copies (saveset-store.ts, copy-store.ts)
  addSaveset(s: NewSaveset): Saveset {
    return this.#guard(`add a saveset of task "${s.task}"`, () => this.#savesets.addSaveset(s));
  }
  finishSaveset(id: number, r: { status: SavesetStatus; files: number; bytes: number; errors?: number }): void {
    this.#guard(`finish saveset ${id}`, () => this.#savesets.finishSaveset(id, r));
  }
  getSaveset(idOrUuid: number | string): Saveset | null {
    return this.#guard("read a saveset", () => this.#savesets.getSaveset(idOrUuid));
  }
  listSavesets(filter?: { task?: string; status?: SavesetStatus; limit?: number }): Saveset[] {
    return this.#guard("list savesets", () => this.#savesets.listSavesets(filter));
  }
  latestSaveset(task: string, levels: Level[]): Saveset | null {
    return this.#guard(`find the latest saveset of task "${task}"`, () => this.#savesets.latestSaveset(task, levels));
  }
  chainOf(savesetId: number): Saveset[] {
    return this.#guard(`read the chain of saveset ${savesetId}`, () => this.#savesets.chainOf(savesetId));
  }
  markRunningSavesetsIncomplete(): number {
    return this.#guard("mark running savesets incomplete", () => this.#savesets.markRunningSavesetsIncomplete());
  }
  deleteSaveset(id: number): void {
    this.#guard(`delete saveset ${id}`, () => this.#savesets.deleteSaveset(id));
  }
  addCopy(savesetId: number, copy: NewCopy): number {
    return this.#guard(`record a copy of saveset ${savesetId}`, () => this.#copies.addCopy(savesetId, copy));
  }
  copiesOf(savesetId: number): Copy[] {
    return this.#guard(`read the copies of saveset ${savesetId}`, () => this.#copies.copiesOf(savesetId));
  }
  savesetsOnMedium(mediumId: number): number[] {
    return this.#guard(`list the savesets on medium ${mediumId}`, () => this.#copies.savesetsOnMedium(mediumId));
  }
  expiredCopies(now: Date): Array<{ id: number; savesetId: number }> {
    return this.#guard("find expired copies", () => this.#copies.expiredCopies(now));
  }
  extendSavesetLife(id: number, endOfLife: Date): void {
    this.#guard(`extend the life of saveset ${id}`, () => this.#savesets.extendLife(id, endOfLife));
  }
  deleteCopy(copyId: number): boolean {
    return this.#guard(`delete copy ${copyId}`, () => this.#copies.deleteCopy(copyId));
  }

  // File index (file-index-writer.ts, chain-browse.ts, chain-walk.ts)
  /** A writer for the file index of a saveset. Throws CATALOG_NOT_FOUND for an unknown saveset. */
  fileIndexWriter(savesetId: number): IndexWriter {
    if (this.getSaveset(savesetId) === null) throw catalogError("CATALOG_NOT_FOUND", `Cannot index saveset ${savesetId}: no such saveset`, { savesetId });
    const writer = new FileIndexWriter(this.#sql, this.#dirs, savesetId);
    const purpose = `write the file index of saveset ${savesetId}`;
    const where = this.#path;
    return {
      add(row: FileRow): void {
        try {
          writer.add(row);
        } catch (error) {
          throw driverError(error, purpose, where);
        }
      },
      finish: () => this.#guard(purpose, () => writer.finish()),
    };
  }
  /** The live entries of `dir` ("" = root, else "home/a") as of the saveset, merged over its chain, sorted by name bytes. */
  listDirectory(savesetId: number, dir: Uint8Array): BrowseRow[] {
    return this.#guard(`list a directory of saveset ${savesetId}`, () => this.#browser.listDirectory(this.#savesets.chainIds(savesetId), dir));
  }
  /** listDirectory as columns of what people are shown (name, type, size, mode, mtime, saveset): for big directories. */
  listDirectoryColumns(savesetId: number, dir: Uint8Array): DirectoryListing {
    return this.#guard(`list a directory of saveset ${savesetId}`, () => this.#browser.listDirectoryColumns(this.#savesets.chainIds(savesetId), dir));
  }
  /** The live row of `path` as of the saveset, merged over its chain, or null. */
  findEntry(savesetId: number, path: Uint8Array): BrowseRow | null {
    return this.#guard(`look up a path in saveset ${savesetId}`, () => this.#browser.findEntry(this.#savesets.chainIds(savesetId), path));
  }
  /** Visits every live row as of the saveset (merged chain), by directory then name. `visit` may use the catalog. */
  forEachFile(savesetId: number, visit: (row: BrowseRow) => void): void {
    this.#guard(`read the file index of saveset ${savesetId}`, () => walkChain(this.#sql, this.#dirs, this.#savesets.chainIds(savesetId), visit));
  }
  indexStats(): IndexStats {
    return this.#guard("measure the file index", () => {
      const count = (table: "files" | "dirs"): number => this.#sql.pluck<number>(`SELECT count(*) FROM ${table}`).get()!;
      const pages = this.#sql.pluck<number>("SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = ? AND aggregate = TRUE");
      // The listing pages (migration 6) are part of the index's size too.
      const listing = pages.get("listing_pages")! + pages.get("sqlite_autoindex_listing_pages_1")!;
      return { fileRows: count("files"), dirRows: count("dirs") - 1, fileBytes: pages.get("files")! + pages.get("dirs")! + pages.get("dirs_by_parent")! + listing };
    });
  }

  #guard<T>(purpose: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw driverError(error, purpose, this.#path);
    }
  }
}
