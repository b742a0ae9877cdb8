import { truncate } from "node:fs/promises";
import { dirname } from "node:path";
import type { Codecs } from "../format/index.js";
import { checkLabel, checkNewVolume, writeLabelBlock } from "./dir-drive.js";
import { DirVolumeReader } from "./dir-volume-reader.js";
import { DirVolumeWriter, writeFailure } from "./dir-volume-writer.js";
import type { CreateVolumeOptions, Drive, VolumeReader, VolumeWriter } from "./drive.js";
import { DriveOptions } from "./drive-options.js";
import { errnoCode, mediaError, reasonOf } from "./errors.js";
import { openFile } from "./file-io.js";
import { emptyTapeStats, type TapeStats } from "./tape-position.js";
import { type LoadedTape, VtlLibrary } from "./vtl-library.js";
import { VtlVolumeReader, VtlVolumeWriter } from "./vtl-volume.js";

const MiB = 1024 * 1024;

/** The shape of a virtual tape library (the `options` of a `vtl` drive spec). */
export interface VtlOptions {
  /** Slots, each holding one tape (default 8). */
  slots: number;
  /** Tape drives: how many tapes may be loaded, for reading or writing, at once (default 2). */
  drives: number;
  /** Bytes per tape, the label included (default 64 MiB). */
  tapeSizeBytes: number;
}

/** Reads the options of a `vtl` drive spec: `slots`, `drives`, `tapeSize`; throws MEDIA_BAD_DRIVE naming a bad one. */
export function vtlOptions(drive: string, options: Record<string, unknown> | undefined): VtlOptions {
  const read = new DriveOptions({ drive, kind: "vtl", options, known: ["slots", "drives", "tapeSize"] });
  return {
    slots: read.integer("slots", { min: 1, max: 999, fallback: 8 }),
    drives: read.integer("drives", { min: 1, max: 64, fallback: 2 }),
    tapeSizeBytes: read.integer("tapeSize", { min: 8192, max: Number.MAX_SAFE_INTEGER, fallback: 64 * MiB }),
  };
}

/**
 * The `vtl` drive (DESIGN §5): a virtual tape library that behaves like tape. Tapes have a fixed
 * capacity and are written append-only from the label on; a tape drive holds one tape, and
 * reading anywhere but at the head costs a rewind or a forward space (see stats()).
 *
 * On disk, in the drive's path (kept across restarts):
 * - `library.json`: `{ "format": 1, "slots": [{ "slot": 1, "label": "DAILY00017" | null }, …],
 *   "drives": [slot | null, …] }`: the label of each slot's tape (null: blank) and which slot's
 *   tape each tape drive holds. A new VtlDrive puts tapes left in drives back in their slots.
 * - `slots/NNN.tape` (NNN: the slot, from 001): the bytes of that tape, label block first, a
 *   whole number of blocks; empty or absent when blank. The same bytes as a dir drive's
 *   `<label>.reel`, so a tape file can be read as a volume file.
 *
 * Waiting: createVolume() and openVolume() wait for a free tape drive while all hold tapes
 * (first come, first served); readers of one tape share its drive and its head. A tape loaded
 * for writing is read in its drive too (what was appended so far). One VtlDrive (one node) owns a library directory.
 */
export class VtlDrive implements Drive {
  readonly name: string;
  readonly path: string;
  readonly tapeSizeBytes: number;
  readonly maxVolumeBytes: number;
  readonly #codecs: Codecs;
  readonly #library: VtlLibrary;
  readonly #stats = emptyTapeStats();
  /** Labels being written onto a blank tape (not yet in the library). */
  readonly #labelling = new Set<string>();

  constructor(o: { name: string; path: string; codecs: Codecs } & Partial<VtlOptions>) {
    this.name = o.name;
    this.path = o.path;
    this.tapeSizeBytes = o.tapeSizeBytes ?? 64 * MiB;
    this.maxVolumeBytes = this.tapeSizeBytes;
    this.#codecs = o.codecs;
    this.#library = new VtlLibrary({ name: o.name, path: o.path, slots: o.slots ?? 8, drives: o.drives ?? 2, stats: this.#stats });
  }

  /** How often tapes were loaded and heads positioned, and blocks read, since this drive was made. */
  stats(): TapeStats {
    return { ...this.#stats };
  }

  async createVolume(o: CreateVolumeOptions): Promise<VolumeWriter> {
    checkLabel(this.name, o.label);
    const capacityBlocks = checkNewVolume(this.name, { ...o, capacityBytes: Math.min(o.capacityBytes, this.tapeSizeBytes) });
    await this.#library.ready();
    if (this.#library.slotOf(o.label) !== null || this.#labelling.has(o.label)) {
      throw mediaError("MEDIA_VOLUME_EXISTS", `Cannot create volume "${o.label}" on drive "${this.name}": a tape of library ${this.path} is labelled so (volumes are never overwritten)`, { label: o.label });
    }
    const slot = this.#library.reserveBlank(o.label);
    this.#labelling.add(o.label);
    let tape: LoadedTape | null = null;
    try {
      tape = await this.#library.load(slot, "write", 0);
      const writer = await this.#labelTape(slot, o, capacityBlocks);
      await this.#library.setLabel(slot, o.label);
      const loaded = tape;
      return new VtlVolumeWriter(writer, () => this.#library.unload(loaded));
    } catch (error) {
      if (tape !== null) await this.#library.unload(tape).catch(() => undefined);
      throw error;
    } finally {
      this.#library.unreserve(slot);
      this.#labelling.delete(o.label);
    }
  }

  /** Writes the label block at the start of the blank tape of `slot`. */
  async #labelTape(slot: number, o: CreateVolumeOptions, capacityBlocks: number): Promise<VolumeWriter> {
    const path = this.#library.tapePath(slot);
    let fd: number;
    try {
      fd = await openFile(path, "w");
    } catch (error) {
      throw writeFailure(`tape ${slot} of drive "${this.name}" (${path})`, error);
    }
    const writer = new DirVolumeWriter({ fd, path, directory: dirname(path), label: o.label, blockSize: o.blockSize, capacityBlocks });
    await writeLabelBlock(writer, o, this.#codecs);
    return writer;
  }

  async openVolume(label: string): Promise<VolumeReader> {
    checkLabel(this.name, label);
    await this.#library.ready();
    const slot = this.#library.slotOf(label);
    if (slot === null) throw this.#notFound("open", label);
    // Loading reads the label, which leaves the head at block 1.
    const tape = await this.#library.load(slot, "read", 1);
    try {
      // While this waited for a drive, the tape may have been erased.
      if (this.#library.slotOf(label) !== slot || this.#library.isReserved(slot)) throw this.#notFound("open", label);
      const reader = await this.#openTapeFile(slot, label);
      return new VtlVolumeReader({ reader, tape, stats: this.#stats, unload: () => this.#library.unload(tape) });
    } catch (error) {
      await this.#library.unload(tape).catch(() => undefined);
      throw error;
    }
  }

  async #openTapeFile(slot: number, label: string): Promise<VolumeReader> {
    const path = this.#library.tapePath(slot);
    let fd: number;
    try {
      fd = await openFile(path, "r");
    } catch (error) {
      if (errnoCode(error) === "ENOENT") throw mediaError("MEDIA_NOT_A_VOLUME", `Cannot read volume "${label}" on drive "${this.name}": tape ${slot} (${path}) is missing`, { label, path });
      throw mediaError("MEDIA_READ_FAILED", `Cannot read volume "${label}" on drive "${this.name}" (${path}): ${reasonOf(error)}`, { label, path }, error);
    }
    return DirVolumeReader.open({ fd, path, label, checksum: this.#codecs.checksum });
  }

  async listVolumes(): Promise<string[]> {
    await this.#library.ready();
    return this.#library.labels();
  }

  async eraseVolume(label: string): Promise<void> {
    checkLabel(this.name, label);
    await this.#library.ready();
    const slot = this.#library.slotOf(label);
    if (slot === null || this.#library.isReserved(slot)) throw this.#notFound("erase", label);
    const loaded = this.#library.loadedTape(slot);
    if (loaded !== null) {
      const use = loaded.mode === "write" ? "open for writing" : "loaded for reading";
      throw mediaError("MEDIA_VOLUME_BUSY", `Cannot erase volume "${label}" on drive "${this.name}": it is ${use} in tape drive ${loaded.drive + 1}`, { label, slot });
    }
    this.#library.reserveLabelled(slot);
    const path = this.#library.tapePath(slot);
    try {
      await truncate(path, 0).catch((error: unknown) => {
        if (errnoCode(error) !== "ENOENT") throw mediaError("MEDIA_WRITE_FAILED", `Cannot erase volume "${label}" on drive "${this.name}" (${path}): ${reasonOf(error)}`, { label, path }, error);
      });
      await this.#library.setLabel(slot, null);
    } finally {
      this.#library.unreserve(slot);
    }
  }

  #notFound(action: string, label: string): Error {
    return mediaError("MEDIA_VOLUME_NOT_FOUND", `Cannot ${action} volume "${label}" on drive "${this.name}": no tape of library ${this.path} is labelled so`, { label });
  }
}
