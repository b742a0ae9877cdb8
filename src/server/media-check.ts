/**
 * `reel media check`: the node that holds a medium reads every block and checks every checksum
 * (media.check). Damage marks the medium `error`; a later clean check gives it back the state it
 * had before (kept in the catalog's settings while it is in error).
 */
import type { Catalog, Drive, Medium, MediumState } from "../catalog/index.js";
import type { MediaCheckReply } from "../transfer/index.js";
import type { Agent } from "./agents.js";
import { serverError } from "./errors.js";
import { driveSpec } from "./media-scan.js";

export interface MediaCheckResult {
  reply: MediaCheckReply;
  /** One line for people: what was checked and what was found. */
  summary: string;
  isDamaged: boolean;
}

const stateKey = (medium: Medium): string => `medium-state-before-error/${medium.id}`;

export async function checkMedium(o: { catalog: Catalog; node: Agent; drive: Drive; medium: Medium }): Promise<MediaCheckResult> {
  const { catalog, medium } = o;
  const reply = await o.node.conn.request<MediaCheckReply>({ type: "media.check", drive: driveSpec(o.drive), label: medium.label });
  const isDamaged = reply.damaged > 0 || !reply.isLabelOk;
  if (isDamaged && medium.state !== "error") {
    catalog.setSetting(stateKey(medium), medium.state);
    catalog.updateMedium(medium.id, { state: "error" });
  } else if (!isDamaged && medium.state === "error") {
    catalog.updateMedium(medium.id, { state: formerState(catalog, medium) });
  }
  return { reply, summary: summaryOf(medium.label, reply), isDamaged };
}

/** The state before the last check found damage; without a record, what the medium's fill says. */
function formerState(catalog: Catalog, medium: Medium): MediumState {
  const kept = catalog.getSetting(stateKey(medium));
  if (kept === "full" || kept === "appendable" || kept === "read-only" || kept === "expired" || kept === "empty") return kept;
  return (medium.blocks + 1) * medium.blockSize > medium.capacity ? "full" : "appendable";
}

function summaryOf(label: string, reply: MediaCheckReply): string {
  const streams = `${reply.streams.length} stream(s)`;
  if (reply.damaged === 0 && reply.isLabelOk) return `medium "${label}": ${reply.blocks} blocks checked, all intact; ${streams}`;
  const listed = reply.damagedBlocks.join(", ") + (reply.damaged > reply.damagedBlocks.length ? ", …" : "");
  const label0 = reply.isLabelOk ? "" : "; its label block does not name it";
  return `medium "${label}": ${reply.blocks} blocks checked, ${reply.damaged} damaged${reply.damaged > 0 ? ` (block ${listed})` : ""}${label0}; ${streams}`;
}

/** The error a check with damage ends its job with. */
export function damageError(result: MediaCheckResult): Error {
  return serverError("SERVER_MEDIUM_DAMAGED", `Checked ${result.summary}; the medium is marked "error"`, { label: result.reply.label, damagedBlocks: result.reply.damagedBlocks });
}
