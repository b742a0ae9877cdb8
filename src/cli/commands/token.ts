import { Command } from "commander";
import type { TokenCreated } from "../../api/index.js";
import { ApiClient } from "../api-client.js";
import type { CliContext } from "../context.js";
import { withServer } from "./server-options.js";

/** `reel token create`: one-time enrollment tokens for nodes and clients, API tokens with a role. */
export function tokenCommand(ctx: CliContext): Command {
  const token = new Command("token").description("create tokens for enrollment and the API");
  withServer(token.command("create"))
    .description("create a token")
    .requiredOption("--for <what>", "node | client (one-time enrollment token) | api")
    .option("--name <name>", "the name the enrolled node or client will have; the API token's name")
    .option("--role <role>", "role of an API token: admin | operator | viewer", "viewer")
    .option("--ttl <minutes>", "lifetime of an enrollment token in minutes", "60")
    .option("--json", "print JSON", false)
    .action(async (o: { for: string; name?: string; role: string; ttl: string; json: boolean; server?: string; token?: string }) => {
      const api = ApiClient.from(ctx, o);
      const created = await api.call<TokenCreated>("POST", "/tokens", { for: o.for, ...(o.name === undefined ? {} : { name: o.name }), ...(o.for === "api" ? { role: o.role } : { ttlMinutes: Number(o.ttl) }) });
      ctx.stdout.write(o.json ? `${JSON.stringify(created)}\n` : `${created.token}\n`);
    });
  return token;
}
