/**
 * @module errors
 * The error base class shared by every component. A pure leaf: imports nothing,
 * and every other folder may import it.
 */
export { BugError, isReelError, ReelError } from "./reel-error.js";
export { errnoCode, reasonOf } from "./system-reason.js";
