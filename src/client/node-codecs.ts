import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, scryptSync } from "node:crypto";
import { createRequire } from "node:module";
import { crc32c as portableCrc32c } from "@node-rs/crc32";
import { ReelError } from "../errors/index.js";
import type { Codecs, EncryptionParameters, StreamKey } from "../format/index.js";
import { posix } from "./posix.js";

const require = createRequire(import.meta.url);
// The low-level binding compresses into and decompresses into caller-sized buffers, so a hostile
// frame header can never make us allocate more than the record header allows (format.md §4.1).
const zstd = require("zstd-napi/binding.js") as typeof import("zstd-napi/binding.js");

/**
 * CRC-32C: the native addon's three-stream SSE4.2 loop where the CPU has it (~4× @node-rs/crc32
 * on 1 MiB, bench/RESULTS.md), else @node-rs/crc32. Every byte a backup or restore moves is
 * checked at least twice (record and block), so this is one of the hottest loops.
 */
const crc32c: (data: Uint8Array, previous: number) => number = posix.crc32c ?? portableCrc32c;

/** Codecs on Node: CRC-32C (SIMD), zstd, AES-256-GCM and SHA-256 from OpenSSL. */
export function nodeCodecs(level = 3): Codecs {
  const cctx = new zstd.CCtx();
  const dctx = new zstd.DCtx();
  // Scratch memory reused from call to call: callers copy or consume results at once.
  let packed = Buffer.alloc(0);
  let unpacked = Buffer.alloc(0);
  return {
    checksum: { crc32c: (data, previous) => crc32c(data, previous ?? 0) },
    compression: {
      compress(plain) {
        const bound = zstd.compressBound(plain.length);
        if (packed.length < bound) packed = Buffer.allocUnsafeSlow(bound);
        const n = cctx.compress(packed, plain, level);
        return packed.subarray(0, n);
      },
      decompress(stored, plainLength) {
        const size = zstd.getFrameContentSize(stored);
        if (size !== plainLength) throw new Error(`zstd frame declares ${String(size)} bytes, record says ${plainLength}`);
        if (unpacked.length < plainLength) unpacked = Buffer.allocUnsafeSlow(plainLength);
        const out = unpacked.subarray(0, plainLength);
        const n = dctx.decompress(out, stored);
        if (n !== plainLength) throw new Error(`zstd frame expanded to ${n} bytes, record says ${plainLength}`);
        return out;
      },
    },
    aead: {
      seal(key, nonce, aad, plain) {
        const cipher = createCipheriv("aes-256-gcm", key, nonce);
        cipher.setAAD(aad);
        const a = cipher.update(plain);
        const b = cipher.final();
        return Buffer.concat([a, b, cipher.getAuthTag()]);
      },
      open(key, nonce, aad, sealed) {
        if (sealed.length < 16) return null;
        const decipher = createDecipheriv("aes-256-gcm", key, nonce);
        decipher.setAAD(aad);
        decipher.setAuthTag(sealed.subarray(sealed.length - 16));
        const a = decipher.update(sealed.subarray(0, sealed.length - 16));
        try {
          return Buffer.concat([a, decipher.final()]);
        } catch {
          return null;
        }
      },
    },
    sha256(key) {
      const hash = key === undefined ? createHash("sha256") : createHmac("sha256", key);
      return {
        update: (data) => void hash.update(data),
        digest: () => hash.digest(),
      };
    },
  };
}

const KEY_CHECK = Buffer.from("reel v1 key check");
const CHUNK_KEY_INFO = Buffer.from("reel v1 chunk key");

function masterKey(passphrase: string, salt: Buffer, logN: number, r: number, p: number): Buffer {
  const N = 2 ** logN;
  return scryptSync(Buffer.from(passphrase, "utf8"), salt, 32, { N, r, p, maxmem: 128 * N * r * p + 16 * 1024 * 1024 });
}

function chunkKey(master: Buffer, streamId: Uint8Array): Buffer {
  return Buffer.from(hkdfSync("sha256", master, streamId, CHUNK_KEY_INFO, 32));
}

function keyCheck(key: Buffer): Buffer {
  return createHmac("sha256", key).update(KEY_CHECK).digest().subarray(0, 16);
}

/** Makes the encryption parameters and key of a new stream (format.md §6). */
export function newStreamEncryption(
  passphrase: string,
  streamId: Uint8Array,
  options: { logN?: number; salt?: Uint8Array } = {},
): { parameters: EncryptionParameters; key: StreamKey } {
  const logN = options.logN ?? 15;
  const salt = Buffer.from(options.salt ?? randomBytes(16));
  const key = chunkKey(masterKey(passphrase, salt, logN, 8, 1), streamId);
  return {
    parameters: { cipher: "aes-256-gcm", kdf: "scrypt", salt: salt.toString("base64"), logN, r: 8, p: 1, check: keyCheck(key).toString("base64") },
    key: { chunkKey: key, streamId },
  };
}

/** Derives the key of an existing stream; throws FORMAT_WRONG_PASSPHRASE when the check fails. */
export function openStreamEncryption(passphrase: string, parameters: EncryptionParameters, streamId: Uint8Array): StreamKey {
  const salt = Buffer.from(parameters.salt, "base64");
  const key = chunkKey(masterKey(passphrase, salt, parameters.logN, parameters.r, parameters.p), streamId);
  if (!keyCheck(key).equals(Buffer.from(parameters.check, "base64"))) {
    throw new ReelError("FORMAT_WRONG_PASSPHRASE", "Cannot decrypt the stream: wrong passphrase");
  }
  return { chunkKey: key, streamId };
}
