/** Real reel daemons as child processes for the network end-to-end tests. */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { reelAsync, reelMain, type Run } from "./helpers.js";

export interface Daemon {
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/** Starts `reel ARGS` and waits for a line of its standard output that matches `ready`. */
export function startDaemon(t: TestContext, args: string[], ready: RegExp, env: Record<string, string> = {}): Promise<Daemon & { match: RegExpExecArray }> {
  const child = spawn(process.execPath, [reelMain, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    await exited;
  };
  t.after(stop);
  return new Promise((resolve, reject) => {
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString("utf8");
      const match = ready.exec(out);
      if (match !== null) resolve({ child, match, output: () => out + err, stop });
    });
    child.stderr.on("data", (b: Buffer) => (err += b.toString("utf8")));
    child.once("exit", (code) => reject(new Error(`reel ${args.join(" ")} exited (${code}) before it was ready:\n${out}${err}`)));
  });
}

export interface TestServer extends Daemon {
  url: string;
  dataDir: string;
  token: string;
  /** Runs a CLI verb against this server. */
  cli(args: string[], env?: Record<string, string>): Promise<Run>;
  api<T>(method: string, path: string, body?: unknown, token?: string | null): Promise<{ status: number; body: T }>;
}

export async function startServer(t: TestContext, dataDir: string, extra: string[] = []): Promise<TestServer> {
  const daemon = await startDaemon(t, ["server", "--data", dataDir, "--listen", "127.0.0.1:0", "--agent-listen", "127.0.0.1:0", ...extra], /listening on (http:\/\/\S+)/);
  const url = daemon.match[1]!;
  const token = readFileSync(join(dataDir, "admin.token"), "utf8").trim();
  return {
    ...daemon, url, dataDir, token,
    cli: (args, env = {}) => reelAsync(args, { env: { REEL_SERVER: url, REEL_TOKEN: token, ...env } }),
    api: async <T>(method: string, path: string, body?: unknown, auth: string | null = token) => {
      const response = await fetch(`${url}/api/v1${path}`, {
        method, headers: { ...(auth === null ? {} : { authorization: `Bearer ${auth}` }), ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as T };
    },
  };
}

/** The JSON a CLI run printed; fails with its output otherwise. */
export function jsonOf<T>(run: Run): T {
  if (run.status !== 0) throw new Error(`reel exited ${run.status}:\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}
