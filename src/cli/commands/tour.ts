import { Command } from "commander";
import type { CliContext } from "../context.js";

const TOUR = `reel — network backup and recovery on an open, documented media format

  npm start                                       # the server, data in ./var, with an embedded node and client
  npx reel backup --task docs ~/Documents         # full backup (creates the task)
  npx reel backup --task docs --level incr        # what changed since
  npx reel savesets && npx reel ls 1 ~/Documents  # the catalog, a directory as of saveset 1
  npx reel restore 1 --target /tmp/r              # /home/me/Documents → /tmp/r/home/me/Documents
  npx reel token create --for client              # enroll another machine: reel client --server URL --enroll TOKEN

The archiver on its own (files any reader of docs/format.md can read):

  npx reel archive create -f home.reel -C / home/me
  npx reel archive extract -f home.reel -C /tmp/r home/me/notes.txt   # seeks to one file
  npx reel archive verify -f home.reel

See README.md and docs/.
`;

/** `reel tour`: a short tour of the commands. */
export function tourCommand(ctx: CliContext): Command {
  return new Command("tour").description("a short tour of reel").action(() => {
    ctx.stdout.write(TOUR);
  });
}
