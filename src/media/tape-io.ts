import { read, write } from "node:fs";
import { closeFile, openFile } from "./file-io.js";

/** A tape device open for reading or writing records at the head (a tape has no file positions). */
export interface TapeHandle {
  /** Reads the record at the head into `into`; its length, or 0 at a filemark or the end of the data. */
  read(into: Uint8Array): Promise<number>;
  /** Writes one record at the head; everything after it on the tape is gone. */
  write(record: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** Opens a tape device; the port that tests replace with a tape emulated in files. */
export interface TapeIo {
  open(device: string, mode: "read" | "write"): Promise<TapeHandle>;
}

/**
 * Reads and writes the device with read(2)/write(2) at the current position: on a Linux st
 * device in variable-block mode (`mt setblk 0`) each write() is one record on tape and each
 * read() returns at most one record. Closing after writing makes the driver write a filemark.
 */
export const deviceTapeIo: TapeIo = {
  async open(device, mode) {
    const fd = await openFile(device, mode === "read" ? "r" : "w");
    return {
      read: (into) => new Promise((resolve, reject) => read(fd, into, 0, into.length, null, (error, n) => (error === null ? resolve(n) : reject(error)))),
      write: (record) =>
        new Promise((resolve, reject) =>
          write(fd, record, 0, record.length, null, (error, n) => {
            if (error !== null) reject(error);
            else if (n !== record.length) reject(Object.assign(new Error(`a short write of ${n} of ${record.length} bytes`), { code: "ENOSPC" }));
            else resolve();
          }),
        ),
      close: () => closeFile(fd),
    };
  },
};
