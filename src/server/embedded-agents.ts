import { Worker } from "node:worker_threads";
import type { Identity } from "../transfer/index.js";

export interface EmbeddedAgent {
  stop(): Promise<void>;
}

/**
 * Starts one embedded agent on a thread of its own (`client-agent-worker.js`, `node-agent-worker.js`)
 * and resolves once it is connected to the server. Each thread has its own heap: the node's
 * thread receives every byte of a backup as fresh TLS buffers, and on its small heap the
 * collections those trigger are cheap, where on the server's heap each marked the whole API.
 */
async function startAgentThread(file: string, what: string, workerData: Record<string, unknown>, log: (line: string) => void): Promise<EmbeddedAgent> {
  const worker = new Worker(new URL(file, import.meta.url), { workerData });
  await new Promise<void>((resolve, reject) => {
    worker.on("message", (message: { type: string; line?: string; message?: string }) => {
      if (message.type === "log") log(message.line ?? "");
      else if (message.type === "ready") resolve();
      else if (message.type === "error") reject(new Error(`The embedded ${what} did not start: ${message.message ?? ""}`));
    });
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`The embedded ${what}'s thread ended (${code})`)));
  });
  return {
    stop: async () => {
      const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
      worker.postMessage({ type: "stop" });
      await exited;
    },
  };
}

/** The embedded client agent: reads and restores this machine's files. */
export function startEmbeddedClient(o: { name: string; identity: Identity; server: { host: string; port: number }; threads: number; isRoot: boolean; commands: Record<string, string>; log: (line: string) => void }): Promise<EmbeddedAgent> {
  return startAgentThread("./client-agent-worker.js", "client agent", { name: o.name, identity: o.identity, server: o.server, threads: o.threads, isRoot: o.isRoot, commands: o.commands }, o.log);
}

/** The embedded storage node: its media agents write and read the server's own drives. */
export function startEmbeddedNode(o: { name: string; identity: Identity; server: { host: string; port: number }; log: (line: string) => void }): Promise<EmbeddedAgent> {
  return startAgentThread("./node-agent-worker.js", "node", { name: o.name, identity: o.identity, server: o.server }, o.log);
}
