import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import type { Readable } from "node:stream";
import {
  type BlockHeader, type Checksum, type Codecs, crc32c, decodeLabel, isValidBlockSize, MAX_BLOCK_SIZE, type MediumLabel, MIN_BLOCK_SIZE, openBlock, peekBlockSize,
} from "../format/index.js";
import { clientError, reasonOf } from "./errors.js";

const READ_BYTES = 4 * 1024 * 1024;

/** A medium file opened for reading: its block size, label, and random access to blocks. */
export class MediumFile {
  readonly fd: number;
  readonly blockSize: number;
  readonly blockCount: number;
  readonly label: MediumLabel | null;
  /** The file's path (for threads that read it themselves). */
  readonly path: string;
  readonly #what: string;

  private constructor(fd: number, blockSize: number, blockCount: number, label: MediumLabel | null, what: string) {
    this.fd = fd;
    this.blockSize = blockSize;
    this.blockCount = blockCount;
    this.label = label;
    this.path = what;
    this.#what = what;
  }

  /** Opens a regular file; throws CLIENT_NOT_AN_ARCHIVE if it is not a reel medium. */
  static open(path: string, codecs: Codecs): MediumFile {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (error) {
      throw clientError("CLIENT_NOT_FOUND", `Cannot open archive "${path}": ${reasonOf(error)}`, { path }, error);
    }
    try {
      const size = fstatSync(fd).size;
      const read = (offset: number, length: number): Buffer => {
        const bytes = Buffer.alloc(length);
        if (offset < size) readSync(fd, bytes, 0, Math.min(length, size - offset), offset);
        return bytes;
      };
      let blockSize: number;
      try {
        blockSize = trustedBlockSize(read, size, codecs.checksum);
      } catch (error) {
        throw clientError("CLIENT_NOT_AN_ARCHIVE", `Cannot read "${path}": not a reel archive (${reasonOf(error)})`, { path }, error);
      }
      const check = openBlock(read(0, blockSize), codecs.checksum);
      const label = check.ok && check.header.kind === 1 ? decodeLabel(check.payload) : null;
      return new MediumFile(fd, blockSize, Math.floor(size / blockSize), label, path);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  get what(): string {
    return this.#what;
  }

  readBlock(position: number): Buffer {
    const block = Buffer.allocUnsafe(this.blockSize);
    const n = readSync(this.fd, block, 0, this.blockSize, position * this.blockSize);
    if (n < this.blockSize) block.fill(0, n);
    return block;
  }

  /** Reads blocks `from`…`to` (exclusive) in large reads; calls visit for each. */
  forEachBlock(from: number, to: number, visit: (block: Buffer, position: number) => boolean | void): void {
    const perRead = Math.max(1, Math.floor(READ_BYTES / this.blockSize));
    const buffer = Buffer.allocUnsafe(perRead * this.blockSize);
    for (let at = from; at < to; at += perRead) {
      const count = Math.min(perRead, to - at);
      const n = readSync(this.fd, buffer, 0, count * this.blockSize, at * this.blockSize);
      for (let i = 0; i < count; i++) {
        const block = buffer.subarray(i * this.blockSize, (i + 1) * this.blockSize);
        if ((i + 1) * this.blockSize > n) block.fill(0, Math.max(0, n - i * this.blockSize));
        if (visit(block, at + i) === false) return;
      }
    }
  }

  /** The header of the intact block at `position`, or null if it is damaged. */
  header(position: number, codecs: Codecs): { header: BlockHeader; payload: Uint8Array } | null {
    const check = openBlock(this.readBlock(position), codecs.checksum);
    return check.ok ? { header: check.header, payload: check.payload } : null;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Bytes to look at for an intact block when the label is damaged: the largest block 1, whole. */
const SEARCH_BYTES = 2 * MAX_BLOCK_SIZE;

/**
 * The block size of a medium from a header that passes its checksum (format.md §3.1, §3.4): the
 * label's, or, when the label is damaged, that of block 1 (a damaged label must not hide an
 * intact medium). Falls back on what the first bytes claim (or their error) when nothing checks.
 * `read` returns `length` bytes at `offset`, zeros past the end of the `total` bytes there are.
 */
function trustedBlockSize(read: (offset: number, length: number) => Buffer, total: number, checksum: Checksum): number {
  const first = read(0, 12);
  const claimed = first.readUInt32LE(8);
  const isIntactAt = (offset: number, size: number): boolean => openBlock(read(offset, size), checksum).ok;
  if (first.subarray(0, 4).toString("latin1") === "REEL") {
    if (isValidBlockSize(claimed) && isIntactAt(0, claimed)) return claimed;
    for (let size = MIN_BLOCK_SIZE; size <= MAX_BLOCK_SIZE && size + 12 <= total; size += MIN_BLOCK_SIZE) {
      const head = read(size, 12);
      if (head.subarray(0, 4).toString("latin1") === "REEL" && head.readUInt32LE(8) === size && isIntactAt(size, size)) return size;
    }
  }
  return peekBlockSize(read(0, Math.min(total, 12)));
}

/** Reads a medium front to back from a stream (standard input), cut into whole blocks. */
export async function* blocksFromStream(stream: Readable): AsyncGenerator<Uint8Array> {
  let blockSize = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  // Bytes to gather before the block size can be told: the header, the label, or enough to search.
  let needed = 12;
  const checksum = { crc32c: (data: Uint8Array, previous?: number) => crc32c(data, previous ?? 0) };
  const decide = (isEnd: boolean): number => {
    const all = Buffer.concat(pending, pendingBytes);
    pending = [all];
    const read = (offset: number, length: number): Buffer => {
      const bytes = Buffer.alloc(length);
      all.copy(bytes, 0, Math.min(offset, all.length), Math.min(offset + length, all.length));
      return bytes;
    };
    if (all.subarray(0, 4).toString("latin1") !== "REEL") return peekBlockSize(all); // not a reel medium: say so at once
    if (!isEnd) {
      // Wait for the whole label; if it does not check, for enough bytes to find an intact block.
      const claimed = all.readUInt32LE(8);
      const isLabelIntact = isValidBlockSize(claimed) && all.length >= claimed && openBlock(read(0, claimed), checksum).ok;
      needed = isValidBlockSize(claimed) && all.length < claimed ? claimed : isLabelIntact ? 0 : SEARCH_BYTES;
      if (all.length < needed) return 0;
    }
    return trustedBlockSize(read, all.length, checksum);
  };
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    pending.push(chunk);
    pendingBytes += chunk.length;
    if (blockSize === 0) {
      if (pendingBytes < needed) continue;
      blockSize = decide(false);
      if (blockSize === 0) continue;
    }
    if (pendingBytes < blockSize) continue;
    const all = Buffer.concat(pending, pendingBytes);
    const whole = Math.floor(all.length / blockSize) * blockSize;
    for (let at = 0; at < whole; at += blockSize) yield all.subarray(at, at + blockSize);
    pending = whole < all.length ? [all.subarray(whole)] : [];
    pendingBytes = all.length - whole;
  }
  if (blockSize === 0 && pendingBytes === 0) throw clientError("CLIENT_NOT_AN_ARCHIVE", "Cannot read standard input: it is empty, not a reel archive");
  if (blockSize === 0) blockSize = decide(true);
  while (pendingBytes >= blockSize) {
    // What was gathered to tell the block size, cut into blocks.
    const all = Buffer.concat(pending, pendingBytes);
    const whole = Math.floor(all.length / blockSize) * blockSize;
    for (let at = 0; at < whole; at += blockSize) yield all.subarray(at, at + blockSize);
    pending = whole < all.length ? [all.subarray(whole)] : [];
    pendingBytes = all.length - whole;
  }
  if (pendingBytes > 0) {
    const last = Buffer.alloc(blockSize);
    Buffer.concat(pending).copy(last);
    yield last;
  }
}
