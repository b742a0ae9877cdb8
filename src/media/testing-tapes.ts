/**
 * Test support for the tape drive: a tape library emulated in files, driven by fake `mt` and
 * `mtx` scripts that log their arguments, and a TapeIo that reads and writes the same
 * emulated tapes. Not used by production code.
 *
 * Layout of a library directory L (the device is L/nst0, the changer L/sg1, so the scripts
 * find the library from the path they are given): `L/slots/N/` is the tape of slot N, one file
 * `rNNNNNN` per record, and a file `new` while the tape was never written (reading it then fails
 * with EIO, as a new tape reports blank check); `L/drive` holds the slot of the tape in the
 * drive; `L/pos` the record at the head; `L/capacity`, if present, the records a tape takes
 * before writes fail with ENOSPC; `L/log` one line per command.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { TapeHandle, TapeIo } from "./tape-io.js";

const MT = String.raw`#!/bin/bash
dev="$2"; op="$3"; n="$4"; [ -n "$n" ] || n=1; S="$(dirname "$dev")"
echo "mt $*" >> "$S/log"
[ "$1" = "-f" ] || { echo "mt: usage: mt -f device operation" >&2; exit 1; }
[ -f "$S/drive" ] || { echo "mt: $dev: No medium found" >&2; exit 2; }
tape="$S/slots/$(cat "$S/drive")"
pos=$(cat "$S/pos" 2>/dev/null || echo 0)
count=$(ls "$tape" | grep -c '^r')
case "$op" in
  rewind) pos=0 ;;
  fsr) pos=$((pos + n)); if [ $pos -gt $count ]; then echo "mt: $dev: Input/output error" >&2; exit 2; fi ;;
  weof) for f in "$tape"/r*; do [ -e "$f" ] || continue; i=$((10#$(basename "$f" | cut -c2-))); if [ $i -ge $pos ]; then rm "$f"; fi; done; rm -f "$tape/new" ;;
  status) echo "SCSI 2 tape drive: File number=0, block number=$pos. ONLINE" ;;
  *) echo "mt: unknown operation $op" >&2; exit 1 ;;
esac
echo $pos > "$S/pos"
`;

const MTX = String.raw`#!/bin/bash
ch="$2"; op="$3"; S="$(dirname "$ch")"
echo "mtx $*" >> "$S/log"
loaded=$(cat "$S/drive" 2>/dev/null)
slots=$(ls "$S/slots" | sort -n | tail -1)
case "$op" in
  status)
    echo "  Storage Changer $ch:1 Drives, $slots Slots ( 0 Import/Export )"
    if [ -n "$loaded" ]; then echo "Data Transfer Element 0:Full (Storage Element $loaded Loaded):VolumeTag = T$loaded"; else echo "Data Transfer Element 0:Empty"; fi
    for i in $(seq 1 $slots); do
      if [ -d "$S/slots/$i" ] && [ "$i" != "$loaded" ]; then echo "      Storage Element $i:Full :VolumeTag=T$i"; else echo "      Storage Element $i:Empty"; fi
    done ;;
  load)
    [ "$5" = "0" ] || { echo "mtx: no drive $5" >&2; exit 1; }
    [ -z "$loaded" ] || { echo "Drive 0 Full (Storage Element $loaded Loaded)" >&2; exit 1; }
    [ -d "$S/slots/$4" ] || { echo "Storage Element $4 is Empty" >&2; exit 1; }
    echo "$4" > "$S/drive"; echo 0 > "$S/pos" ;;
  unload)
    [ "$loaded" = "$4" ] || { echo "Data Transfer Element 0 does not hold the tape of slot $4" >&2; exit 1; }
    rm "$S/drive" ;;
  *) echo "mtx: unknown command $op" >&2; exit 1 ;;
esac
`;

/** Writes the fake `mt` and `mtx` into `bin` (put it first in PATH). */
export function writeFakeTapeCommands(bin: string): void {
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, "mt"), MT);
  writeFileSync(join(bin, "mtx"), MTX);
  chmodSync(join(bin, "mt"), 0o755);
  chmodSync(join(bin, "mtx"), 0o755);
}

/** What a slot of an emulated library holds. */
export type EmulatedTape = "new" | "erased" | "empty-slot" | Uint8Array[];

/** Makes an emulated library in `path`; `loaded`: the slot whose tape is in the drive. */
export function makeEmulatedLibrary(path: string, tapes: EmulatedTape[], loaded: number | null = null): { device: string; changer: string } {
  tapes.forEach((tape, i) => {
    const dir = join(path, "slots", String(i + 1));
    if (tape === "empty-slot") return;
    mkdirSync(dir, { recursive: true });
    if (tape === "new") writeFileSync(join(dir, "new"), "");
    if (Array.isArray(tape)) tape.forEach((record, r) => writeFileSync(join(dir, recordName(r)), record));
  });
  mkdirSync(join(path, "slots"), { recursive: true });
  if (loaded !== null) writeFileSync(join(path, "drive"), String(loaded));
  writeFileSync(join(path, "pos"), "0");
  return { device: join(path, "nst0"), changer: join(path, "sg1") };
}

/** The commands logged so far, and forgets them. */
export function takeTapeLog(path: string): string[] {
  const file = join(path, "log");
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, "utf8").split("\n").filter((line) => line !== "");
  rmSync(file);
  // The device paths are the same in every line: leave them out.
  return lines.map((line) => line.replace(` -f ${join(path, "nst0")}`, "").replace(` -f ${join(path, "sg1")}`, ""));
}

/** The records on the tape of `slot`. */
export function emulatedRecords(path: string, slot: number): Uint8Array[] {
  const dir = join(path, "slots", String(slot));
  return readdirSync(dir).filter((name) => name.startsWith("r")).sort().map((name) => Uint8Array.from(readFileSync(join(dir, name))));
}

function recordName(index: number): string {
  return `r${String(index).padStart(6, "0")}`;
}

function systemError(code: string, message: string): Error {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

/** A TapeIo on the emulated library that `device` lies in. */
export const emulatedTapeIo: TapeIo = {
  open(device, mode) {
    const library = dirname(device);
    const drive = join(library, "drive");
    if (!existsSync(drive)) return Promise.reject(systemError("ENOMEDIUM", `no medium in ${device}`));
    const tape = join(library, "slots", readFileSync(drive, "utf8").trim());
    const posFile = join(library, "pos");
    const capacityFile = join(library, "capacity");
    let pos = Number(readFileSync(posFile, "utf8"));
    const move = (to: number): void => {
      pos = to;
      writeFileSync(posFile, String(pos));
    };
    const handle: TapeHandle = {
      read(into) {
        if (mode !== "read") return Promise.reject(systemError("EBADF", "not open for reading"));
        if (existsSync(join(tape, "new"))) return Promise.reject(systemError("EIO", "blank check"));
        const file = join(tape, recordName(pos));
        if (!existsSync(file)) return Promise.resolve(0);
        const record = readFileSync(file);
        if (record.length > into.length) return Promise.reject(systemError("ENOMEM", "record larger than the buffer"));
        into.set(record);
        move(pos + 1);
        return Promise.resolve(record.length);
      },
      write(record) {
        if (mode !== "write") return Promise.reject(systemError("EBADF", "not open for writing"));
        if (existsSync(capacityFile) && pos >= Number(readFileSync(capacityFile, "utf8"))) return Promise.reject(systemError("ENOSPC", "end of medium"));
        rmSync(join(tape, "new"), { force: true });
        for (const name of readdirSync(tape)) if (name.startsWith("r") && Number(name.slice(1)) >= pos) rmSync(join(tape, name));
        writeFileSync(join(tape, recordName(pos)), record);
        move(pos + 1);
        return Promise.resolve();
      },
      close: () => Promise.resolve(),
    };
    return Promise.resolve(handle);
  },
};
