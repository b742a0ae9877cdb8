/**
 * @module scheduler
 * The event calendar of reel (docs/calendar.md): the PURE calendar core in calendar/, the
 * reading of reel.yaml into a validated config, and the daemon loop in daemon/ with a Clock passed in.
 * Imports only ../errors.
 */
export * from "./calendar/index.js";
export * from "./daemon/index.js";
export { loadConfigFile, parseConfigText } from "./config-file.js";
export { schedulerError, type SchedulerErrorCode } from "./errors.js";
