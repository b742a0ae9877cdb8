import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { errnoCode, mediaError, reasonOf } from "./errors.js";

/** What a tape drive knows of a tape it labelled: where it is and how much is on it. */
export interface TapeEntry {
  label: string;
  /** The changer slot the tape lives in; null without a changer (the operator loads it). */
  slot: number | null;
  blockSize: number;
  /** Blocks on the tape, the label included (a tape cannot tell without being read to its end). */
  blocks: number;
}

/**
 * The index of the tapes a tape drive labelled, in `<path>/tapes.json` (`{ "format": 1,
 * "tapes": [TapeEntry, …] }`), written by write-and-rename after each change, in order. A tape
 * keeps its label on the medium too (block 0); the index adds what the tape cannot say without
 * being loaded and read to the end: its slot and its block count.
 */
export class TapeIndex {
  readonly #drive: string;
  readonly #file: string;
  readonly #path: string;
  #tapes = new Map<string, TapeEntry>();
  #loading: Promise<void> | null = null;
  #saving: Promise<void> = Promise.resolve();

  constructor(o: { drive: string; path: string }) {
    this.#drive = o.drive;
    this.#path = o.path;
    this.#file = join(o.path, "tapes.json");
  }

  ready(): Promise<void> {
    this.#loading ??= this.#load().catch((error: unknown) => {
      this.#loading = null;
      throw error;
    });
    return this.#loading;
  }

  get(label: string): TapeEntry | null {
    return this.#tapes.get(label) ?? null;
  }

  /** The labelled tapes' slots (a slot not among them holds a blank or unknown tape). */
  labelledSlots(): Set<number> {
    return new Set([...this.#tapes.values()].map((t) => t.slot).filter((s): s is number => s !== null));
  }

  labels(): string[] {
    return [...this.#tapes.keys()].sort();
  }

  async set(entry: TapeEntry): Promise<void> {
    this.#tapes.set(entry.label, { ...entry });
    await this.#save();
  }

  async delete(label: string): Promise<void> {
    this.#tapes.delete(label);
    await this.#save();
  }

  async #load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.#file, "utf8");
    } catch (error) {
      if (errnoCode(error) === "ENOENT") return;
      throw this.#readFailed(error);
    }
    try {
      const stored = JSON.parse(text) as { format?: unknown; tapes?: TapeEntry[] };
      if (stored.format !== 1 || !Array.isArray(stored.tapes)) throw new Error("not a reel tape index (format 1)");
      this.#tapes = new Map(stored.tapes.map((t) => [t.label, t]));
    } catch (error) {
      throw this.#readFailed(error);
    }
  }

  #readFailed(error: unknown): Error {
    return mediaError("MEDIA_READ_FAILED", `Cannot read the tape index of drive "${this.#drive}" (${this.#file}): ${reasonOf(error)}`, { path: this.#file }, error);
  }

  #save(): Promise<void> {
    const next = this.#saving.catch(() => undefined).then(() => this.#write());
    this.#saving = next;
    return next;
  }

  async #write(): Promise<void> {
    const tapes = [...this.#tapes.values()].sort((a, b) => (a.label < b.label ? -1 : 1));
    try {
      await mkdir(this.#path, { recursive: true });
      await writeFile(`${this.#file}.new`, `${JSON.stringify({ format: 1, tapes }, null, 2)}\n`);
      await rename(`${this.#file}.new`, this.#file);
    } catch (error) {
      throw mediaError("MEDIA_WRITE_FAILED", `Cannot write the tape index of drive "${this.#drive}" (${this.#file}): ${reasonOf(error)}`, { path: this.#file }, error);
    }
  }
}
