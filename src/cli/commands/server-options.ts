import type { Command } from "commander";

/** Adds --server and --token (or REEL_SERVER and REEL_TOKEN) to a verb that talks to the server. */
export function withServer(command: Command): Command {
  return command
    .option("--server <url>", "the server's REST URL (default: REEL_SERVER or http://127.0.0.1:8080)")
    .option("--token <token>", "API token (default: REEL_TOKEN, or the admin token of ./var)");
}
