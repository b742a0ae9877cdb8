import { BlockKind, type BlockHeader, openBlock } from "./block.js";
import type { Checksum } from "./codecs.js";
import { decodeLabel, type MediumLabel } from "./label.js";

export interface MediumScannerEvents {
  label(label: MediumLabel, header: BlockHeader): void;
  /** An intact stream block. */
  block(header: BlockHeader, payload: Uint8Array): void;
  /** A block that failed its checks; `position` is its index on the medium. */
  damaged(position: number, message: string): void;
}

/**
 * Checks the blocks of a medium in order and sorts them: label, stream blocks, damaged blocks
 * (format.md §3.4). Blocks of unknown kinds are skipped.
 */
export class MediumScanner {
  readonly #events: MediumScannerEvents;
  readonly #checksum: Checksum;

  constructor(events: MediumScannerEvents, checksum: Checksum) {
    this.#events = events;
    this.#checksum = checksum;
  }

  /** Takes the block at `position` (0 = the label's place). */
  push(block: Uint8Array, position: number): void {
    const check = openBlock(block, this.#checksum);
    if (!check.ok) {
      this.#events.damaged(position, `block ${position}: ${check.message}`);
      return;
    }
    const { header, payload } = check;
    if (header.kind === BlockKind.label) {
      try {
        this.#events.label(decodeLabel(payload), header);
      } catch (error) {
        this.#events.damaged(position, `block ${position}: ${error instanceof Error ? error.message : String(error)}`);
      }
    } else if (header.kind === BlockKind.stream) {
      this.#events.block(header, payload);
    }
  }
}
