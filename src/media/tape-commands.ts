import { execFile } from "node:child_process";
import { mediaError } from "./errors.js";

/** Runs a program with arguments and resolves with its standard output; rejects when it cannot be run or exits non-zero. */
export type CommandRunner = (program: string, args: string[]) => Promise<string>;

/** Runs `mt` and `mtx` from PATH through child_process.execFile (no shell). */
export function execFileRunner(): CommandRunner {
  return (program, args) =>
    new Promise((resolve, reject) => {
      execFile(program, args, { encoding: "utf8", maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
        if (error === null) return resolve(stdout);
        const failure: Error = Object.assign(error, { stderr });
        reject(failure);
      });
    });
}

/** A changer's state from `mtx status`: which slots hold a tape, and which slot's tape each drive holds. */
export interface ChangerStatus {
  /** Storage element numbers (slots, from 1) that hold a tape; import/export slots left out. */
  fullSlots: number[];
  /** Per data transfer element (drive, from 0): null when empty, the slot its tape came from, or 0 when the changer does not know. */
  drives: Array<number | null>;
  /** Barcodes (volume tags) by the slot their tape belongs to, where the changer reads them. */
  tags: Map<number, string>;
}

/** Reads `mtx status` output. */
export function parseChangerStatus(text: string): ChangerStatus {
  const fullSlots: number[] = [];
  const drives: Array<number | null> = [];
  const tags = new Map<number, string>();
  for (const line of text.split("\n")) {
    const tag = /:VolumeTag\s*=\s*(\S+)/.exec(line)?.[1];
    const drive = /^\s*Data Transfer Element (\d+):(Empty|Full)(?: \(Storage Element (\d+) Loaded\))?/.exec(line);
    if (drive !== null) drives[Number(drive[1])] = drive[2] === "Empty" ? null : Number(drive[3] ?? 0);
    const slot = /^\s*Storage Element (\d+)( IMPORT\/EXPORT)?:Full/.exec(line);
    if (slot !== null && slot[2] === undefined) fullSlots.push(Number(slot[1]));
    const home = slot !== null && slot[2] === undefined ? Number(slot[1]) : drive?.[3] !== undefined ? Number(drive[3]) : null;
    if (home !== null && tag !== undefined) tags.set(home, tag);
  }
  return { fullSlots, drives: Array.from(drives, (d) => d ?? null), tags };
}

/**
 * The commands a tape drive is driven by: `mt -f DEVICE …` for the drive (a non-rewinding
 * device, so the position holds between commands) and `mtx -f CHANGER …` for its changer. A
 * command that fails throws MEDIA_TAPE_COMMAND_FAILED with the command line and its output.
 */
export class TapeCommands {
  readonly #drive: string;
  readonly #device: string;
  readonly #changer: string | null;
  readonly #run: CommandRunner;

  constructor(o: { drive: string; device: string; changer: string | null; run: CommandRunner }) {
    this.#drive = o.drive;
    this.#device = o.device;
    this.#changer = o.changer;
    this.#run = o.run;
  }

  /** `mt -f DEVICE rewind`: the head to the beginning of the tape. */
  async rewind(): Promise<void> {
    await this.#command("mt", ["-f", this.#device, "rewind"]);
  }

  /** `mt -f DEVICE fsr N`: spaces forward over N records (blocks). */
  async forwardSpaceRecords(count: number): Promise<void> {
    await this.#command("mt", ["-f", this.#device, "fsr", String(count)]);
  }

  /** `mt -f DEVICE weof 1`: a filemark at the head; all after it is gone (at the beginning: the tape reads as blank). */
  async writeFilemark(): Promise<void> {
    await this.#command("mt", ["-f", this.#device, "weof", "1"]);
  }

  async changerStatus(): Promise<ChangerStatus> {
    return parseChangerStatus(await this.#command("mtx", ["-f", this.#changerDevice(), "status"]));
  }

  /** `mtx -f CHANGER load SLOT DRIVE`. */
  async load(slot: number, drive: number): Promise<void> {
    await this.#command("mtx", ["-f", this.#changerDevice(), "load", String(slot), String(drive)]);
  }

  /** `mtx -f CHANGER unload SLOT DRIVE`. */
  async unload(slot: number, drive: number): Promise<void> {
    await this.#command("mtx", ["-f", this.#changerDevice(), "unload", String(slot), String(drive)]);
  }

  #changerDevice(): string {
    if (this.#changer === null) throw mediaError("MEDIA_BAD_DRIVE", `Cannot move tapes for drive "${this.#drive}": it has no changer (option "changer")`, { drive: this.#drive, option: "changer" });
    return this.#changer;
  }

  async #command(program: string, args: string[]): Promise<string> {
    try {
      return await this.#run(program, args);
    } catch (error) {
      const line = [program, ...args].join(" ");
      const stderr = (error as { stderr?: unknown }).stderr;
      const output = typeof stderr === "string" ? stderr.trim() : "";
      const reason = output !== "" ? output : error instanceof Error ? error.message : String(error);
      throw mediaError("MEDIA_TAPE_COMMAND_FAILED", `Cannot run "${line}" for drive "${this.#drive}": ${reason}`, { drive: this.#drive, command: line }, error);
    }
  }
}
