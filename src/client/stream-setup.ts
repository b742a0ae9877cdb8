import {
  CHUNK_CAPACITY,
  type Codecs,
  type EncryptionParameters,
  RECORD_HEADER_SIZE,
  type RecordSink,
  SealingSink,
  type SealOptions,
  type StreamHead,
  type StreamKey,
  idToString,
} from "../format/index.js";
import { BufferRecycler } from "./buffer-recycler.js";
import { newStreamEncryption, nodeCodecs } from "./node-codecs.js";
import { ParallelSealingSink } from "./parallel-sealing-sink.js";

export interface StreamSetupOptions {
  streamId: Uint8Array;
  compression: "none" | "zstd";
  /** zstd level. */
  level: number;
  passphrase: string | null;
  /** Threads that compress and encrypt chunks (0 or 1: on the calling thread). */
  threads: number;
  /** Free bytes in front of each record's memory for a carrier's header (headroom.ts); default none. */
  headroom?: number;
}

/** What writing one stream needs, whatever carries it: codecs, keys, sealing and frame memory. */
export interface StreamSetup {
  codecs: Codecs;
  encryption: { parameters: EncryptionParameters; key: StreamKey } | null;
  seal: SealOptions;
  /** Threads that seal: compression and encryption get every thread; a checksum alone gets one. */
  sealThreads: number;
  /** Chunk frames, reused: give a frame back once its record went on. */
  frames: BufferRecycler;
  /** Memory for the encoder: frames of the usual size come from `frames`. */
  allocate: (size: number) => Uint8Array;
  /** The HEAD of the stream (format.md §4.2). */
  head(createdAt: string, descriptor: Record<string, unknown>): StreamHead;
}

/** Sets up the writing of one stream (format.md §4, §6). */
export function streamSetup(o: StreamSetupOptions): StreamSetup {
  const encryption = o.passphrase === null ? null : newStreamEncryption(o.passphrase, o.streamId);
  const seal = { compress: o.compression === "zstd", key: encryption?.key ?? null };
  const frames = new BufferRecycler(RECORD_HEADER_SIZE + CHUNK_CAPACITY, { headroom: o.headroom ?? 0 });
  return {
    codecs: nodeCodecs(o.level),
    encryption,
    seal,
    sealThreads: seal.compress || seal.key !== null ? o.threads : Math.min(o.threads, 1),
    frames,
    allocate: (size) => (size === frames.size ? frames.take() : Buffer.allocUnsafeSlow(size)),
    head: (createdAt, descriptor) => ({
      format: 1, streamId: idToString(o.streamId), createdAt, compression: o.compression, encryption: encryption?.parameters ?? null, descriptor,
    }),
  };
}

/**
 * A sink that seals on `sealThreads` threads when there are several, on this thread otherwise,
 * and hands each record to `onRecord` in sequence order. `parallel` is set when threads are used
 * (the caller awaits its ready() for backpressure and close()s it at the end).
 */
export function sealingSink(setup: StreamSetup, level: number, onRecord: (record: Uint8Array) => void): { sink: RecordSink; parallel: ParallelSealingSink | null } {
  if (setup.sealThreads > 1) {
    const parallel = new ParallelSealingSink(setup.sealThreads, level, setup.codecs, setup.seal, onRecord, (frame) => setup.frames.give(frame), setup.frames.memory.headroom);
    return { sink: parallel, parallel };
  }
  return { sink: new SealingSink(setup.codecs, setup.seal, onRecord), parallel: null };
}
