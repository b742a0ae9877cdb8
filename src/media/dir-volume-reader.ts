import { fstat } from "node:fs";
import { type Checksum, isValidBlockSize, MAX_BLOCK_SIZE, MIN_BLOCK_SIZE, openBlock } from "../format/index.js";
import type { VolumeReader } from "./drive.js";
import { alignedBlocks } from "./direct-io.js";
import { mediaError, reasonOf } from "./errors.js";
import { closeFile, readAt } from "./file-io.js";

const MAGIC = "REEL";
/** Read buffers kept for reuse: the reader reads one run ahead of the one being used. */
const SPARE_BUFFERS = 3;

function fileSize(fd: number): Promise<number> {
  return new Promise((resolve, reject) => fstat(fd, (error, stats) => (error === null ? resolve(stats.size) : reject(error))));
}

/**
 * A volume file open for reading: large positional reads of whole blocks, around the page cache
 * (O_DIRECT, into aligned memory) when a direct descriptor was given; else, or once a direct read
 * is refused, through the cache.
 */
export class DirVolumeReader implements VolumeReader {
  readonly label: string;
  readonly blockSize: number;
  readonly blockCount: number;
  readonly #fd: number;
  #directFd: number | null;
  readonly #path: string;
  #isClosed = false;
  /** Read buffers given back by release(), for the next reads of the same size. */
  readonly #spare: Uint8Array[] = [];
  /** The whole buffer behind the blocks of each readBlocks, by its memory, for release(). */
  readonly #handedOut = new WeakMap<ArrayBufferLike, Uint8Array>();

  private constructor(o: { fd: number; directFd: number | null; path: string; label: string; blockSize: number; blockCount: number }) {
    this.#fd = o.fd;
    this.#directFd = o.directFd;
    this.#path = o.path;
    this.label = o.label;
    this.blockSize = o.blockSize;
    this.blockCount = o.blockCount;
  }

  /**
   * Takes an open descriptor of a volume file, and optionally a second one opened with O_DIRECT
   * (closing both on failure); learns its block size.
   */
  static async open(o: { fd: number; directFd?: number | null; path: string; label: string; checksum: Checksum }): Promise<DirVolumeReader> {
    const directFd = o.directFd ?? null;
    try {
      const size = await fileSize(o.fd);
      const blockSize = await trustedBlockSize(o.fd, size, o.checksum, `volume "${o.label}" (${o.path})`);
      return new DirVolumeReader({ fd: o.fd, directFd, path: o.path, label: o.label, blockSize, blockCount: Math.floor(size / blockSize) });
    } catch (error) {
      await closeFile(o.fd).catch(() => undefined);
      if (directFd !== null) await closeFile(directFd).catch(() => undefined);
      throw error;
    }
  }

  async readBlocks(first: number, count: number): Promise<Uint8Array[]> {
    const n = Math.max(0, Math.min(count, this.blockCount - first));
    if (n === 0 || first < 0) return [];
    const size = n * this.blockSize;
    const spare = this.#spare.findIndex((b) => b.length === size);
    // Block sizes are multiples of 4096 (format.md §3.1), so whole blocks are aligned for O_DIRECT.
    const bytes = spare >= 0 ? this.#spare.splice(spare, 1)[0]! : this.#directFd !== null ? alignedBlocks(1, size)[0]! : Buffer.allocUnsafeSlow(size);
    let got: number;
    try {
      got = await this.#readAt(bytes, first * this.blockSize);
    } catch (error) {
      throw mediaError("MEDIA_READ_FAILED", `Cannot read blocks ${first}–${first + n - 1} of volume "${this.label}" (${this.#path}): ${reasonOf(error)}`, { label: this.label, block: first }, error);
    }
    // A file cut short after it was opened: what is missing reads as zeros (damaged blocks).
    if (got < bytes.length) bytes.fill(0, got);
    const blocks: Uint8Array[] = [];
    for (let i = 0; i < n; i++) blocks.push(bytes.subarray(i * this.blockSize, (i + 1) * this.blockSize));
    this.#handedOut.set(bytes.buffer, bytes);
    return blocks;
  }

  /** Reads directly while the file system takes it; a refused direct read (EINVAL) switches to the cache for good. */
  async #readAt(bytes: Uint8Array, position: number): Promise<number> {
    const direct = this.#directFd;
    if (direct !== null) {
      try {
        return await readAt(direct, bytes, position);
      } catch (error) {
        if ((error as { code?: string }).code !== "EINVAL") throw error;
        this.#directFd = null;
        await closeFile(direct).catch(() => undefined);
      }
    }
    return readAt(this.#fd, bytes, position);
  }

  release(blocks: Uint8Array[]): void {
    const first = blocks[0];
    if (first === undefined || this.#spare.length >= SPARE_BUFFERS) return;
    // readBlocks hands out views of one buffer, the first at its start.
    const whole = this.#handedOut.get(first.buffer);
    if (whole === undefined || whole.byteOffset !== first.byteOffset || whole.length !== blocks.length * this.blockSize) return;
    this.#handedOut.delete(first.buffer);
    this.#spare.push(whole);
  }

  async close(): Promise<void> {
    if (this.#isClosed) return;
    this.#isClosed = true;
    if (this.#directFd !== null) await closeFile(this.#directFd).catch(() => undefined);
    await closeFile(this.#fd);
  }
}

/**
 * The block size of a volume from a header that passes its checksum (format.md §3.1, §3.4): the
 * label's, or when the label is damaged that of block 1, whatever its size; else what the label
 * claims. Throws MEDIA_NOT_A_VOLUME for a file that is no reel medium.
 */
async function trustedBlockSize(fd: number, total: number, checksum: Checksum, what: string): Promise<number> {
  const read = async (offset: number, length: number): Promise<Buffer> => {
    const bytes = Buffer.alloc(length);
    await readAt(fd, bytes, offset);
    return bytes;
  };
  const isIntactAt = async (offset: number, size: number): Promise<boolean> => openBlock(await read(offset, size), checksum).ok;
  const first = await read(0, 12);
  if (total < MIN_BLOCK_SIZE || first.subarray(0, 4).toString("latin1") !== MAGIC) {
    throw mediaError("MEDIA_NOT_A_VOLUME", `Cannot read ${what}: it does not start with a reel block (magic "REEL")`);
  }
  const claimed = first.readUInt32LE(8);
  if (isValidBlockSize(claimed) && (await isIntactAt(0, claimed))) return claimed;
  for (let size = MIN_BLOCK_SIZE; size <= MAX_BLOCK_SIZE && 2 * size <= total; size += MIN_BLOCK_SIZE) {
    const head = await read(size, 12);
    if (head.subarray(0, 4).toString("latin1") === MAGIC && head.readUInt32LE(8) === size && (await isIntactAt(size, size))) return size;
  }
  if (isValidBlockSize(claimed)) return claimed;
  throw mediaError("MEDIA_NOT_A_VOLUME", `Cannot read ${what}: its label is damaged and no intact block tells the block size`);
}
