import { initial } from "./0001-initial.js";
import { taskCompression } from "./0002-task-compression.js";
import { commandJobs } from "./0003-command-jobs.js";
import { routesAndMedia } from "./0004-routes-and-media.js";
import { copyEndOfLife } from "./0005-copy-end-of-life.js";
import { listingPages } from "./0006-listing-pages.js";
import type { Migration } from "./migration.js";

/**
 * Every schema step, oldest first. Append only: a released step never changes, a new schema is
 * a new step (TypeScript modules rather than .sql files, so that `tsc` alone puts them in dist/).
 */
export const MIGRATIONS: readonly Migration[] = [initial, taskCompression, commandJobs, routesAndMedia, copyEndOfLife, listingPages];
