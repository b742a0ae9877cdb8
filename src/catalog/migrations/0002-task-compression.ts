import type { Migration } from "./migration.js";

/** Version 2: a task says how its streams are compressed (none or zstd at a level). */
export const taskCompression: Migration = {
  version: 2,
  name: "task compression",
  sql: `
ALTER TABLE tasks ADD COLUMN compression TEXT NOT NULL DEFAULT 'none' CHECK (compression IN ('none', 'zstd'));
ALTER TABLE tasks ADD COLUMN compression_level INTEGER NOT NULL DEFAULT 3 CHECK (compression_level BETWEEN 1 AND 19);
`,
};
