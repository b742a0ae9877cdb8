import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import type { Readable } from "node:stream";
import { type BlockHeader, type Codecs, decodeLabel, type MediumLabel, openBlock, peekBlockSize } from "../format/index.js";
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
      const first = Buffer.alloc(Math.min(size, 4096));
      readSync(fd, first, 0, first.length, 0);
      let blockSize: number;
      try {
        blockSize = peekBlockSize(first);
      } catch (error) {
        throw clientError("CLIENT_NOT_AN_ARCHIVE", `Cannot read "${path}": not a reel archive (${reasonOf(error)})`, { path }, error);
      }
      const medium = new MediumFile(fd, blockSize, Math.floor(size / blockSize), null, path);
      const check = openBlock(medium.readBlock(0), codecs.checksum);
      const label = check.ok && check.header.kind === 1 ? decodeLabel(check.payload) : null;
      return new MediumFile(fd, blockSize, medium.blockCount, label, path);
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

/** Reads a medium front to back from a stream (standard input), cut into whole blocks. */
export async function* blocksFromStream(stream: Readable): AsyncGenerator<Uint8Array> {
  let blockSize = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    pending.push(chunk);
    pendingBytes += chunk.length;
    if (blockSize === 0) {
      if (pendingBytes < 12) continue;
      blockSize = peekBlockSize(Buffer.concat(pending));
    }
    if (pendingBytes < blockSize) continue;
    const all = Buffer.concat(pending, pendingBytes);
    const whole = Math.floor(all.length / blockSize) * blockSize;
    for (let at = 0; at < whole; at += blockSize) yield all.subarray(at, at + blockSize);
    pending = whole < all.length ? [all.subarray(whole)] : [];
    pendingBytes = all.length - whole;
  }
  if (blockSize === 0 && pendingBytes > 0) peekBlockSize(Buffer.concat(pending));
  if (pendingBytes > 0) {
    const last = Buffer.alloc(blockSize);
    Buffer.concat(pending).copy(last);
    yield last;
  }
}
