import type { Migration } from "./migration.js";

/**
 * Version 5: each copy of a saveset has its own end of life, from the retention of the pool it
 * was written to (a mirror or copy pool may keep savesets longer or shorter than the backup's).
 * NULL: the saveset's end of life (copies recorded before this version, or rebuilt by a scan).
 */
export const copyEndOfLife: Migration = {
  version: 5,
  name: "copy end of life",
  sql: `
ALTER TABLE copies ADD COLUMN end_of_life INTEGER;
`,
};
