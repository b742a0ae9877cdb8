import { posix } from "./posix.js";

/** Caches user and group names by id and ids by name (one lookup per distinct value). */
export class OwnerNames {
  readonly #users = new Map<number, Buffer | null>();
  readonly #groups = new Map<number, Buffer | null>();
  readonly #userIds = new Map<string, number | null>();
  readonly #groupIds = new Map<string, number | null>();

  userName(uid: number): Buffer | null {
    let v = this.#users.get(uid);
    if (v === undefined) {
      const name = posix.userName(uid);
      v = name === null ? null : Buffer.from(name);
      this.#users.set(uid, v);
    }
    return v;
  }

  groupName(gid: number): Buffer | null {
    let v = this.#groups.get(gid);
    if (v === undefined) {
      const name = posix.groupName(gid);
      v = name === null ? null : Buffer.from(name);
      this.#groups.set(gid, v);
    }
    return v;
  }

  userId(name: Uint8Array): number | null {
    const key = Buffer.from(name).toString("latin1");
    let v = this.#userIds.get(key);
    if (v === undefined) {
      v = posix.userId(Buffer.from(name).toString("utf8"));
      this.#userIds.set(key, v);
    }
    return v;
  }

  groupId(name: Uint8Array): number | null {
    const key = Buffer.from(name).toString("latin1");
    let v = this.#groupIds.get(key);
    if (v === undefined) {
      v = posix.groupId(Buffer.from(name).toString("utf8"));
      this.#groupIds.set(key, v);
    }
    return v;
  }
}
