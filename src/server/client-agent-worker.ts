/**
 * The embedded client agent on a thread of its own (the composition root of that thread): it
 * reads and restores files while the server's thread runs the node and the API, so a one-box
 * backup uses two cores. It talks to the server over loopback TLS like any remote agent.
 */
import { parentPort, workerData } from "node:worker_threads";
import { ClientService, type Identity } from "../transfer/index.js";

interface Data {
  name: string;
  identity: Identity;
  server: { host: string; port: number };
  threads: number;
  isRoot: boolean;
  commands: Record<string, string>;
}

const data = workerData as Data;
const port = parentPort!;
const service = new ClientService({
  name: data.name, identity: data.identity, server: data.server, now: () => new Date(), threads: data.threads,
  log: (line) => port.postMessage({ type: "log", line }),
  passphrase: () => process.env["REEL_PASSPHRASE"] ?? null, isRoot: data.isRoot, commands: data.commands,
});
port.on("message", (message: { type: string }) => {
  if (message.type === "stop") void service.stop().finally(() => port.close());
});
service.start().then(
  () => port.postMessage({ type: "ready" }),
  (error: unknown) => port.postMessage({ type: "error", message: error instanceof Error ? error.message : String(error) }),
);
