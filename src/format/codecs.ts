/**
 * The ports through which the format layer checksums, compresses, encrypts and hashes
 * (format.md §1, §4.3, §6). The format defines the bytes; implementations come from outside
 * (node:crypto, zstd) so that this folder stays pure.
 */
export interface Checksum {
  /** CRC-32C of `data`, continuing from `previous` (the value returned for the bytes before). */
  crc32c(data: Uint8Array, previous?: number): number;
}

/** Results may live in memory the next call reuses: callers copy or consume them at once. */
export interface Compression {
  /** zstd-compresses `plain` into one frame that records its content size. */
  compress(plain: Uint8Array): Uint8Array;
  /** Decompresses one zstd frame; throws if it does not expand to exactly `plainLength` bytes. */
  decompress(stored: Uint8Array, plainLength: number): Uint8Array;
}

/** AES-256-GCM with a 12-byte nonce and a 16-byte tag appended to the ciphertext. */
export interface Aead {
  seal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plain: Uint8Array): Uint8Array;
  /** Returns null when the tag does not verify. */
  open(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | null;
}

export interface Sha256 {
  update(data: Uint8Array): void;
  digest(): Uint8Array;
}

/** Everything the stream layer needs from outside. `aead` is only used for encrypted streams. */
export interface Codecs {
  checksum: Checksum;
  compression: Compression;
  aead: Aead;
  /** SHA-256, or HMAC-SHA256 when a key is given (the digest of an encrypted stream, format.md §4.3). */
  sha256(key?: Uint8Array): Sha256;
}
