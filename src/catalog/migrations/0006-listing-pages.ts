import type { Migration } from "./migration.js";

/**
 * Version 6: listing pages, the browse structure built at the end of a backup. For each directory
 * of a saveset with many entries, its rows as one listing page (directory-listing.ts: the names
 * and the packed numbers of LISTING_PAGE), so that listing a directory of 100,000 entries reads
 * one row instead of converting 300,000 numbers. Savesets indexed before this version have none;
 * their listings are computed from the file rows, as before.
 */
export const listingPages: Migration = {
  version: 6,
  name: "listing pages",
  sql: `
CREATE TABLE listing_pages (
  saveset_id INTEGER NOT NULL REFERENCES savesets (id) ON DELETE CASCADE,
  dir_id INTEGER NOT NULL REFERENCES dirs (id),
  names BLOB NOT NULL,
  records BLOB NOT NULL,
  PRIMARY KEY (saveset_id, dir_id)
);
`,
};
