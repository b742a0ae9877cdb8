import { mediaError } from "./errors.js";

/**
 * Reads the kind options of a drive spec (the catalog's JSON `options`), throwing
 * MEDIA_BAD_DRIVE that names the drive and the option for an unknown or bad one, so that a typo
 * in `reel drive set` is caught when the node first makes the drive, not ignored.
 */
export class DriveOptions {
  readonly #drive: string;
  readonly #kind: string;
  readonly #options: Record<string, unknown>;

  constructor(o: { drive: string; kind: string; options: Record<string, unknown> | undefined; known: string[] }) {
    this.#drive = o.drive;
    this.#kind = o.kind;
    this.#options = o.options ?? {};
    for (const name of Object.keys(this.#options)) {
      if (!o.known.includes(name)) this.#fail(name, `is not an option of a ${o.kind} drive (options: ${o.known.join(", ")})`);
    }
  }

  /** A whole number from `min` to `max`; `fallback` when absent. */
  integer(name: string, o: { min: number; max: number; fallback: number }): number {
    const value = this.#options[name];
    if (value === undefined) return o.fallback;
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < o.min || value > o.max) {
      this.#fail(name, `is ${JSON.stringify(value)}; it must be a whole number from ${o.min} to ${o.max}`);
    }
    return value;
  }

  /** A string matching `pattern` (described by `what`); undefined when absent and not required. */
  string(name: string, o: { pattern: RegExp; what: string; isRequired: boolean }): string | undefined {
    const value = this.#options[name];
    if (value === undefined) {
      if (o.isRequired) this.#fail(name, `is missing; it must be ${o.what}`);
      return undefined;
    }
    if (typeof value !== "string" || !o.pattern.test(value)) this.#fail(name, `is ${JSON.stringify(value)}; it must be ${o.what}`);
    return value;
  }

  #fail(name: string, problem: string): never {
    throw mediaError("MEDIA_BAD_DRIVE", `Cannot use ${this.#kind} drive "${this.#drive}": option "${name}" ${problem}`, { drive: this.#drive, kind: this.#kind, option: name });
  }
}
