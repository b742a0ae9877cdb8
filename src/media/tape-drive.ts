import { BlockKind, type Codecs, decodeLabel, MAX_BLOCK_SIZE, openBlock } from "../format/index.js";
import { checkLabel, checkNewVolume, writeLabelBlock } from "./dir-drive.js";
import { writeFailure } from "./dir-volume-writer.js";
import type { CreateVolumeOptions, Drive, VolumeReader, VolumeWriter } from "./drive.js";
import { DriveOptions } from "./drive-options.js";
import { errnoCode, mediaError, reasonOf } from "./errors.js";
import { type ChangerStatus, type CommandRunner, execFileRunner, TapeCommands } from "./tape-commands.js";
import { TapeIndex } from "./tape-index.js";
import { deviceTapeIo, type TapeHandle, type TapeIo } from "./tape-io.js";
import { emptyTapeStats, type TapeStats } from "./tape-position.js";
import { TapeVolumeReader, TapeVolumeWriter } from "./tape-volume.js";

/** The options of a `tape` drive spec. */
export interface TapeOptions {
  /** The non-rewinding tape device, e.g. /dev/nst0. */
  device: string;
  /** The changer's SCSI generic device, e.g. /dev/sg1; null: no changer, the operator loads tapes. */
  changer: string | null;
  /** The changer's number for this drive (data transfer element, from 0). */
  driveIndex: number;
}

const DEVICE = { pattern: /^\/\S+$/, what: "an absolute device path such as /dev/nst0" };

/** Reads the options of a `tape` drive spec: `device` (required), `changer`, `driveIndex`; throws MEDIA_BAD_DRIVE naming a bad one. */
export function tapeOptions(drive: string, options: Record<string, unknown> | undefined): TapeOptions {
  const read = new DriveOptions({ drive, kind: "tape", options, known: ["device", "changer", "driveIndex"] });
  return {
    device: read.string("device", { ...DEVICE, isRequired: true })!,
    changer: read.string("changer", { ...DEVICE, isRequired: false }) ?? null,
    driveIndex: read.integer("driveIndex", { min: 0, max: 255, fallback: 0 }),
  };
}

/** What the first record of a tape says. */
type TapeStart = { kind: "blank" } | { kind: "foreign" } | { kind: "label"; label: string; blockSize: number };

/**
 * The `tape` drive (DESIGN §5): a real tape drive on its non-rewinding device, with an optional
 * changer, driven by `mt` and `mtx` (through `run`) and read and written one record per block
 * (through `io`, read(2)/write(2) on the device). A volume is one tape: the label block, the
 * blocks, and the filemark the driver writes on close. The drive keeps an index of the tapes
 * it labelled in `<path>/tapes.json` (TapeIndex): their slot and block count.
 *
 * - createVolume() takes a blank tape: with a changer the first full slot not in the index
 *   whose first record is a filemark or unreadable (a new tape reports blank check), without
 *   one the tape in the drive if it is blank. A tape with other data is never written over.
 * - openVolume() and eraseVolume() check the label on the tape before they use it; erasing
 *   writes a filemark at the beginning (`mt weof 1`), so the tape reads as blank.
 * - One volume at a time: callers wait for the drive (first come, first served). The tape
 *   stays in the drive after use; the next load puts it back in its slot first.
 *
 * Tested against fake `mt`/`mtx` scripts and a tape emulated in files (tape-drive.test.ts):
 * the command sequences and the logic above. Not tested on this machine, for want of a tape:
 * the real driver's behaviour: records per read()/write() in variable-block mode, ENOSPC at
 * the early end-of-medium warning, the filemark on close, the head staying put when a device
 * read from is closed (the driver's default BSD semantics), and real `mtx status` output of
 * every changer make.
 */
export class TapeDrive implements Drive {
  readonly name: string;
  readonly path: string;
  readonly #o: TapeOptions;
  readonly #codecs: Codecs;
  readonly #commands: TapeCommands;
  readonly #io: TapeIo;
  readonly #index: TapeIndex;
  readonly #stats = emptyTapeStats();
  /** The label being written, if any. */
  #writing: string | null = null;
  /** Slots found holding data that is not a blank tape, with the barcode of that tape (a tape swapped in is checked again). */
  readonly #notBlank = new Map<number, string>();
  #isBusy = false;
  readonly #waiting: Array<() => void> = [];

  constructor(o: { name: string; path: string; codecs: Codecs; run?: CommandRunner; io?: TapeIo } & Partial<TapeOptions> & { device: string }) {
    this.name = o.name;
    this.path = o.path;
    this.#o = { device: o.device, changer: o.changer ?? null, driveIndex: o.driveIndex ?? 0 };
    this.#codecs = o.codecs;
    this.#commands = new TapeCommands({ drive: o.name, device: o.device, changer: this.#o.changer, run: o.run ?? execFileRunner() });
    this.#io = o.io ?? deviceTapeIo;
    this.#index = new TapeIndex({ drive: o.name, path: o.path });
  }

  /** Tapes loaded by the changer, positionings and blocks read since this drive was made. */
  stats(): TapeStats {
    return { ...this.#stats };
  }

  async createVolume(o: CreateVolumeOptions): Promise<VolumeWriter> {
    checkLabel(this.name, o.label);
    const capacityBlocks = checkNewVolume(this.name, o);
    await this.#index.ready();
    const release = await this.#acquire();
    let isHandedOver = false;
    try {
      if (this.#index.get(o.label) !== null || this.#writing === o.label) {
        throw mediaError("MEDIA_VOLUME_EXISTS", `Cannot create volume "${o.label}" on drive "${this.name}": a tape is labelled so (volumes are never overwritten)`, { label: o.label });
      }
      const slot = await this.#takeBlankTape(o.label);
      await this.#commands.rewind();
      const handle = await this.#open("write");
      this.#writing = o.label;
      const writer = this.#writer({ handle, label: o.label, slot, blockSize: o.blockSize, capacityBlocks, release });
      isHandedOver = true;
      await writeLabelBlock(writer, o, this.#codecs);
      try {
        await writer.sync();
      } catch (error) {
        await writer.close().catch(() => undefined);
        throw error;
      }
      return writer;
    } finally {
      if (!isHandedOver) release();
    }
  }

  #writer(o: { handle: TapeHandle; label: string; slot: number | null; blockSize: number; capacityBlocks: number; release: () => void }): TapeVolumeWriter {
    return new TapeVolumeWriter({
      handle: o.handle, label: o.label, blockSize: o.blockSize, capacityBlocks: o.capacityBlocks, what: `tape in ${this.#o.device}`,
      onBlocks: async (blocks, isClosed) => {
        try {
          await this.#index.set({ label: o.label, slot: o.slot, blockSize: o.blockSize, blocks });
        } finally {
          if (isClosed) {
            this.#writing = null;
            o.release();
          }
        }
      },
    });
  }

  /** Puts a blank tape in the drive; returns its slot (null without a changer). */
  async #takeBlankTape(label: string): Promise<number | null> {
    if (this.#o.changer === null) {
      const start = await this.#readStart();
      if (start.kind === "blank") return null;
      const holds = start.kind === "label" ? `is labelled "${start.label}"` : "holds data that is not a reel volume";
      if (start.kind === "label" && start.label === label) {
        throw mediaError("MEDIA_VOLUME_EXISTS", `Cannot create volume "${label}" on drive "${this.name}": the tape in ${this.#o.device} is labelled so (volumes are never overwritten)`, { label });
      }
      throw mediaError("MEDIA_LIBRARY_FULL", `Cannot create volume "${label}" on drive "${this.name}": no blank tape in ${this.#o.device}: the tape there ${holds}`, { label });
    }
    const status = await this.#commands.changerStatus();
    const labelled = this.#index.labelledSlots();
    const inDrive = status.drives[this.#o.driveIndex] ?? null;
    const slots = [...new Set([...status.fullSlots, ...(inDrive === null || inDrive === 0 ? [] : [inDrive])])].sort((a, b) => a - b);
    for (const slot of slots.filter((s) => !labelled.has(s))) {
      const tag = status.tags.get(slot);
      if (tag !== undefined && this.#notBlank.get(slot) === tag) continue;
      await this.#loadSlot(slot, status);
      if ((await this.#readStart()).kind === "blank") return slot;
      if (tag !== undefined) this.#notBlank.set(slot, tag);
    }
    throw mediaError("MEDIA_LIBRARY_FULL", `Cannot create volume "${label}" on drive "${this.name}": no blank tape in changer ${this.#o.changer}: ${slots.length} tapes, ${slots.filter((s) => labelled.has(s)).length} labelled by this drive, the others hold data`, {
      label, tapes: slots.length,
    });
  }

  /** Has the changer put the tape of `slot` in the drive (the tape there back in its slot first). */
  async #loadSlot(slot: number, status?: ChangerStatus): Promise<void> {
    const known = status ?? (await this.#commands.changerStatus());
    const inDrive = known.drives[this.#o.driveIndex] ?? null;
    if (inDrive === slot) return;
    if (inDrive === 0) {
      throw mediaError("MEDIA_TAPE_COMMAND_FAILED", `Cannot load tape ${slot} into drive "${this.name}": the changer ${this.#o.changer ?? ""} does not say which slot the tape in drive ${this.#o.driveIndex} came from; unload it by hand`, { drive: this.name });
    }
    if (inDrive !== null) {
      await this.#commands.unload(inDrive, this.#o.driveIndex);
      known.fullSlots.push(inDrive);
    }
    await this.#commands.load(slot, this.#o.driveIndex);
    known.drives[this.#o.driveIndex] = slot;
    this.#stats.loads++;
  }

  /** Rewinds and reads the first record; leaves the head after it (at block 1). */
  async #readStart(): Promise<TapeStart> {
    await this.#commands.rewind();
    const handle = await this.#open("read");
    const record = new Uint8Array(MAX_BLOCK_SIZE);
    let length: number;
    try {
      length = await handle.read(record);
    } catch (error) {
      // A tape never written reports blank check, which the driver gives as EIO.
      if (errnoCode(error) === "EIO") return { kind: "blank" };
      throw mediaError("MEDIA_READ_FAILED", `Cannot read the label of the tape in ${this.#o.device} (drive "${this.name}"): ${reasonOf(error)}`, { device: this.#o.device }, error);
    } finally {
      await handle.close();
    }
    if (length === 0) return { kind: "blank" };
    const check = openBlock(record.subarray(0, length), this.#codecs.checksum);
    if (!check.ok || check.header.kind !== BlockKind.label) return { kind: "foreign" };
    try {
      return { kind: "label", label: decodeLabel(check.payload).label, blockSize: length };
    } catch {
      return { kind: "foreign" };
    }
  }

  async openVolume(label: string): Promise<VolumeReader> {
    checkLabel(this.name, label);
    await this.#index.ready();
    const release = await this.#acquire();
    try {
      const entry = this.#index.get(label);
      if (entry === null) throw mediaError("MEDIA_VOLUME_NOT_FOUND", `Cannot open volume "${label}" on drive "${this.name}": no tape it labelled is labelled so`, { label });
      const blockSize = await this.#loadLabelled(label, entry.slot, "open");
      const handle = await this.#open("read");
      return new TapeVolumeReader({
        handle, label, blockSize, blockCount: entry.blocks, head: 1, commands: this.#commands, reopen: () => this.#open("read"), stats: this.#stats, onClosed: release,
      });
    } catch (error) {
      release();
      throw error;
    }
  }

  /** Loads the tape of `slot` and checks that it carries `label`; returns its block size. */
  async #loadLabelled(label: string, slot: number | null, action: string): Promise<number> {
    if (slot !== null) await this.#loadSlot(slot);
    const start = await this.#readStart();
    if (start.kind === "label" && start.label === label) return start.blockSize;
    const found = start.kind === "label" ? `is labelled "${start.label}"` : start.kind === "blank" ? "is blank" : "holds data that is not a reel volume";
    const where = slot === null ? `the tape in ${this.#o.device} ${found}: load the tape labelled "${label}"` : `the tape in slot ${slot} ${found}`;
    throw mediaError("MEDIA_VOLUME_NOT_FOUND", `Cannot ${action} volume "${label}" on drive "${this.name}": ${where}`, { label, slot });
  }

  async listVolumes(): Promise<string[]> {
    await this.#index.ready();
    return this.#index.labels();
  }

  async eraseVolume(label: string): Promise<void> {
    checkLabel(this.name, label);
    await this.#index.ready();
    if (this.#writing === label) throw mediaError("MEDIA_VOLUME_BUSY", `Cannot erase volume "${label}" on drive "${this.name}": it is open for writing`, { label });
    const entry = this.#index.get(label);
    if (entry === null) throw mediaError("MEDIA_VOLUME_NOT_FOUND", `Cannot erase volume "${label}" on drive "${this.name}": no tape it labelled is labelled so`, { label });
    const release = await this.#acquire();
    try {
      await this.#loadLabelled(label, entry.slot, "erase");
      await this.#commands.rewind();
      await this.#commands.writeFilemark();
      await this.#commands.rewind();
      await this.#index.delete(label);
    } finally {
      release();
    }
  }

  async #open(mode: "read" | "write"): Promise<TapeHandle> {
    try {
      return await this.#io.open(this.#o.device, mode);
    } catch (error) {
      if (mode === "write") throw writeFailure(`the tape in ${this.#o.device} (drive "${this.name}")`, error);
      throw mediaError("MEDIA_READ_FAILED", `Cannot open ${this.#o.device} (drive "${this.name}"): ${reasonOf(error)}`, { device: this.#o.device }, error);
    }
  }

  /** Waits for the tape drive; returns the function that gives it back (once). */
  async #acquire(): Promise<() => void> {
    if (this.#isBusy) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#isBusy = true;
    let isReleased = false;
    return () => {
      if (isReleased) return;
      isReleased = true;
      const next = this.#waiting.shift();
      if (next === undefined) this.#isBusy = false;
      else next();
    };
  }
}
