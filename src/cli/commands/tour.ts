import { Command } from "commander";
import type { CliContext } from "../context.js";

const TOUR = `reel — network backup and recovery on an open, documented media format

Today reel is a tar-like archiver whose files any reader of docs/format.md can read:

  npx reel archive create -f home.reel -C / home/me       # zstd-compressed archive
  npx reel archive list -f home.reel -v                    # list it (from its index)
  npx reel archive extract -f home.reel -C /tmp/r home/me/notes.txt   # seeks to one file
  npx reel archive verify -f home.reel                     # check every checksum
  REEL_PASSPHRASE=… npx reel archive create --encrypt -f s.reel secrets
  npx reel archive create -f - src | ssh host 'reel archive extract -f - -C /backup'

The server, storage nodes and the calendar come next. See README.md and docs/.
`;

/** `reel tour`: what `npm start` shows until the server exists. */
export function tourCommand(ctx: CliContext): Command {
  return new Command("tour").description("a short tour of reel").action(() => {
    ctx.stdout.write(TOUR);
  });
}
