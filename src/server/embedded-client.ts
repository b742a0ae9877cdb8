import { Worker } from "node:worker_threads";
import type { Identity } from "../transfer/index.js";

/** Starts the embedded client agent on its own thread; resolves once it is connected. */
export async function startEmbeddedClient(o: { name: string; identity: Identity; server: { host: string; port: number }; threads: number; isRoot: boolean; commands: Record<string, string>; log: (line: string) => void }): Promise<{ stop(): Promise<void> }> {
  const worker = new Worker(new URL("./client-agent-worker.js", import.meta.url), { workerData: { name: o.name, identity: o.identity, server: o.server, threads: o.threads, isRoot: o.isRoot, commands: o.commands } });
  await new Promise<void>((resolve, reject) => {
    worker.on("message", (message: { type: string; line?: string; message?: string }) => {
      if (message.type === "log") o.log(message.line ?? "");
      else if (message.type === "ready") resolve();
      else if (message.type === "error") reject(new Error(`The embedded client agent did not start: ${message.message ?? ""}`));
    });
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`The embedded client agent's thread ended (${code})`)));
  });
  return {
    stop: async () => {
      const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
      worker.postMessage({ type: "stop" });
      await exited;
    },
  };
}
