/**
 * The CLI's client of the REST API (src/api is the contract): server URL and token from the
 * options or REEL_SERVER / REEL_TOKEN (or the admin token of a local data directory), JSON
 * in and out, errors as ReelErrors with the server's code.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { API_ROOT, type JobEvent } from "../api/index.js";
import { ReelError } from "../errors/index.js";
import type { CliContext } from "./context.js";

export interface ServerOptions {
  server?: string;
  token?: string;
}

export class ApiClient {
  readonly url: string;
  readonly #token: string | null;

  constructor(url: string, token: string | null) {
    this.url = url.replace(/\/+$/, "");
    this.#token = token;
  }

  static from(ctx: CliContext, o: ServerOptions): ApiClient {
    const url = o.server ?? ctx.env["REEL_SERVER"] ?? "http://127.0.0.1:8080";
    let token = o.token ?? ctx.env["REEL_TOKEN"] ?? null;
    if (token === null) {
      // The one-box default: `npm start` keeps its data in ./var (or REEL_DATA).
      const file = join(resolve(ctx.cwd, ctx.env["REEL_DATA"] ?? "var"), "admin.token");
      if (existsSync(file)) token = readFileSync(file, "utf8").trim();
    }
    return new ApiClient(url, token);
  }

  #headers(body: boolean): Record<string, string> {
    return { ...(this.#token === null ? {} : { authorization: `Bearer ${this.#token}` }), ...(body ? { "content-type": "application/json" } : {}) };
  }

  /**
   * One request with node:http rather than fetch: loading fetch's HTTP stack costs more than a
   * small listing, and its pooled keep-alive socket holds the process open for a while after the
   * answer (together about a quarter of a second for every command).
   */
  async #request(method: string, path: string, body?: unknown, sink?: (chunk: Buffer) => void): Promise<{ status: number; body: Buffer }> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    try {
      const url = new URL(`${this.url}${API_ROOT}${path}`);
      const transport = await transportOf(url);
      return await new Promise((resolve, reject) => {
        const request = transport.request(url, { method, headers: { ...this.#headers(payload !== undefined), ...(payload === undefined ? {} : { "content-length": String(payload.length) }) } }, (response) => {
          const status = response.statusCode ?? 0;
          const chunks: Buffer[] = [];
          // A success goes to the sink as it arrives; an error answer is kept to be read.
          const onChunk = sink !== undefined && status >= 200 && status < 300 ? sink : (chunk: Buffer): void => void chunks.push(chunk);
          response.on("data", onChunk);
          response.on("error", reject);
          response.on("end", () => resolve({ status, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) }));
        });
        request.on("error", reject);
        request.end(payload);
      });
    } catch (error) {
      const cause = error as { code?: string; message?: string };
      throw new ReelError("CLI_SERVER_UNREACHABLE", `Cannot reach the reel server at ${this.url}: ${cause.code ?? cause.message ?? String(error)} (start it with "reel server", or set REEL_SERVER)`, { cause: error });
    }
  }

  async call<T>(method: "GET" | "POST" | "PUT" | "DELETE", path: string, body?: unknown): Promise<T> {
    const text = await this.text(method, path, body);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw this.#notJson(method, path, 200);
    }
  }

  /** The answer's JSON text as it came (for printing it as it is); errors as ReelErrors with the server's code. */
  async text(method: "GET" | "POST" | "PUT" | "DELETE", path: string, body?: unknown): Promise<string> {
    const text = (await this.bytes(method, path, body)).toString("utf8");
    return text === "" ? "null" : text;
  }

  /** The answer's body as it came; errors as ReelErrors with the server's code. */
  async bytes(method: "GET" | "POST" | "PUT" | "DELETE", path: string, body?: unknown): Promise<Buffer> {
    return this.#checked(method, path, await this.#request(method, path, body));
  }

  /** Hands a successful answer's body to `sink` piece by piece as it arrives (a big listing printed as it comes); errors as ReelErrors. */
  async pipe(method: "GET" | "POST" | "PUT" | "DELETE", path: string, sink: (chunk: Buffer) => void): Promise<void> {
    this.#checked(method, path, await this.#request(method, path, undefined, sink));
  }

  #checked(method: string, path: string, response: { status: number; body: Buffer }): Buffer {
    if (response.status >= 200 && response.status < 300) return response.body;
    let error: { code?: string; message?: string } | undefined;
    try {
      error = (JSON.parse(response.body.toString("utf8")) as { error?: { code?: string; message?: string } } | null)?.error;
    } catch {
      throw this.#notJson(method, path, response.status);
    }
    throw new ReelError(error?.code ?? "CLI_BAD_RESPONSE", error?.message ?? `HTTP ${response.status} from ${method} ${path}`);
  }

  #notJson(method: string, path: string, status: number): ReelError {
    return new ReelError("CLI_BAD_RESPONSE", `The server at ${this.url} answered ${method} ${path} with something that is not JSON (HTTP ${status})`);
  }

  /**
   * Follows the live job events; call `stop` to end. Resolves once subscribed. node:http as for
   * the other requests: fetch would compile its WebAssembly HTTP parser in the background, and the
   * process waits for that at exit (~0.2 s of every `reel backup` and `reel restore`).
   */
  async events(onEvent: (event: JobEvent) => void): Promise<{ stop(): void; ended: Promise<void> }> {
    const url = new URL(`${this.url}${API_ROOT}/events`);
    const transport = await transportOf(url);
    let stopped = false;
    const request = transport.request(url, { headers: { ...this.#headers(false), accept: "text/event-stream" } });
    const response = await new Promise<import("node:http").IncomingMessage>((resolve, reject) => {
      request.on("response", resolve);
      request.on("error", (error: NodeJS.ErrnoException) => reject(new ReelError("CLI_SERVER_UNREACHABLE", `Cannot reach the reel server at ${this.url}: ${error.code ?? error.message}`, { cause: error })));
      request.end();
    });
    const status = response.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      const chunks: Buffer[] = [];
      for await (const chunk of response) chunks.push(chunk as Buffer);
      this.#checked("GET", "/events", { status, body: Buffer.concat(chunks) });
    }
    response.setEncoding("utf8");
    const ended = new Promise<void>((resolve, reject) => {
      let buffer = "";
      response.on("data", (text: string) => {
        buffer += text;
        let cut: number;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const chunk = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          for (const line of chunk.split("\n")) if (line.startsWith("data: ")) onEvent(JSON.parse(line.slice(6)) as JobEvent);
        }
      });
      response.on("end", resolve);
      response.on("close", resolve);
      response.on("error", (error) => (stopped ? resolve() : reject(error)));
      request.on("error", (error) => (stopped ? resolve() : reject(error)));
    });
    return {
      stop: () => {
        stopped = true;
        request.destroy();
      },
      ended,
    };
  }
}

/** node:http or node:https for the URL, loaded when first needed. */
function transportOf(url: URL): Promise<typeof import("node:http") | typeof import("node:https")> {
  return url.protocol === "https:" ? import("node:https") : import("node:http");
}
