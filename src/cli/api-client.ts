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

  async #fetch(method: string, path: string, body?: unknown): Promise<Response> {
    try {
      return await fetch(`${this.url}${API_ROOT}${path}`, { method, headers: this.#headers(body !== undefined), ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new ReelError("CLI_SERVER_UNREACHABLE", `Cannot reach the reel server at ${this.url}: ${cause?.code ?? cause?.message ?? String(error)} (start it with "reel server", or set REEL_SERVER)`, { cause: error });
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
    const response = await this.#fetch(method, path, body);
    const text = await response.text();
    if (response.ok) return text === "" ? "null" : text;
    let error: { code?: string; message?: string } | undefined;
    try {
      error = (JSON.parse(text) as { error?: { code?: string; message?: string } } | null)?.error;
    } catch {
      throw this.#notJson(method, path, response.status);
    }
    throw new ReelError(error?.code ?? "CLI_BAD_RESPONSE", error?.message ?? `HTTP ${response.status} from ${method} ${path}`);
  }

  #notJson(method: string, path: string, status: number): ReelError {
    return new ReelError("CLI_BAD_RESPONSE", `The server at ${this.url} answered ${method} ${path} with something that is not JSON (HTTP ${status})`);
  }

  /** Follows the live job events; call `stop` to end. Resolves once subscribed. */
  async events(onEvent: (event: JobEvent) => void): Promise<{ stop(): void; ended: Promise<void> }> {
    const controller = new AbortController();
    let response: Response;
    try {
      response = await fetch(`${this.url}${API_ROOT}/events`, { headers: this.#headers(false), signal: controller.signal });
    } catch (error) {
      throw new ReelError("CLI_SERVER_UNREACHABLE", `Cannot reach the reel server at ${this.url}: ${String((error as { cause?: { code?: string } }).cause?.code ?? error)}`, { cause: error });
    }
    if (!response.ok || response.body === null) {
      const body = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
      throw new ReelError(body?.error?.code ?? "CLI_BAD_RESPONSE", body?.error?.message ?? `HTTP ${response.status} from /events`);
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    const ended = (async () => {
      let buffer = "";
      try {
        for (;;) {
          const read = (await reader.read()) as { done: boolean; value?: Uint8Array };
          if (read.done) return;
          buffer += decoder.decode(read.value, { stream: true });
          let cut: number;
          while ((cut = buffer.indexOf("\n\n")) >= 0) {
            const chunk = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            for (const line of chunk.split("\n")) if (line.startsWith("data: ")) onEvent(JSON.parse(line.slice(6)) as JobEvent);
          }
        }
      } catch (error) {
        if (!controller.signal.aborted) throw error;
      }
    })();
    return { stop: () => controller.abort(), ended };
  }
}
