import { type Codecs, makeLabelBlock } from "../format/index.js";
import { checkNewVolume, LABEL_WRITER } from "./dir-drive.js";
import type { CreateVolumeOptions, Drive, VolumeReader, VolumeWriter } from "./drive.js";
import { mediaError } from "./errors.js";

interface StoredVolume {
  isWriting: boolean;
  blockSize: number;
  capacityBlocks: number;
  blocks: Uint8Array[];
}

/**
 * A drive that keeps its volumes in memory (STYLE §2.6: the fake of the Drive kind), for tests
 * of what sits on top of drives. Blocks are copied in and out, as a real drive would.
 */
export class MemoryDrive implements Drive {
  readonly name: string;
  readonly #codecs: Codecs;
  readonly #volumes = new Map<string, StoredVolume>();

  constructor(o: { name: string; codecs: Codecs }) {
    this.name = o.name;
    this.#codecs = o.codecs;
  }

  /** The labels of the volumes it holds. */
  get labels(): string[] {
    return [...this.#volumes.keys()];
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- errors are rejections, as a real drive's
  async createVolume(o: CreateVolumeOptions): Promise<VolumeWriter> {
    const capacityBlocks = checkNewVolume(this.name, o);
    if (this.#volumes.has(o.label)) {
      throw mediaError("MEDIA_VOLUME_EXISTS", `Cannot create volume "${o.label}" on drive "${this.name}": it exists (volumes are never overwritten)`, { label: o.label });
    }
    const stored: StoredVolume = { isWriting: true, blockSize: o.blockSize, capacityBlocks, blocks: [] };
    this.#volumes.set(o.label, stored);
    const label = { label: o.label, pool: o.pool, createdAt: o.createdAt.toISOString(), writer: LABEL_WRITER };
    stored.blocks.push(makeLabelBlock({ mediumId: o.mediumId, blockSize: o.blockSize, label, checksum: this.#codecs.checksum }));
    return memoryWriter(this.name, o.label, stored);
  }

  openVolume(label: string): Promise<VolumeReader> {
    const stored = this.#volumes.get(label);
    if (stored === undefined) return Promise.reject(mediaError("MEDIA_VOLUME_NOT_FOUND", `Cannot open volume "${label}" on drive "${this.name}": there is none`, { label }));
    return Promise.resolve({
      label,
      blockSize: stored.blockSize,
      blockCount: stored.blocks.length,
      readBlocks: (first, count) => Promise.resolve(stored.blocks.slice(Math.max(0, first), Math.max(0, first + count)).map((block) => Uint8Array.from(block))),
      close: () => Promise.resolve(),
    });
  }

  listVolumes(): Promise<string[]> {
    return Promise.resolve([...this.#volumes.keys()].sort());
  }

  eraseVolume(label: string): Promise<void> {
    const stored = this.#volumes.get(label);
    if (stored === undefined) return Promise.reject(mediaError("MEDIA_VOLUME_NOT_FOUND", `Cannot erase volume "${label}" on drive "${this.name}": there is none`, { label }));
    if (stored.isWriting) return Promise.reject(mediaError("MEDIA_VOLUME_BUSY", `Cannot erase volume "${label}" on drive "${this.name}": it is open for writing`, { label }));
    this.#volumes.delete(label);
    return Promise.resolve();
  }
}

function memoryWriter(drive: string, label: string, stored: StoredVolume): VolumeWriter {
  let isClosed = false;
  return {
    label,
    capacityBlocks: stored.capacityBlocks,
    get blocksWritten() {
      return stored.blocks.length;
    },
    write: (blocks) => {
      if (isClosed) return Promise.reject(mediaError("MEDIA_WRITE_FAILED", `Cannot write volume "${label}" on drive "${drive}": it is closed`, { label }));
      if (stored.blocks.length + blocks.length > stored.capacityBlocks) {
        return Promise.reject(mediaError("MEDIA_END_OF_MEDIUM", `Cannot write ${blocks.length} blocks to volume "${label}": it holds ${stored.capacityBlocks} blocks and ${stored.blocks.length} are written`, { label }));
      }
      for (const block of blocks) stored.blocks.push(Uint8Array.from(block));
      return Promise.resolve();
    },
    sync: () => Promise.resolve(),
    close: () => {
      isClosed = true;
      stored.isWriting = false;
      return Promise.resolve();
    },
  };
}
