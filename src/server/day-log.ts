import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";

/**
 * The server's log, one file per backup day: `<dir>/<YYYY-MM-DD>.log`, each line stamped with
 * its time. A line goes to the file of the backup day it was written in, so newday closes one
 * day's log and the next line opens the next (docs/operations.md). Writing never throws: a log
 * that cannot be written must not stop a backup.
 */
export class DayLog {
  readonly #dir: string;
  readonly #dayOf: (at: Date) => string;
  readonly #now: () => Date;
  #isReady = false;

  constructor(o: { dir: string; dayOf: (at: Date) => string; now: () => Date }) {
    this.#dir = o.dir;
    this.#dayOf = o.dayOf;
    this.#now = o.now;
  }

  /** The file that lines of this backup day go to. */
  fileOf(day: string): string {
    return join(this.#dir, `${day}.log`);
  }

  write(line: string): void {
    const at = this.#now();
    try {
      if (!this.#isReady) {
        mkdirSync(this.#dir, { recursive: true, mode: 0o750 });
        this.#isReady = true;
      }
      appendFileSync(this.fileOf(this.#dayOf(at)), `${at.toISOString()} ${line}\n`, { mode: 0o640 });
    } catch {
      // The console still has the line.
    }
  }
}
