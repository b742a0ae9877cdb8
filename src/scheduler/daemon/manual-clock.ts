// A Clock moved by hand: tests (and end-to-end tests of the server) advance time instantly.
import type { Clock } from "./types.js";

interface Sleeper {
  until: number;
  resolve: () => void;
}

/** A Clock whose time moves only when set() or advance() is called; sleepers wake as it passes their time. */
export class ManualClock implements Clock {
  #now: number;
  readonly #sleepers = new Set<Sleeper>();
  readonly #sleepWaiters: Array<(until: Date) => void> = [];

  constructor(start: Date | string) {
    this.#now = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.#now);
  }

  /** Resolves when the clock reaches `time`, or at once when `signal` aborts. */
  sleepUntil(time: Date, signal?: AbortSignal): Promise<void> {
    const until = time.getTime();
    if (until <= this.#now || signal?.aborted === true) return Promise.resolve();
    return new Promise((resolve) => {
      const sleeper: Sleeper = { until, resolve };
      const wake = (): void => {
        this.#sleepers.delete(sleeper);
        resolve();
      };
      sleeper.resolve = wake;
      this.#sleepers.add(sleeper);
      signal?.addEventListener("abort", wake, { once: true });
      for (const waiter of this.#sleepWaiters.splice(0)) waiter(new Date(until));
    });
  }

  /** Moves the clock to `to` (never backwards unless asked) and wakes every sleeper whose time has come. */
  set(to: Date | string): void {
    this.#now = new Date(to).getTime();
    for (const sleeper of [...this.#sleepers]) if (sleeper.until <= this.#now) sleeper.resolve();
  }

  advance(ms: number): void {
    this.set(new Date(this.#now + ms));
  }

  /** The earliest time someone sleeps until: now if someone is asleep, else at the next sleepUntil. */
  sleeping(): Promise<Date> {
    let earliest: number | undefined;
    for (const sleeper of this.#sleepers) earliest = earliest === undefined ? sleeper.until : Math.min(earliest, sleeper.until);
    if (earliest !== undefined) return Promise.resolve(new Date(earliest));
    return new Promise((resolve) => this.#sleepWaiters.push(resolve));
  }
}
