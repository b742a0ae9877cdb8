import {
  type Codecs,
  type DataItem,
  decodeRecordHeader,
  type Entry,
  idFromString,
  RECORD_HEADER_SIZE,
  recordChecksumMatches,
  RecordType,
  StreamDecoder,
  type StreamDecoderEvents,
  type StreamHead,
  type StreamKey,
  type TrailerCheck,
} from "../format/index.js";
import { ReelError } from "../errors/index.js";
import { displayPath } from "./errors.js";
import { openStreamEncryption } from "./node-codecs.js";
import type { Reporter } from "./reporter.js";
import type { Restorer } from "./restorer.js";
import type { Selection } from "./selection.js";

export interface StreamRestoreResult {
  /** Entries restored (files, directories, links, …). */
  files: number;
  /** File data bytes of the selected entries. */
  bytes: number;
  /** Files whose data was incomplete (kept as PATH.reel-damaged, each reported). */
  damaged: number;
  /** Entries that could not be restored or were lost with damaged records (each reported). */
  errors: number;
  /** Paths removed by the stream's DELETED items. */
  removed: number;
  /** The whole stream was read and its trailer's counts and digest agree (never after a seek). */
  trailerOk: boolean;
  /** What was wrong with the stream as a whole (lost records, no trailer), each also reported as an error. */
  problems: string[];
}

/**
 * The records of one stream, in sequence order, turned into restored files: checks each record's
 * checksum (format.md §4.1), decodes it, and passes entries, data, damage and deletions to the
 * restorer. A sequence jump right after the HEAD is a seek (format.md §5.4): decoding goes on from
 * there without counting the records skipped as lost.
 */
export class StreamRestore {
  readonly #restorer: Restorer;
  readonly #selection: Selection;
  readonly #codecs: Codecs;
  readonly #reporter: Reporter;
  readonly #events: StreamDecoderEvents;
  readonly #start: { restored: number; damaged: number; failed: number; removed: number };
  #decoder: StreamDecoder;
  #head: { head: StreamHead; key: StreamKey | null } | null = null;
  #isAfterHead = false;
  #isSeek = false;
  #offset = 0;
  #isSelected = false;
  #bytes = 0;
  #lost = 0;
  #reported = { files: 0, bytes: 0 };
  #trailer: TrailerCheck | null = null;
  readonly #problems: string[] = [];

  constructor(restorer: Restorer, selection: Selection, codecs: Codecs, passphrase: () => string | null, reporter: Reporter) {
    this.#restorer = restorer;
    this.#selection = selection;
    this.#codecs = codecs;
    this.#reporter = reporter;
    const c = restorer.counts;
    this.#start = { restored: c.restored, damaged: c.damaged, failed: c.failed, removed: c.removed };
    this.#events = {
      head: (head) => {
        const key = keyOf(head, passphrase);
        this.#head = { head, key };
        return key;
      },
      entry: (entry) => this.#entry(entry),
      data: (item) => this.#data(item),
      damage: (damage) => {
        this.#problems.push(damage.message);
        if (damage.entryNumber !== null) restorer.markDamaged(damage.message);
      },
      deleted: (path) => this.#deleted(path),
      lostEntry: (entry) => {
        if (!selection.matches(entry.path)) return;
        this.#lost++;
        reporter.error(`"${displayPath(entry.path)}": lost, its entry lay in a damaged part of the stream`);
      },
      trailer: (check) => (this.#trailer = check),
    };
    this.#decoder = new StreamDecoder(this.#events, codecs);
  }

  /** Takes the next record (a complete record: header and stored body); never keeps it. */
  push(record: Uint8Array): void {
    const header = record.length >= RECORD_HEADER_SIZE ? decodeRecordHeader(record, 0) : null;
    const offset = this.#offset;
    this.#offset += record.length;
    if (header === null || record.length !== RECORD_HEADER_SIZE + header.storedLength) {
      this.#decoder.loss({ fromOffset: offset, toOffset: this.#offset, reason: `a record of ${record.length} bytes with a bad header` });
      return;
    }
    if (!recordChecksumMatches(record, this.#codecs)) {
      this.#decoder.loss({ fromOffset: offset, toOffset: this.#offset, reason: `record ${header.sequence}: checksum mismatch` });
      return;
    }
    if (this.#isAfterHead && header.sequence > 1 && this.#head !== null) {
      // Seeking: the records between the HEAD and this chunk were skipped on purpose.
      this.#isSeek = true;
      this.#decoder = new StreamDecoder(this.#events, this.#codecs, { head: this.#head });
    }
    this.#isAfterHead = header.type === RecordType.head && header.sequence === 0;
    this.#decoder.record(record, header, offset);
  }

  #entry(entry: Entry): void {
    this.#isSelected = this.#selection.matches(entry.path);
    this.#restorer.entry(entry);
    const files = this.#restorer.counts.restored - this.#start.restored;
    if (files - this.#reported.files >= 256) this.#progress();
  }

  #data(item: DataItem): void {
    if (this.#isSelected) this.#bytes += item.data.length;
    this.#restorer.data(item);
    if (this.#bytes - this.#reported.bytes >= 16 * 1024 * 1024) this.#progress();
  }

  #progress(): void {
    this.#reported = { files: this.#restorer.counts.restored - this.#start.restored, bytes: this.#bytes };
    this.#reporter.progress(this.#reported);
  }

  /** A DELETED item: removes the path, or, under a selection, what is selected of it. */
  #deleted(path: Uint8Array): void {
    if (this.#selection.isEverything || this.#selection.matches(path)) this.#restorer.remove(path);
    else for (const below of this.#selection.below(path)) this.#restorer.remove(below);
  }

  /**
   * The stream is over (all records pushed, or no more can come): finishes the files and says
   * how it went. `isPartial`: the sender stopped on purpose before the trailer (a restore of a few
   * files stops after them), so no trailer is expected. After a failure (`isFailed`: a push threw, the caller reported it) only what was
   * restored is finished.
   */
  end(isFailed = false, isPartial = false): StreamRestoreResult {
    this.#restorer.finish();
    if (!isFailed) {
      // A seek reads part of the stream on purpose: no trailer to expect, no digest to check.
      if (!this.#isSeek && !isPartial) this.#problems.push(...(this.#trailer?.problems ?? ["the stream ends before its trailer: it is incomplete"]));
      for (const problem of this.#problems) this.#reporter.error(`Stream damaged: ${problem}`);
    }
    const c = this.#restorer.counts;
    this.#progress();
    return {
      files: c.restored - this.#start.restored,
      bytes: this.#bytes,
      damaged: c.damaged - this.#start.damaged,
      errors: c.failed - this.#start.failed + this.#lost,
      removed: c.removed - this.#start.removed,
      trailerOk: !this.#isSeek && !isPartial && this.#trailer?.isIntact === true,
      problems: this.#problems,
    };
  }
}

/** The key of an encrypted stream (format.md §6), asked for only then; a wrong passphrase throws FORMAT_WRONG_PASSPHRASE before anything is written. */
function keyOf(head: StreamHead, passphrase: () => string | null): StreamKey | null {
  if (head.encryption === null) return null;
  const secret = passphrase();
  if (secret === null) throw new ReelError("FORMAT_PASSPHRASE_REQUIRED", `Cannot restore stream ${head.streamId}: it is encrypted and no passphrase was given`);
  return openStreamEncryption(secret, head.encryption, idFromString(head.streamId));
}
