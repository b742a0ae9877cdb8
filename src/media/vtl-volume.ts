import type { VolumeReader, VolumeWriter } from "./drive.js";
import { countPositioning, positioning, type TapeStats } from "./tape-position.js";
import type { LoadedTape } from "./vtl-library.js";

/**
 * A volume being written on a tape of a virtual tape library: the tape file's writer (append
 * only, MEDIA_END_OF_MEDIUM at the capacity), which gives the tape drive back once closed.
 */
export class VtlVolumeWriter implements VolumeWriter {
  readonly #writer: VolumeWriter;
  readonly #unload: () => Promise<void>;
  #closing: Promise<void> | null = null;

  constructor(writer: VolumeWriter, unload: () => Promise<void>) {
    this.#writer = writer;
    this.#unload = unload;
  }

  get label(): string {
    return this.#writer.label;
  }

  get blocksWritten(): number {
    return this.#writer.blocksWritten;
  }

  get capacityBlocks(): number {
    return this.#writer.capacityBlocks;
  }

  write(blocks: Uint8Array[]): Promise<void> {
    return this.#writer.write(blocks);
  }

  sync(): Promise<void> {
    return this.#writer.sync();
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    try {
      await this.#writer.close();
    } finally {
      await this.#unload();
    }
  }
}

/**
 * A volume being read from a tape of a virtual tape library. The tape has one head, shared by
 * every reader of the tape: a read where the head is costs nothing, a read elsewhere costs a
 * forward space or a rewind (counted in `stats`), as it would on a real drive.
 */
export class VtlVolumeReader implements VolumeReader {
  readonly #reader: VolumeReader;
  readonly #tape: LoadedTape;
  readonly #stats: TapeStats;
  readonly #unload: () => Promise<void>;
  #closing: Promise<void> | null = null;

  constructor(o: { reader: VolumeReader; tape: LoadedTape; stats: TapeStats; unload: () => Promise<void> }) {
    this.#reader = o.reader;
    this.#tape = o.tape;
    this.#stats = o.stats;
    this.#unload = o.unload;
  }

  get label(): string {
    return this.#reader.label;
  }

  get blockSize(): number {
    return this.#reader.blockSize;
  }

  get blockCount(): number {
    return this.#reader.blockCount;
  }

  async readBlocks(first: number, count: number): Promise<Uint8Array[]> {
    const n = Math.max(0, Math.min(count, this.blockCount - first));
    if (n === 0 || first < 0) return [];
    countPositioning(this.#stats, positioning(this.#tape.head, first));
    // The head moves when the read is issued: a read issued next continues from here.
    this.#tape.head = first + n;
    const blocks = await this.#reader.readBlocks(first, n);
    this.#stats.blocksRead += blocks.length;
    return blocks;
  }

  release(blocks: Uint8Array[]): void {
    this.#reader.release?.(blocks);
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    try {
      await this.#reader.close();
    } finally {
      await this.#unload();
    }
  }
}
