/**
 * Writes text (JSON, lines) straight into bytes. A listing of 100,000 entries built as one string
 * per entry spends most of its time in the garbage collector (the strings of every entry are live
 * until the end); here an entry makes no garbage unless its name has to be escaped.
 */
const BASE64 = Buffer.from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", "latin1");

/** Up to this many bytes are copied in a loop rather than by a native call. */
const SHORT = 32;

export class TextBytes {
  #buffer: Buffer;
  #length = 0;

  constructor(capacity = 64 * 1024) {
    this.#buffer = Buffer.allocUnsafe(capacity);
  }

  #room(bytes: number): void {
    if (this.#length + bytes <= this.#buffer.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, this.#length + bytes));
    this.#buffer.copy(bigger, 0, 0, this.#length);
    this.#buffer = bigger;
  }

  /** ASCII text (JSON punctuation and keys, base64, digits). */
  ascii(text: string): this {
    this.#room(text.length);
    if (text.length > SHORT) {
      this.#length += this.#buffer.write(text, this.#length, "latin1");
      return this;
    }
    // Short pieces byte by byte: cheaper than a call into the Buffer's native writer.
    const b = this.#buffer;
    let at = this.#length;
    for (let i = 0; i < text.length; i++) b[at++] = text.charCodeAt(i);
    this.#length = at;
    return this;
  }

  /** Any text, as UTF-8. */
  utf8(text: string): this {
    this.#room(text.length * 3);
    this.#length += this.#buffer.write(text, this.#length, "utf8");
    return this;
  }

  /** Bytes as they are. */
  bytes(source: Uint8Array, start = 0, end = source.length): this {
    this.#room(end - start);
    const b = this.#buffer;
    if (end - start > SHORT) b.set(source.subarray(start, end), this.#length);
    else for (let i = start, at = this.#length; i < end; i++) b[at++] = source[i]!;
    this.#length += end - start;
    return this;
  }

  /** One byte (an ASCII character). */
  byte(code: number): this {
    this.#room(1);
    this.#buffer[this.#length++] = code;
    return this;
  }

  /** An integer as JSON.stringify writes it (safe integers only). */
  int(n: number): this {
    this.#room(17);
    const b = this.#buffer;
    if (n < 0) {
      b[this.#length++] = 0x2d;
      n = -n;
    }
    let digits = 1;
    for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits++;
    let at = this.#length + digits;
    this.#length = at;
    do {
      const next = Math.floor(n / 10);
      b[--at] = 0x30 + (n - next * 10);
      n = next;
    } while (n > 0);
    return this;
  }

  /** A non-negative integer right-aligned in `width` characters (wider numbers are not cut). */
  padded(n: number, width: number): this {
    const digits = String(n);
    this.#room(width + digits.length);
    for (let pad = width - digits.length; pad > 0; pad--) this.#buffer[this.#length++] = 0x20;
    return this.ascii(digits);
  }

  /** Two digits of 0..99, zero-padded. */
  two(n: number): this {
    this.#room(2);
    this.#buffer[this.#length++] = 0x30 + Math.floor(n / 10);
    this.#buffer[this.#length++] = 0x30 + (n % 10);
    return this;
  }

  /** Base64 of source[start, end), as Buffer.toString("base64") writes it (with padding), made here: no string per call. */
  base64(source: Uint8Array, start: number, end: number): this {
    this.#room(Math.ceil((end - start) / 3) * 4);
    const b = this.#buffer;
    let at = this.#length;
    let i = start;
    for (; i + 2 < end; i += 3) {
      const n = (source[i]! << 16) | (source[i + 1]! << 8) | source[i + 2]!;
      b[at++] = BASE64[n >>> 18]!;
      b[at++] = BASE64[(n >>> 12) & 63]!;
      b[at++] = BASE64[(n >>> 6) & 63]!;
      b[at++] = BASE64[n & 63]!;
    }
    if (i < end) {
      const two = i + 1 < end;
      const n = (source[i]! << 16) | (two ? source[i + 1]! << 8 : 0);
      b[at++] = BASE64[n >>> 18]!;
      b[at++] = BASE64[(n >>> 12) & 63]!;
      b[at++] = two ? BASE64[(n >>> 6) & 63]! : 0x3d;
      b[at++] = 0x3d;
    }
    this.#length = at;
    return this;
  }

  /** The text written so far (a view, valid until the next write). */
  result(): Buffer {
    return this.#buffer.subarray(0, this.#length);
  }
}
