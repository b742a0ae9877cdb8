import { mkdir, readdir, unlink } from "node:fs/promises";
import { join } from "node:path";
import { BugError } from "../errors/index.js";
import { type Codecs, isValidBlockSize, makeLabelBlock } from "../format/index.js";
import type { CreateVolumeOptions, Drive, VolumeReader, VolumeWriter } from "./drive.js";
import { DirVolumeReader } from "./dir-volume-reader.js";
import { DirVolumeWriter, writeFailure } from "./dir-volume-writer.js";
import { errnoCode, mediaError, reasonOf } from "./errors.js";
import { canWriteDirect, DIRECT_CREATE_FLAGS, DIRECT_READ_FLAGS } from "./direct-io.js";
import { openFile } from "./file-io.js";

/** The program that writes labels (format.md §3.3 `writer`). */
export const LABEL_WRITER = "reel 0.1.0";

/** Writes a new volume's label block (block 0, format.md §3.3) as its first block; on failure the writer is closed. */
export async function writeLabelBlock(writer: VolumeWriter, o: CreateVolumeOptions, codecs: Codecs): Promise<void> {
  const label = { label: o.label, pool: o.pool, createdAt: o.createdAt.toISOString(), writer: LABEL_WRITER };
  try {
    await writer.write([makeLabelBlock({ mediumId: o.mediumId, blockSize: o.blockSize, label, checksum: codecs.checksum })]);
  } catch (error) {
    await writer.close().catch(() => undefined);
    throw error;
  }
}

/** Labels that are safe as file names: no separators, no dot files, no `..`. */
const LABEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Throws MEDIA_BAD_LABEL for a label that could not be a file name. Every drive kind takes the
 * same labels, so that a pool's labels fit whichever drive its media go to.
 */
export function checkLabel(drive: string, label: string): void {
  if (!LABEL_PATTERN.test(label)) {
    throw mediaError("MEDIA_BAD_LABEL", `Cannot use volume label "${label}" on drive "${drive}": use letters, digits, ".", "_" and "-" (at most 128), starting with a letter or digit`, { label });
  }
}

/** Checks what every drive needs of a new volume; returns its capacity in blocks. */
export function checkNewVolume(drive: string, o: CreateVolumeOptions): number {
  if (!isValidBlockSize(o.blockSize)) {
    throw mediaError("MEDIA_BAD_BLOCK_SIZE", `Cannot create volume "${o.label}" on drive "${drive}": block size ${o.blockSize} is not a multiple of 4096 from 4096 to 16 MiB`, { blockSize: o.blockSize });
  }
  if (o.mediumId.length !== 16) throw new BugError(`volume "${o.label}" on drive "${drive}": a medium id of ${o.mediumId.length} bytes, not 16`);
  const capacityBlocks = Math.floor(o.capacityBytes / o.blockSize);
  if (capacityBlocks < 2) {
    throw mediaError("MEDIA_VOLUME_TOO_SMALL", `Cannot create volume "${o.label}" on drive "${drive}": ${o.capacityBytes} bytes do not hold a label and one block of ${o.blockSize} bytes`, {
      capacityBytes: o.capacityBytes, blockSize: o.blockSize,
    });
  }
  return capacityBlocks;
}

/**
 * The `dir` drive (DESIGN §5): each volume is a file `<path>/<label>.reel` of at most its
 * capacity. Volumes are created exclusively, never overwritten.
 */
export class DirDrive implements Drive {
  readonly name: string;
  readonly path: string;
  readonly #codecs: Codecs;
  /** Labels of the volumes open for writing. */
  readonly #writing = new Set<string>();

  constructor(o: { name: string; path: string; codecs: Codecs }) {
    this.name = o.name;
    this.path = o.path;
    this.#codecs = o.codecs;
  }

  /** The file of the volume labelled `label`; throws MEDIA_BAD_LABEL if it cannot be a file name. */
  volumePath(label: string): string {
    checkLabel(this.name, label);
    return join(this.path, `${label}.reel`);
  }

  async createVolume(o: CreateVolumeOptions): Promise<VolumeWriter> {
    const path = this.volumePath(o.label);
    const capacityBlocks = checkNewVolume(this.name, o);
    let fd: number;
    let isDirect: boolean;
    try {
      await mkdir(this.path, { recursive: true });
      ({ fd, isDirect } = await createVolumeFile(path));
    } catch (error) {
      if (errnoCode(error) === "EEXIST") {
        throw mediaError("MEDIA_VOLUME_EXISTS", `Cannot create volume "${o.label}" on drive "${this.name}": ${path} already exists (volumes are never overwritten)`, { label: o.label, path }, error);
      }
      throw writeFailure(`volume "${o.label}" (${path})`, error);
    }
    this.#writing.add(o.label);
    const writer = new DirVolumeWriter({ fd, path, directory: this.path, label: o.label, blockSize: o.blockSize, capacityBlocks, isDirect, onClosed: () => this.#writing.delete(o.label) });
    await writeLabelBlock(writer, o, this.#codecs);
    return writer;
  }

  async openVolume(label: string): Promise<VolumeReader> {
    const path = this.volumePath(label);
    let fd: number;
    try {
      fd = await openFile(path, "r");
    } catch (error) {
      if (errnoCode(error) === "ENOENT") throw mediaError("MEDIA_VOLUME_NOT_FOUND", `Cannot open volume "${label}" on drive "${this.name}": ${path} does not exist`, { label, path }, error);
      throw mediaError("MEDIA_READ_FAILED", `Cannot open volume "${label}" on drive "${this.name}" (${path}): ${reasonOf(error)}`, { label, path }, error);
    }
    return DirVolumeReader.open({ fd, directFd: await openDirect(path), path, label, checksum: this.#codecs.checksum });
  }

  async listVolumes(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.path);
    } catch (error) {
      if (errnoCode(error) === "ENOENT") return [];
      throw mediaError("MEDIA_READ_FAILED", `Cannot list the volumes of drive "${this.name}" (${this.path}): ${reasonOf(error)}`, { path: this.path }, error);
    }
    return names.filter((n) => n.endsWith(".reel") && LABEL_PATTERN.test(n.slice(0, -5))).map((n) => n.slice(0, -5)).sort();
  }

  async eraseVolume(label: string): Promise<void> {
    const path = this.volumePath(label);
    if (this.#writing.has(label)) throw mediaError("MEDIA_VOLUME_BUSY", `Cannot erase volume "${label}" on drive "${this.name}": it is open for writing`, { label, path });
    try {
      await unlink(path);
    } catch (error) {
      if (errnoCode(error) === "ENOENT") throw mediaError("MEDIA_VOLUME_NOT_FOUND", `Cannot erase volume "${label}" on drive "${this.name}": ${path} does not exist`, { label, path }, error);
      throw mediaError("MEDIA_WRITE_FAILED", `Cannot erase volume "${label}" on drive "${this.name}" (${path}): ${reasonOf(error)}`, { label, path }, error);
    }
  }
}

/**
 * A second descriptor of a volume for reading its blocks around the page cache (O_DIRECT): on
 * the machines measured the kernel's copy into its cache cost a core-second per GiB restored
 * (bench/RESULTS.md). Null where the file system or the memory does not allow it.
 */
async function openDirect(path: string): Promise<number | null> {
  if (!canWriteDirect) return null;
  try {
    return await openFile(path, DIRECT_READ_FLAGS);
  } catch {
    // EINVAL (tmpfs) or anything else: the ordinary descriptor reads all the same.
    return null;
  }
}

/**
 * Creates a volume file, with O_DIRECT where the file system and the memory allow it
 * (direct-io.ts), else for writing through the page cache; throws EEXIST for an existing file.
 */
async function createVolumeFile(path: string): Promise<{ fd: number; isDirect: boolean }> {
  if (canWriteDirect) {
    try {
      return { fd: await openFile(path, DIRECT_CREATE_FLAGS), isDirect: true };
    } catch (error) {
      // EINVAL: this file system does not do O_DIRECT (tmpfs); anything else is a real failure.
      if (errnoCode(error) !== "EINVAL") throw error;
    }
  }
  return { fd: await openFile(path, "wx"), isDirect: false };
}
