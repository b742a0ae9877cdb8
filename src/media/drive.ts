/** What a new volume is made with (the label block is written from these). */
export interface CreateVolumeOptions {
  /** The medium's name; a drive may restrict it (the dir drive: a file name). */
  label: string;
  /** 16 bytes, written in every block of the volume (format.md §3.1). */
  mediumId: Uint8Array;
  pool: string | null;
  /** Bytes per block, a valid block size (format.md §3.1). */
  blockSize: number;
  /** The most bytes the volume may hold, label included. */
  capacityBytes: number;
  createdAt: Date;
}

/**
 * A device that media agents write volumes to and read them from (DESIGN §5): a directory of
 * volume files, a virtual or real tape library. Kept small so that every kind implements it.
 */
export interface Drive {
  readonly name: string;
  /**
   * The most bytes a volume of this drive holds, label included, when the medium bounds it (a
   * vtl tape); media agents plan no volume larger, whatever the pool's medium size.
   */
  readonly maxVolumeBytes?: number;
  /**
   * Labels a new volume (writes its label block) and opens it for appending. Throws
   * MEDIA_VOLUME_EXISTS when a volume of that label is already there: volumes are never
   * overwritten.
   */
  createVolume(options: CreateVolumeOptions): Promise<VolumeWriter>;
  /** Opens a volume for reading; throws MEDIA_VOLUME_NOT_FOUND or MEDIA_NOT_A_VOLUME. */
  openVolume(label: string): Promise<VolumeReader>;
  /** The labels of the volumes the drive holds, sorted (for `reel media scan`). */
  listVolumes(): Promise<string[]>;
  /**
   * Erases a volume so its place can be labelled anew (recycling: every saveset on it expired or
   * was copied off). Throws MEDIA_VOLUME_NOT_FOUND when there is none, MEDIA_VOLUME_BUSY while
   * it is open for writing.
   */
  eraseVolume(label: string): Promise<void>;
}

/**
 * A volume open for appending blocks (format.md §3.2: append-only). Calls of write() may overlap;
 * their blocks land in call order. A writer that failed refuses further use with the same error.
 */
export interface VolumeWriter {
  readonly label: string;
  /** Blocks written so far, the label included. */
  readonly blocksWritten: number;
  /** The most blocks the volume holds, the label included. */
  readonly capacityBlocks: number;
  /**
   * Appends whole blocks (each exactly the block size). Throws MEDIA_END_OF_MEDIUM when they do
   * not fit, MEDIA_NO_SPACE or MEDIA_WRITE_FAILED. The blocks must stay unchanged until it settles.
   */
  write(blocks: Uint8Array[]): Promise<void>;
  /** Makes what was written durable. */
  sync(): Promise<void>;
  /** Waits for writes in flight, syncs and closes (idempotent). */
  close(): Promise<void>;
}

/** A volume open for reading blocks by number. */
export interface VolumeReader {
  readonly label: string;
  readonly blockSize: number;
  /** Whole blocks on the volume, the label included. */
  readonly blockCount: number;
  /**
   * Reads up to `count` blocks from block `first` (fewer at the end of the volume), in one large
   * read where the drive can. Each result is a view of exactly one block, the caller's to keep.
   */
  readBlocks(first: number, count: number): Promise<Uint8Array[]>;
  close(): Promise<void>;
  /**
   * Optional: the blocks of one readBlocks() call are no longer used by anyone, so the reader may
   * read into their memory again (saves allocating, and collecting, large buffers per read).
   */
  release?(blocks: Uint8Array[]): void;
}
