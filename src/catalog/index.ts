/**
 * @module catalog
 * The catalog of the reel server: clients, nodes, pools, drives, media, tasks, jobs, savesets,
 * their copies, tokens and the file index, in one SQLite file with versioned migrations. The
 * only folder that imports the SQLite driver (better-sqlite3); all calls are synchronous.
 * Imports ../format (entry types) and ../errors.
 */
export { Catalog, type IndexStats, type IndexWriter } from "./catalog.js";
export type { NewCopy } from "./copy-store.js";
export type { DirectoryListing } from "./directory-listing.js";
export type { CatalogErrorCode } from "./errors.js";
export { INDEX_BATCH_ROWS } from "./file-index-writer.js";
export type { JobChange, NewJob } from "./job-store.js";
export type { MediumChange } from "./media-store.js";
export type { NewSaveset } from "./saveset-store.js";
export type { ApiTokenInfo } from "./token-store.js";
export * from "./types.js";
