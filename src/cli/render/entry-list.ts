import { displayPath } from "../../client/index.js";
import { type Entry, entryTypeNames } from "../../format/index.js";

/** Listings of archive entries: JSON for programs, tar-like lines for people. */
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

function isUtf8(bytes: Uint8Array): boolean {
  return Buffer.from(Buffer.from(bytes).toString("utf8"), "utf8").equals(Buffer.from(bytes));
}

function isoTime(sec: number, nsec: number): string {
  const base = new Date(sec * 1000).toISOString().slice(0, 19);
  return `${base}.${String(nsec).padStart(9, "0")}Z`;
}

export function listJson(entries: Entry[]): string {
  const rows = entries.map((e) => ({
    path: isUtf8(e.path) ? Buffer.from(e.path).toString("utf8") : displayPath(e.path),
    ...(isUtf8(e.path) ? {} : { pathHex: hex(e.path) }),
    type: entryTypeNames[e.type],
    size: e.size,
    mode: e.mode,
    uid: e.uid,
    gid: e.gid,
    user: e.userName === null ? null : Buffer.from(e.userName).toString("utf8"),
    group: e.groupName === null ? null : Buffer.from(e.groupName).toString("utf8"),
    mtime: isoTime(e.mtimeSec, e.mtimeNsec),
    ...(e.linkTarget === null ? {} : { linkTarget: isUtf8(e.linkTarget) ? Buffer.from(e.linkTarget).toString("utf8") : displayPath(e.linkTarget) }),
    ...(e.device === null ? {} : { device: e.device }),
  }));
  return JSON.stringify(rows) + "\n";
}

const typeLetter: Record<number, string> = { 1: "-", 2: "d", 3: "l", 4: "h", 5: "p", 6: "c", 7: "b" };

function modeString(e: Entry): string {
  const m = e.mode;
  const rwx = (shift: number, special: number, char: string): string =>
    ((m >> shift) & 4 ? "r" : "-") + ((m >> shift) & 2 ? "w" : "-") +
    ((m & special) !== 0 ? ((m >> shift) & 1 ? char : char.toUpperCase()) : (m >> shift) & 1 ? "x" : "-");
  return (typeLetter[e.type] ?? "?") + rwx(6, 0o4000, "s") + rwx(3, 0o2000, "s") + rwx(0, 0o1000, "t");
}

export function listText(entries: Entry[], verbose: boolean): string {
  const lines: string[] = [];
  for (const e of entries) {
    const path = displayPath(e.path);
    if (!verbose) {
      lines.push(path);
      continue;
    }
    const owner = `${e.userName === null ? e.uid : Buffer.from(e.userName).toString()}/${e.groupName === null ? e.gid : Buffer.from(e.groupName).toString()}`;
    const size = e.device !== null ? `${e.device.major},${e.device.minor}` : String(e.size);
    const when = new Date(e.mtimeSec * 1000).toISOString().slice(0, 16).replace("T", " ");
    const link = e.linkTarget === null ? "" : e.type === 4 ? ` link to ${displayPath(e.linkTarget)}` : ` -> ${displayPath(e.linkTarget)}`;
    lines.push(`${modeString(e)} ${owner} ${size.padStart(10)} ${when} ${path}${link}`);
  }
  return lines.length === 0 ? "" : lines.join("\n") + "\n";
}
