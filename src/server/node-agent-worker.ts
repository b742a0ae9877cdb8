/**
 * The embedded storage node on a thread of its own (the composition root of that thread): its
 * media agents receive, check and write the streams while the server's thread runs the API and
 * the catalog. It talks to the server over loopback TLS like any remote node.
 */
import { parentPort, workerData } from "node:worker_threads";
import { nodeCodecs } from "../client/index.js";
import { NodeService, type Identity } from "../transfer/index.js";

interface Data {
  name: string;
  identity: Identity;
  server: { host: string; port: number };
}

const data = workerData as Data;
const port = parentPort!;
const service = new NodeService({
  name: data.name, identity: data.identity, server: data.server, listen: { host: "127.0.0.1", port: 0 },
  codecs: nodeCodecs(3), now: () => new Date(),
  log: (line) => port.postMessage({ type: "log", line }),
});
port.on("message", (message: { type: string }) => {
  if (message.type === "stop") void service.stop().finally(() => port.close());
});
service.start().then(
  () => port.postMessage({ type: "ready" }),
  (error: unknown) => port.postMessage({ type: "error", message: error instanceof Error ? error.message : String(error) }),
);
