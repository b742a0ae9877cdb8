import { close, fdatasync, fsync, open, read, writev } from "node:fs";

/** The most buffers one writev(2) takes (IOV_MAX on Linux). */
const MAX_BUFFERS = 1024;

/** open(2) on libuv's thread pool. */
export function openFile(path: string, flags: string | number): Promise<number> {
  return new Promise((resolve, reject) => open(path, flags, 0o644, (error, fd) => (error === null ? resolve(fd) : reject(error))));
}

export function closeFile(fd: number): Promise<void> {
  return new Promise((resolve, reject) => close(fd, (error) => (error === null ? resolve() : reject(error))));
}

/** fdatasync(2), or fsync(2) with `isFull` (a directory, to make a new entry durable). */
export function syncFile(fd: number, isFull = false): Promise<void> {
  return new Promise((resolve, reject) => (isFull ? fsync : fdatasync)(fd, (error) => (error === null ? resolve() : reject(error))));
}

function writevOnce(fd: number, buffers: Uint8Array[], position: number): Promise<number> {
  return new Promise((resolve, reject) => writev(fd, buffers, position, (error, written) => (error === null ? resolve(written) : reject(error))));
}

/** Writes all of `buffers` at `position` with as few writev(2) calls as the kernel allows. */
export async function writeAllAt(fd: number, buffers: Uint8Array[], position: number): Promise<void> {
  let rest = buffers;
  let at = position;
  while (rest.length > 0) {
    const batch = rest.length > MAX_BUFFERS ? rest.slice(0, MAX_BUFFERS) : rest;
    let written = await writevOnce(fd, batch, at);
    if (written === 0) throw new Error("writev wrote nothing");
    at += written;
    // Drop what went out; a short write leaves part of a buffer to write again.
    let done = 0;
    while (done < rest.length && written >= rest[done]!.length) written -= rest[done++]!.length;
    rest = rest.slice(done);
    if (written > 0 && rest.length > 0) rest = [rest[0]!.subarray(written), ...rest.slice(1)];
  }
}

function readOnce(fd: number, into: Uint8Array, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => read(fd, into, offset, length, position, (error, n) => (error === null ? resolve(n) : reject(error))));
}

/** Reads up to `into.length` bytes at `position`; returns how many there were before the end of the file. */
export async function readAt(fd: number, into: Uint8Array, position: number): Promise<number> {
  let done = 0;
  while (done < into.length) {
    const n = await readOnce(fd, into, done, into.length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}
