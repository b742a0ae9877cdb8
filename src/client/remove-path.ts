import { lstatSync, rmSync, unlinkSync } from "node:fs";
import { errnoCode } from "./errors.js";

/**
 * Removes what is at `fsPath`: a file, symlink or other non-directory (a symlink itself, never
 * what it points to), or a directory with everything below it (rmSync neither follows symlinks
 * inside, nor stops at non-UTF-8 names). `before` runs once something is known to be there.
 * Returns what was removed.
 */
export function removePath(fsPath: Buffer, before: () => void): "none" | "file" | "directory" {
  let isDirectory: boolean;
  try {
    isDirectory = lstatSync(fsPath).isDirectory();
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return "none";
    throw error;
  }
  before();
  if (!isDirectory) {
    unlinkSync(fsPath);
    return "file";
  }
  rmSync(fsPath, { recursive: true, force: true });
  return "directory";
}
