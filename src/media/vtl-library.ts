import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { errnoCode, mediaError, reasonOf } from "./errors.js";
import type { TapeStats } from "./tape-position.js";

/** library.json as stored: which tape (slot) carries which label, which slot is in which drive. */
interface StoredLibrary {
  format: 1;
  slots: Array<{ slot: number; label: string | null }>;
  /** Per tape drive, the slot whose tape it holds, or null. */
  drives: Array<number | null>;
}

/** A tape in a tape drive, with its head. Readers of the same tape share it; a writer has it alone. */
export interface LoadedTape {
  readonly drive: number;
  readonly slot: number;
  readonly mode: "write" | "read";
  /** Readers and writers holding it; it goes back to its slot when the last lets go. */
  users: number;
  /** The block the head is at. */
  head: number;
}

/**
 * The changer of a virtual tape library and its state on disk (the layout is in VtlDrive's doc
 * comment). The state is kept in memory and written to library.json after every change, in
 * order, by write-and-rename (so a crash leaves the old or the new file, never half of one).
 *
 * Invariants: 1. a slot is labelled (`#labels`) only once its tape carries the label block;
 * 2. a slot being labelled or erased is in `#reserved` and no one else takes it; 3. a tape is
 * in at most one tape drive, and a drive holds at most one tape; 4. waiters are served first
 * come, first served: a request made while others wait queues behind them.
 */
export class VtlLibrary {
  readonly name: string;
  readonly path: string;
  readonly #slotCount: number;
  readonly #driveCount: number;
  #labels: Array<string | null> = [];
  readonly #reserved = new Set<number>();
  #drives: Array<LoadedTape | null> = [];
  #waiters: Array<() => boolean> = [];
  #loading: Promise<void> | null = null;
  #saving: Promise<void> = Promise.resolve();
  readonly stats: TapeStats;

  constructor(o: { name: string; path: string; slots: number; drives: number; stats: TapeStats }) {
    this.name = o.name;
    this.path = o.path;
    this.#slotCount = o.slots;
    this.#driveCount = o.drives;
    this.stats = o.stats;
  }

  /** The file holding the bytes of the tape in `slot` (1-based). */
  tapePath(slot: number): string {
    return join(this.path, "slots", `${String(slot).padStart(3, "0")}.tape`);
  }

  /** Reads library.json once (or makes a new library); tapes left in drives by a process that ended go back to their slots. */
  ready(): Promise<void> {
    this.#loading ??= this.#load().catch((error: unknown) => {
      this.#loading = null;
      throw error;
    });
    return this.#loading;
  }

  /** Labels of labelled tapes, sorted. */
  labels(): string[] {
    return this.#labels.filter((label): label is string => label !== null).sort();
  }

  /** The slot of the tape labelled `label`, or null. */
  slotOf(label: string): number | null {
    const index = this.#labels.indexOf(label);
    return index < 0 ? null : index + 1;
  }

  /** The tape drive holding the tape of `slot`, or null when it is in its slot. */
  loadedTape(slot: number): LoadedTape | null {
    return this.#drives.find((tape) => tape?.slot === slot) ?? null;
  }

  /** Takes a blank tape for `label` (call unreserve() if labelling fails). Throws MEDIA_LIBRARY_FULL when there is none. */
  reserveBlank(label: string): number {
    const index = this.#labels.findIndex((l, i) => l === null && !this.#reserved.has(i + 1));
    if (index < 0) {
      const labelled = this.#labels.filter((l) => l !== null).length;
      const busy = this.#slotCount - labelled;
      const state = busy === 0 ? "all labelled" : `${labelled} labelled, ${busy} being labelled or erased`;
      throw mediaError("MEDIA_LIBRARY_FULL", `Cannot create volume "${label}" on drive "${this.name}": no blank tape in library ${this.path}: ${this.#slotCount} slots, ${state}`, {
        label, slots: this.#slotCount, labelled,
      });
    }
    this.#reserved.add(index + 1);
    return index + 1;
  }

  /** Reserves a labelled tape that is in its slot, for erasing. */
  reserveLabelled(slot: number): void {
    this.#reserved.add(slot);
  }

  isReserved(slot: number): boolean {
    return this.#reserved.has(slot);
  }

  unreserve(slot: number): void {
    this.#reserved.delete(slot);
  }

  /** Records the label of a tape (null: blank) and saves. */
  async setLabel(slot: number, label: string | null): Promise<void> {
    this.#labels[slot - 1] = label;
    await this.#save();
  }

  /**
   * Loads the tape of `slot` into a free tape drive, waiting while all are busy; a reader shares
   * the drive of a tape already loaded for reading. The head of a newly loaded tape is at
   * `headAfterLoad`.
   */
  async load(slot: number, mode: "write" | "read", headAfterLoad: number): Promise<LoadedTape> {
    const tape = await new Promise<LoadedTape>((resolve) => {
      const attempt = (): boolean => {
        const taken = this.#take(slot, mode, headAfterLoad);
        if (taken !== null) resolve(taken);
        return taken !== null;
      };
      if (this.#waiters.length > 0 || !attempt()) this.#waiters.push(attempt);
    });
    if (tape.users === 1) {
      try {
        await this.#save();
      } catch (error) {
        await this.unload(tape).catch(() => undefined);
        throw error;
      }
    }
    return tape;
  }

  /** Lets go of a loaded tape; the last user's unload puts it back in its slot and wakes waiters. */
  async unload(tape: LoadedTape): Promise<void> {
    tape.users--;
    if (tape.users > 0) return;
    this.#drives[tape.drive] = null;
    this.#wake();
    await this.#save();
  }

  #take(slot: number, mode: "write" | "read", headAfterLoad: number): LoadedTape | null {
    const loaded = this.loadedTape(slot);
    if (loaded !== null) {
      if (mode === "write" || loaded.mode === "write") return null;
      loaded.users++;
      return loaded;
    }
    const drive = this.#drives.indexOf(null);
    if (drive < 0) return null;
    const tape: LoadedTape = { drive, slot, mode, users: 1, head: headAfterLoad };
    this.#drives[drive] = tape;
    this.stats.loads++;
    return tape;
  }

  #wake(): void {
    const waiting = this.#waiters;
    this.#waiters = [];
    for (const attempt of waiting) {
      if (this.#waiters.length > 0 || !attempt()) this.#waiters.push(attempt);
    }
  }

  async #load(): Promise<void> {
    const file = join(this.path, "library.json");
    let stored: StoredLibrary | null = null;
    try {
      stored = parseLibrary(await readFile(file, "utf8"));
    } catch (error) {
      if (errnoCode(error) !== "ENOENT") throw mediaError("MEDIA_READ_FAILED", `Cannot read the library of drive "${this.name}" (${file}): ${reasonOf(error)}`, { path: file }, error);
    }
    const labels: Array<string | null> = Array.from({ length: this.#slotCount }, () => null);
    for (const { slot, label } of stored?.slots ?? []) {
      if (slot > this.#slotCount && label !== null) {
        throw mediaError("MEDIA_BAD_DRIVE", `Cannot use drive "${this.name}" with option slots ${this.#slotCount}: slot ${slot} of library ${this.path} holds tape "${label}"`, { drive: this.name, option: "slots" });
      }
      if (slot <= this.#slotCount) labels[slot - 1] = label;
    }
    this.#labels = labels;
    this.#drives = Array.from({ length: this.#driveCount }, () => null);
    try {
      await mkdir(join(this.path, "slots"), { recursive: true });
    } catch (error) {
      throw mediaError("MEDIA_WRITE_FAILED", `Cannot make the library of drive "${this.name}" (${this.path}): ${reasonOf(error)}`, { path: this.path }, error);
    }
    await this.#save();
  }

  /** Writes the state as it is now, after the writes queued before. */
  #save(): Promise<void> {
    const next = this.#saving.catch(() => undefined).then(() => this.#write());
    this.#saving = next;
    return next;
  }

  async #write(): Promise<void> {
    const stored: StoredLibrary = {
      format: 1,
      slots: this.#labels.map((label, i) => ({ slot: i + 1, label })),
      drives: this.#drives.map((tape) => tape?.slot ?? null),
    };
    const file = join(this.path, "library.json");
    try {
      await writeFile(`${file}.new`, `${JSON.stringify(stored, null, 2)}\n`);
      await rename(`${file}.new`, file);
    } catch (error) {
      throw mediaError("MEDIA_WRITE_FAILED", `Cannot write the library of drive "${this.name}" (${file}): ${reasonOf(error)}`, { path: file }, error);
    }
  }
}

function parseLibrary(text: string): StoredLibrary {
  const value = JSON.parse(text) as Partial<StoredLibrary>;
  if (value.format !== 1 || !Array.isArray(value.slots)) throw new Error("not a reel library (format 1)");
  for (const entry of value.slots) {
    if (!Number.isInteger(entry.slot) || entry.slot < 1 || (entry.label !== null && typeof entry.label !== "string")) throw new Error(`a bad slot entry ${JSON.stringify(entry)}`);
  }
  return value as StoredLibrary;
}
