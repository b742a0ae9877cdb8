import { setFlagsFromString } from "node:v8";
import type { Command } from "commander";
import { ReelError } from "../../errors/index.js";
import type { CliContext } from "../context.js";

/** Runs until SIGINT or SIGTERM (or the daemon's own end), then stops cleanly. */
async function untilStopped(stop: () => Promise<void>, closed?: Promise<Error | null>): Promise<void> {
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
    void closed?.then(() => resolve());
  });
  await stop();
}

/**
 * Daemons move every byte of a stream through fresh TLS buffers (16 KiB each, dead within
 * microseconds, collected by the young generation). With incremental marking on, V8 starts a
 * full concurrent marking of the heap every ~25 MB of them: ~40 per GiB, 1.5 s of CPU per GiB
 * on a 2-core machine, for nothing — the old generation hardly grows. Off, the old generation is
 * still collected when it reaches its limit (short pauses: the daemons' heaps are 10-20 MB).
 * Process-wide, set before any worker starts; bench/RESULTS.md has the measurement.
 */
function tuneCollectorForStreams(): void {
  setFlagsFromString("--no-incremental-marking");
}

/** NAME=PROGRAM [ARGS] pairs of a command allow-list. */
function commandList(pairs: string[] | undefined): Record<string, string> {
  const commands: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const cut = pair.indexOf("=");
    if (cut <= 0 || cut === pair.length - 1) throw new ReelError("CLI_BAD_ARGUMENT", `"${pair}" is not NAME=PROGRAM (for example tidy=/usr/local/bin/tidy)`);
    commands[pair.slice(0, cut)] = pair.slice(cut + 1);
  }
  return commands;
}

/** `reel server`, `reel node`, `reel client`: the daemons (loaded only when one runs: the other verbs start fast). */
export function daemonCommands(program: Command, ctx: CliContext): void {
  program
    .command("server")
    .description("run the backup server (catalog, jobs, REST API) with an embedded node and client agent")
    .option("--data <dir>", "data directory (catalog, CA, media of the default drive)", "./var")
    .option("--listen <host:port>", "REST API address", "127.0.0.1:8080")
    .option("--agent-listen <host:port>", "address for nodes and client agents (mutual TLS); default: the API's port + 1")
    .option("--no-embedded", "do not run the embedded node and client agent")
    .option("--client-command <name=program...>", "a command the embedded client agent may run by name (calendar command events)")
    .action(async (o: { data: string; listen: string; agentListen?: string; embedded: boolean; clientCommand?: string[] }) => {
      tuneCollectorForStreams();
      const { startServer } = await import("../../server/index.js");
      const server = await startServer({ dataDir: o.data, listen: o.listen, embedded: o.embedded, threads: ctx.threads, clientCommands: commandList(o.clientCommand), ...(o.agentListen === undefined ? {} : { agentListen: o.agentListen }) });
      ctx.stdout.write(`reel server listening on ${server.url} (agents: ${server.agentAddress})\nadmin token: ${server.dataDir}/admin.token\n`);
      await untilStopped(() => server.close());
    });
  program
    .command("node")
    .description("run a storage node that enrolls with a server and writes streams to its drives")
    .requiredOption("--server <url>", "the server's REST URL, e.g. http://backup:8080")
    .option("--enroll <token>", "one-time enrollment token (reel token create --for node)")
    .requiredOption("--data <dir>", "where the node keeps its identity")
    .option("--name <name>", "node name (default: host name)")
    .option("--listen <host:port>", "where clients send streams", "127.0.0.1:0")
    .option("--advertise <host:port>", "the address clients should use, if not --listen")
    .action(async (o: { server: string; enroll?: string; data: string; name?: string; listen: string; advertise?: string }) => {
      tuneCollectorForStreams();
      const { runNode } = await import("../../server/index.js");
      const node = await runNode({ server: o.server, enrollToken: o.enroll ?? null, dataDir: o.data, listen: o.listen, ...(o.name === undefined ? {} : { name: o.name }), ...(o.advertise === undefined ? {} : { advertise: o.advertise }) });
      ctx.stdout.write(`reel node ${node.name} running\n`);
      await untilStopped(() => node.stop(), node.closed);
    });
  program
    .command("client")
    .description("run a client agent that enrolls with a server and backs up and restores this machine")
    .requiredOption("--server <url>", "the server's REST URL, e.g. http://backup:8080")
    .option("--enroll <token>", "one-time enrollment token (reel token create --for client)")
    .option("--data <dir>", "where the agent keeps its identity", "/var/lib/reel-client")
    .option("--name <name>", "client name (default: host name)")
    .option("--command <name=program...>", "a command the server may run here by name (calendar command events); never a shell")
    .action(async (o: { server: string; enroll?: string; data: string; name?: string; command?: string[] }) => {
      tuneCollectorForStreams();
      const { runClient } = await import("../../server/index.js");
      const client = await runClient({ server: o.server, enrollToken: o.enroll ?? null, dataDir: o.data, threads: ctx.threads, commands: commandList(o.command), ...(o.name === undefined ? {} : { name: o.name }) });
      ctx.stdout.write(`reel client ${client.name} running\n`);
      await untilStopped(() => client.stop(), client.closed);
    });
}
