/**
 * Codecs in plain TypeScript for the format's own tests (STYLE §2.2: format tests run without
 * the Node implementations). The toy compression and cipher are NOT the format's zstd and
 * AES-256-GCM; they only exercise the flag paths. SHA-256 is real.
 */
import { viewOf } from "./bytes.js";
import type { Codecs, Sha256 } from "./codecs.js";
import { crc32c } from "./crc32c.js";

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** SHA-256 (FIPS 180-4), buffering all input: fine for tests. */
export function pureSha256(): Sha256 {
  const parts: Uint8Array[] = [];
  return {
    update: (data) => void parts.push(data.slice()),
    digest() {
      const length = parts.reduce((n, p) => n + p.length, 0);
      const padded = new Uint8Array(Math.ceil((length + 9) / 64) * 64);
      let at = 0;
      for (const p of parts) {
        padded.set(p, at);
        at += p.length;
      }
      padded[length] = 0x80;
      const pv = viewOf(padded);
      pv.setUint32(padded.length - 8, Math.floor((length * 8) / 0x100000000));
      pv.setUint32(padded.length - 4, (length * 8) >>> 0);
      const h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
      const w = new Uint32Array(64);
      const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n));
      for (let o = 0; o < padded.length; o += 64) {
        for (let i = 0; i < 16; i++) w[i] = pv.getUint32(o + i * 4);
        for (let i = 16; i < 64; i++) {
          const a = w[i - 15]!, b = w[i - 2]!;
          w[i] = (w[i - 16]! + (rotr(a, 7) ^ rotr(a, 18) ^ (a >>> 3)) + w[i - 7]! + (rotr(b, 17) ^ rotr(b, 19) ^ (b >>> 10))) >>> 0;
        }
        let [a, b, c, d, e, f, g, hh] = h as unknown as number[];
        for (let i = 0; i < 64; i++) {
          const t1 = (hh! + (rotr(e!, 6) ^ rotr(e!, 11) ^ rotr(e!, 25)) + ((e! & f!) ^ (~e! & g!)) + K[i]! + w[i]!) >>> 0;
          const t2 = ((rotr(a!, 2) ^ rotr(a!, 13) ^ rotr(a!, 22)) + ((a! & b!) ^ (a! & c!) ^ (b! & c!))) >>> 0;
          hh = g; g = f; f = e; e = (d! + t1) >>> 0; d = c; c = b; b = a; a = (t1 + t2) >>> 0;
        }
        const add = [a, b, c, d, e, f, g, hh];
        for (let i = 0; i < 8; i++) h[i] = (h[i]! + add[i]!) >>> 0;
      }
      const out = new Uint8Array(32);
      for (let i = 0; i < 8; i++) viewOf(out).setUint32(i * 4, h[i]!);
      return out;
    },
  };
}

/** HMAC-SHA256 (RFC 2104) on top of pureSha256. */
function pureHmacSha256(key: Uint8Array): Sha256 {
  let block = new Uint8Array(64);
  if (key.length > 64) {
    const h = pureSha256();
    h.update(key);
    block.set(h.digest());
  } else {
    block = new Uint8Array(64);
    block.set(key);
  }
  const inner = pureSha256();
  inner.update(block.map((b) => b ^ 0x36));
  return {
    update: (data) => inner.update(data),
    digest() {
      const outer = pureSha256();
      outer.update(block.map((b) => b ^ 0x5c));
      outer.update(inner.digest());
      return outer.digest();
    },
  };
}

function keystream(key: Uint8Array, nonce: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = crc32c(nonce, crc32c(key));
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

function toyTag(key: Uint8Array, aad: Uint8Array, cipher: Uint8Array): Uint8Array {
  const tag = new Uint8Array(16);
  const v = viewOf(tag);
  let crc = crc32c(cipher, crc32c(aad, crc32c(key)));
  for (let i = 0; i < 4; i++) {
    v.setUint32(i * 4, crc);
    crc = crc32c(tag.subarray(0, 4 * (i + 1)), crc);
  }
  return tag;
}

/** Pure codecs: real CRC-32C and SHA-256, a toy run-length "compression", a toy AEAD. */
export function pureCodecs(): Codecs {
  return {
    checksum: { crc32c },
    compression: {
      compress(plain) {
        const out: number[] = [];
        for (let i = 0; i < plain.length; ) {
          let run = 1;
          while (i + run < plain.length && run < 255 && plain[i + run] === plain[i]) run++;
          out.push(run, plain[i]!);
          i += run;
        }
        return Uint8Array.from(out);
      },
      decompress(stored, plainLength) {
        const out = new Uint8Array(plainLength);
        let at = 0;
        for (let i = 0; i + 1 < stored.length; i += 2) {
          if (at + stored[i]! > plainLength) throw new Error("run overflows");
          out.fill(stored[i + 1]!, at, at + stored[i]!);
          at += stored[i]!;
        }
        if (at !== plainLength) throw new Error("short");
        return out;
      },
    },
    aead: {
      seal(key, nonce, aad, plain) {
        const ks = keystream(key, nonce, plain.length);
        const out = new Uint8Array(plain.length + 16);
        for (let i = 0; i < plain.length; i++) out[i] = plain[i]! ^ ks[i]!;
        out.set(toyTag(key, aad, out.subarray(0, plain.length)), plain.length);
        return out;
      },
      open(key, nonce, aad, sealed) {
        if (sealed.length < 16) return null;
        const cipher = sealed.subarray(0, sealed.length - 16);
        const tag = toyTag(key, aad, cipher);
        for (let i = 0; i < 16; i++) if (tag[i] !== sealed[cipher.length + i]) return null;
        const ks = keystream(key, nonce, cipher.length);
        return cipher.map((b, i) => b ^ ks[i]!);
      },
    },
    sha256: (key) => (key === undefined ? pureSha256() : pureHmacSha256(key)),
  };
}
