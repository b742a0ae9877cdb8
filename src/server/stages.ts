/** What backups with mirror stages, copy jobs and restores share about stages and copies. */
import type { Drive, Medium } from "../catalog/index.js";
import type { DriveSpec } from "../media/index.js";

/** A catalog drive as the wire names it to its node. */
export function driveSpec(drive: Drive): DriveSpec & { options: Record<string, unknown> } {
  return { name: drive.name, kind: drive.kind, path: drive.path, options: drive.options };
}

/** Where a node's report of a stream goes: each stage of a chain reports the same stream (one node may write two stages). */
export function stageKey(node: string, drive: string, stream: string): string {
  return `${node}/${drive}/${stream}`;
}

/** Which copies a restore reads first: online disk before tape. */
const KIND_RANK: Record<string, number> = { dir: 0, vtl: 1, tape: 2 };

/** A copy's place in the order a restore reads copies (lower first): intact before damaged, disk before tape. */
export function copyRank(drive: Drive, media: Medium[]): number {
  return (media.some((m) => m.state === "error") ? 10 : 0) + (KIND_RANK[drive.kind] ?? 3);
}
