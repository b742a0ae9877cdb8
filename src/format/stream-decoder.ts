import { isReelError } from "../errors/index.js";
import { bytesEqual, viewOf } from "./bytes.js";
import type { Codecs, Sha256 } from "./codecs.js";
import { decodeEntryBody, type Entry, entryPathOf } from "./entry.js";
import { decodeHead, type StreamHead } from "./head.js";
import { type DataItem, decodeDataItem, forEachIndexRow, forEachItem, type IndexRow, ItemType } from "./items.js";
import { openRecord, RecordFlag, type RecordHeader, RecordType, type StreamKey } from "./record.js";
import type { StreamLoss } from "./record-assembler.js";
import { decodeTrailer, type StreamTrailer } from "./trailer.js";

/** Where an entry's ENTRY item lies in its stream (format.md §5.4). */
export interface EntryLocation {
  chunkOffset: number;
  itemOffset: number;
}

export interface Damage {
  message: string;
  /** The entry whose data is incomplete, if one was open. */
  entryNumber: number | null;
}

export interface TrailerCheck {
  trailer: StreamTrailer;
  /** Digest and counts agree with what was read (false after any loss). */
  isIntact: boolean;
  problems: string[];
}

export interface StreamDecoderEvents {
  /** The HEAD; return the key for an encrypted stream (or null). */
  head(head: StreamHead): StreamKey | null;
  entry(entry: Entry, location: EntryLocation): void;
  data(item: DataItem): void;
  /** Index rows (only when `readIndex` is set). */
  indexRow?(row: IndexRow, entry: Entry): void;
  /** Which index rows to decode and report, by path and entry type (all when absent). */
  indexFilter?(path: Uint8Array, entryType: number): boolean;
  /** Records or entries were lost; `entryNumber` names an open entry whose data is incomplete. */
  damage(damage: Damage): void;
  /**
   * A DELETED item (format.md §5.6): `path` (a copy, raw and unchecked) was removed since the
   * base saveset. Readers that restore a chain remove it, safely, in stream order.
   */
  deleted?(path: Uint8Array, location: EntryLocation): void;
  /** An entry whose ENTRY item was lost, named by the index at the end of the stream. */
  lostEntry?(entry: Entry): void;
  trailer(check: TrailerCheck): void;
}

export interface StreamDecoderOptions {
  /** Set when decoding starts in the middle of a stream (seeking): the HEAD has been read apart. */
  head?: { head: StreamHead; key: StreamKey | null };
  /** Decode INDEX items and report rows (listing); otherwise INDEX items only name lost entries. */
  readIndex?: boolean;
  /** Check encrypted chunks by their checksums only, without a key (verify without a passphrase). */
  skipEncrypted?: boolean;
}

/**
 * Turns checked records into entries, data and damage reports (format.md §4.4, §5). Decryption
 * and decompression failures, sequence gaps and losses reported by the assembler all become
 * `damage` events naming the open entry; decoding goes on with the next good record.
 */
export class StreamDecoder {
  readonly #events: StreamDecoderEvents;
  readonly #codecs: Codecs;
  readonly #readIndex: boolean;
  readonly #skipEncrypted: boolean;
  #key: StreamKey | null = null;
  #head: StreamHead | null = null;
  #nextSequence = -1;
  #nextEntry = -1;
  #openEntry: number | null = null;
  #lostEntries: Array<[number, number]> = [];
  #sha: Sha256;
  #isDigestValid = true;
  #entryCount = 0;
  #dataBytes = 0;
  #isFinished = false;
  #sawIndex = false;
  /** Decoding began in the middle of the stream (seeking): entries before it are not lost. */
  readonly #isMidStream: boolean;
  #indexRows = 0;

  constructor(events: StreamDecoderEvents, codecs: Codecs, options: StreamDecoderOptions = {}) {
    this.#events = events;
    this.#codecs = codecs;
    this.#readIndex = options.readIndex ?? false;
    this.#skipEncrypted = options.skipEncrypted ?? false;
    this.#sha = codecs.sha256();
    this.#isMidStream = options.head !== undefined;
    if (options.head !== undefined) {
      this.#head = options.head.head;
      this.#key = options.head.key;
      this.#isDigestValid = false;
    }
  }

  get head(): StreamHead | null {
    return this.#head;
  }

  get isFinished(): boolean {
    return this.#isFinished;
  }

  /** Index rows seen so far, reported or filtered out. */
  get indexRows(): number {
    return this.#indexRows;
  }

  /** The entry whose data is being read, if any. */
  get openEntry(): number | null {
    return this.#openEntry;
  }

  /** Takes the records and losses of a RecordAssembler. */
  loss(loss: StreamLoss): void {
    this.#isDigestValid = false;
    this.#damage(`stream bytes ${loss.fromOffset}..${loss.toOffset} unreadable: ${loss.reason}`);
  }

  #damage(message: string): void {
    const entryNumber = this.#openEntry;
    this.#events.damage({ message, entryNumber });
  }

  record(record: Uint8Array, header: RecordHeader, streamOffset: number): void {
    if (this.#isFinished) return;
    if (this.#nextSequence >= 0 && header.sequence !== this.#nextSequence) {
      if (header.sequence < this.#nextSequence) return; // a record seen already
      this.#isDigestValid = false;
      this.#damage(`records ${this.#nextSequence}..${header.sequence - 1} missing`);
    }
    this.#nextSequence = header.sequence + 1;
    if (header.type !== RecordType.trailer && this.#isDigestValid) this.#sha.update(record.subarray(20, 24));
    switch (header.type) {
      case RecordType.head:
        this.#onHead(record, header);
        return;
      case RecordType.chunk:
        this.#onChunk(record, header, streamOffset);
        return;
      case RecordType.trailer:
        this.#onTrailer(record, header);
        return;
      default:
        if ((header.type & 0x80) === 0) this.#damage(`record ${header.sequence} has unknown type ${header.type}`);
    }
  }

  #onHead(record: Uint8Array, header: RecordHeader): void {
    if (header.sequence !== 0 || header.flags !== 0) {
      this.#damage(`record ${header.sequence}: a HEAD record out of place`);
      return;
    }
    this.#head = decodeHead(record.subarray(24, 24 + header.storedLength));
    this.#key = this.#events.head(this.#head);
    // An encrypted stream's digest is keyed; the head's own checksum is already in the plain hash.
    if (this.#key !== null) {
      this.#sha = this.#codecs.sha256(this.#key.chunkKey);
      this.#sha.update(record.subarray(20, 24));
    }
    if (this.#nextEntry < 0) this.#nextEntry = 0;
  }

  #onChunk(record: Uint8Array, header: RecordHeader, streamOffset: number): void {
    // Without the head (lost), unencrypted chunks still decode: every chunk carries its own flags.
    if (this.#head === null && (header.flags & RecordFlag.encrypted) !== 0) {
      this.#damage(`record ${header.sequence}: encrypted chunk, but the stream head (with the key parameters) was lost`);
      return;
    }
    if (this.#skipEncrypted && this.#key === null && (header.flags & RecordFlag.encrypted) !== 0) return;
    if (this.#head !== null && this.#head.encryption !== null && (header.flags & RecordFlag.encrypted) === 0) {
      this.#isDigestValid = false;
      this.#damage(`record ${header.sequence}: an unencrypted chunk in an encrypted stream, refused`);
      return;
    }
    let plain: Uint8Array;
    try {
      plain = openRecord(record, header, this.#key, this.#codecs);
    } catch (error) {
      if (isReelError(error, "FORMAT_PASSPHRASE_REQUIRED")) throw error;
      this.#isDigestValid = false;
      this.#damage(isReelError(error) ? error.message : String(error));
      return;
    }
    try {
      forEachItem(plain, (item) => {
        switch (item.type) {
          case ItemType.entry:
            this.#onEntry(decodeEntryBody(plain, item.bodyStart, item.bodyEnd), { chunkOffset: streamOffset, itemOffset: item.offset });
            return;
          case ItemType.data:
            this.#onData(decodeDataItem(plain, item));
            return;
          case ItemType.index:
            this.#onIndex(plain, item);
            return;
          case ItemType.deleted:
            // It ends the entry before it: data after it belongs to no entry.
            this.#closeEntry();
            this.#events.deleted?.(plain.slice(item.bodyStart, item.bodyEnd), { chunkOffset: streamOffset, itemOffset: item.offset });
            return;
          default:
            if ((item.type & 0x80) === 0) throw new Error(`unknown item type ${item.type}`);
        }
      });
    } catch (error) {
      this.#damage(`record ${header.sequence}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  #closeEntry(): void {
    this.#openEntry = null;
  }

  #onEntry(entry: Entry, location: EntryLocation): void {
    this.#closeEntry();
    // Entries before the first one seen were lost, unless decoding began in the middle on purpose.
    const expected = this.#nextEntry >= 0 ? this.#nextEntry : this.#isMidStream ? entry.number : 0;
    if (entry.number > expected) this.#lostEntries.push([expected, entry.number - 1]);
    if (this.#nextEntry >= 0 && entry.number < this.#nextEntry) {
      this.#damage(`entry ${entry.number} repeated or out of order`);
      return;
    }
    this.#nextEntry = entry.number + 1;
    this.#entryCount++;
    this.#openEntry = entry.number;
    this.#events.entry(entry, location);
  }

  #onData(item: DataItem): void {
    this.#dataBytes += item.data.length;
    if (item.entryNumber !== this.#openEntry) return; // data of an entry whose ENTRY item was lost
    this.#events.data(item);
  }

  #onIndex(plain: Uint8Array, item: { bodyStart: number; bodyEnd: number; offset: number; type: number }): void {
    this.#closeEntry();
    // Every entry precedes the index: entries not seen by now were lost, the last ones included.
    if (!this.#sawIndex) {
      this.#sawIndex = true;
      // Read from the start but no entry seen (all lost, with the head perhaps): all are lost.
      const first = this.#nextEntry >= 0 ? this.#nextEntry : this.#isMidStream ? -1 : 0;
      if (first >= 0) this.#lostEntries.push([first, Number.MAX_SAFE_INTEGER]);
    }
    const wantsRows = this.#readIndex && this.#events.indexRow !== undefined;
    if (!wantsRows && this.#events.lostEntry === undefined) return;
    forEachIndexRow(plain, item, (row) => {
      const number = viewOf(row.entryBody).getUint32(0, true) + viewOf(row.entryBody).getUint32(4, true) * 0x100000000;
      const isLost = this.#lostEntries.some(([from, to]) => number >= from && number <= to);
      this.#indexRows++;
      if (!wantsRows && !isLost) return;
      if (!isLost && this.#events.indexFilter !== undefined) {
        const path = entryPathOf(row.entryBody);
        if (path !== null && !this.#events.indexFilter(path, row.entryBody[8] ?? 0)) return;
      }
      const entry = decodeEntryBody(row.entryBody);
      if (wantsRows) this.#events.indexRow!(row, entry);
      if (isLost) this.#events.lostEntry?.(entry);
    });
  }

  #onTrailer(record: Uint8Array, header: RecordHeader): void {
    this.#closeEntry();
    const trailer = decodeTrailer(record.subarray(24, 24 + header.storedLength));
    const problems: string[] = [];
    if (trailer.recordCount !== header.sequence) problems.push(`trailer counts ${trailer.recordCount} records before it, its sequence is ${header.sequence}`);
    const isSkipping = this.#skipEncrypted && this.#key === null && this.#head?.encryption !== null;
    if (isSkipping) {
      // Without the key the keyed digest cannot be checked: block and record checksums were.
    } else if (this.#isDigestValid) {
      if (trailer.entryCount !== this.#entryCount) problems.push(`trailer counts ${trailer.entryCount} entries, ${this.#entryCount} read`);
      if (trailer.dataBytes !== this.#dataBytes) problems.push(`trailer counts ${trailer.dataBytes} data bytes, ${this.#dataBytes} read`);
      if (!bytesEqual(trailer.digest, this.#sha.digest())) problems.push("stream digest mismatch");
    } else {
      problems.push("stream was not read whole, digest not checked");
    }
    const lost = isSkipping ? 0 : trailer.entryCount - this.#entryCount;
    if (lost > 0) problems.push(`${lost} entries lost`);
    this.#isFinished = true;
    this.#events.trailer({ trailer, isIntact: problems.length === 0, problems });
  }
}
