/**
 * @module scheduler/calendar
 * The event calendar (docs/calendar.md, DESIGN §4): a PURE function of (config, range) →
 * occurrences with backup days, priorities and blocking, plus config validation. No node:*
 * modules, no clock, no timers, no randomness. Imports only ../errors.ts (src/errors).
 */
export { occurrences, similarityKey } from "./occurrences.js";
export { formatFieldPath, validateConfig, type FieldPath } from "./validate.js";
export { Zone } from "./zone.js";
export * from "./types.js";
