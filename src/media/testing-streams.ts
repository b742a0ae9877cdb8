/**
 * Test support for the media component: codecs with the native CRC-32C, sealed test streams,
 * a seeded random source and drives that hold or fail writes. Not used by production code.
 */
import { createHash, randomFillSync } from "node:crypto";
import { crc32c } from "@node-rs/crc32";
import { type Codecs, RECORD_HEADER_SIZE, RecordType, sealRecord } from "../format/index.js";
import type { CreateVolumeOptions, Drive, VolumeReader, VolumeWriter } from "./drive.js";

/** Codecs with the native CRC-32C and SHA-256; the media layer uses nothing else. */
export function testCodecs(): Codecs {
  const unused = (): never => {
    throw new Error("not used by media tests");
  };
  return {
    checksum: { crc32c: (data, previous) => crc32c(data, previous ?? 0) },
    compression: { compress: unused, decompress: unused },
    aead: { seal: unused, open: unused },
    sha256: () => {
      const hash = createHash("sha256");
      return { update: (data) => void hash.update(data), digest: () => hash.digest() };
    },
  };
}

/** A seeded pseudo-random source (mulberry32): integers in [min, max]. */
export function seededRandom(seed: number): (min: number, max: number) => number {
  let state = seed >>> 0;
  return (min, max) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const unit = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return min + Math.floor(unit * (max - min + 1));
  };
}

/** 16 random bytes. */
export function randomId(): Uint8Array {
  return randomFillSync(new Uint8Array(16));
}

function sealed(type: number, sequence: number, body: Uint8Array, codecs: Codecs): Uint8Array {
  const frame = new Uint8Array(RECORD_HEADER_SIZE + body.length);
  frame.set(body, RECORD_HEADER_SIZE);
  return sealRecord(type, sequence, frame, { compress: false, key: null }, codecs);
}

/**
 * The records of a test stream: a HEAD, one CHUNK of random bytes per size in `chunkSizes`,
 * and, unless `hasTrailer` is false, a TRAILER (the bodies are not meant to decode as items).
 */
export function makeStream(chunkSizes: number[], codecs: Codecs, hasTrailer = true): Uint8Array[] {
  const records = [sealed(RecordType.head, 0, new TextEncoder().encode('{"format":1,"test":true}'), codecs)];
  for (const size of chunkSizes) records.push(sealed(RecordType.chunk, records.length, randomFillSync(new Uint8Array(size)), codecs));
  if (hasTrailer) records.push(sealed(RecordType.trailer, records.length, new Uint8Array(64), codecs));
  return records;
}

/** Stream offsets of each record of `records` (laid end to end). */
export function recordOffsets(records: Uint8Array[]): number[] {
  const offsets: number[] = [];
  let at = 0;
  for (const record of records) {
    offsets.push(at);
    at += record.length;
  }
  return offsets;
}

/**
 * Wraps a drive so that volume writes wait while `hold()` is in force, or fail once `failWith`
 * is set (the faulty wrapper of STYLE §2.6).
 */
export class GatedDrive implements Drive {
  readonly name: string;
  readonly #drive: Drive;
  #gate: Promise<void> | null = null;
  #open: (() => void) | null = null;
  failWith: Error | null = null;
  writes = 0;

  constructor(drive: Drive) {
    this.#drive = drive;
    this.name = drive.name;
  }

  /** Writes wait from now until release(). */
  hold(): void {
    this.#gate ??= new Promise((resolve) => (this.#open = resolve));
  }

  release(): void {
    this.#open?.();
    this.#gate = null;
  }

  async createVolume(options: CreateVolumeOptions): Promise<VolumeWriter> {
    const writer = await this.#drive.createVolume(options);
    const gated: VolumeWriter = {
      label: writer.label,
      capacityBlocks: writer.capacityBlocks,
      get blocksWritten() {
        return writer.blocksWritten;
      },
      write: async (blocks) => {
        this.writes++;
        const gate = this.#gate;
        if (gate !== null) await gate;
        if (this.failWith !== null) throw this.failWith;
        await writer.write(blocks);
      },
      sync: () => writer.sync(),
      close: () => writer.close(),
    };
    return gated;
  }

  openVolume(label: string): Promise<VolumeReader> {
    return this.#drive.openVolume(label);
  }

  listVolumes(): Promise<string[]> {
    return this.#drive.listVolumes();
  }

  eraseVolume(label: string): Promise<void> {
    return this.#drive.eraseVolume(label);
  }
}
