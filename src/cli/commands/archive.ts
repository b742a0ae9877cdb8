import { Command } from "commander";
import type { CliContext } from "../context.js";
import { archiveCreateCommand } from "./archive-create.js";
import { archiveExtractCommand } from "./archive-extract.js";
import { archiveListCommand } from "./archive-list.js";
import { archiveVerifyCommand } from "./archive-verify.js";

/** The `reel archive` verbs: a tar-like archiver on reel's open media format. */
export function archiveCommand(ctx: CliContext): Command {
  const archive = new Command("archive").description("create, extract, list and verify archive files (a medium holding one stream)");
  archiveCreateCommand(archive, ctx);
  archiveExtractCommand(archive, ctx);
  archiveListCommand(archive, ctx);
  archiveVerifyCommand(archive, ctx);
  return archive;
}
