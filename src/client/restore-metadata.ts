import { closeSync, constants, fchmodSync, openSync } from "node:fs";
import type { Entry } from "../format/index.js";
import { displayPath, errnoCode, reasonOf } from "./errors.js";
import { OwnerNames } from "./owner-names.js";
import { posix } from "./posix.js";
import type { Reporter } from "./reporter.js";

/** Owners (by name unless numeric, only as root), extended attributes and directory metadata of restored objects. */
export class RestoreMetadata {
  readonly #numericOwner: boolean;
  readonly #reporter: Reporter;
  readonly #names = new OwnerNames();
  readonly #uid = process.getuid?.() ?? 0;

  constructor(numericOwner: boolean, reporter: Reporter) {
    this.#numericOwner = numericOwner;
    this.#reporter = reporter;
  }

  uid(entry: Entry): number {
    if (this.#numericOwner || entry.userName === null) return entry.uid;
    return this.#names.userId(entry.userName) ?? entry.uid;
  }

  gid(entry: Entry): number {
    if (this.#numericOwner || entry.groupName === null) return entry.gid;
    return this.#names.groupId(entry.groupName) ?? entry.gid;
  }

  /** A user cannot give files away: says so once, when an entry belongs to someone else. */
  noteOwner(entry: Entry): void {
    if (entry.uid !== this.#uid) this.#reporter.warn("owner", "Owners and groups are restored only by root; files belong to the current user");
  }

  setXattrs(entry: Entry, fsPath: Buffer): void {
    for (const x of entry.xattrs) {
      try {
        posix.lsetxattr(fsPath, Buffer.from(x.name), Buffer.from(x.value));
      } catch (error) {
        const name = Buffer.from(x.name).toString("latin1");
        const kind = name.startsWith("system.posix_acl") ? "acl" : `xattr-${name.split(".")[0]}`;
        this.#reporter.warn(kind, `Cannot restore extended attribute "${name}" (first: "${displayPath(entry.path)}"): ${reasonOf(error)}`);
      }
    }
  }

  /**
   * Sets a directory's extended attributes, mode and times (after its contents). Never follows
   * a symlink that took its place (a later entry may have put one there): then nothing is set.
   */
  setDirectory(entry: Entry, fsPath: Buffer): void {
    let fd: number;
    try {
      fd = openSync(fsPath, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    } catch (error) {
      const code = errnoCode(error);
      if (code === "ELOOP" || code === "ENOTDIR" || code === "ENOENT") return;
      throw error;
    }
    try {
      this.setXattrs(entry, fsPath);
      fchmodSync(fd, entry.mode);
      posix.futimens(fd, entry.atimeSec, entry.atimeNsec, entry.mtimeSec, entry.mtimeNsec);
    } finally {
      closeSync(fd);
    }
  }
}
