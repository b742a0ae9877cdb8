/**
 * Counts work handed to threads and done by them, remembers the first failure, and lets the
 * producer wait for room (ready) or for everything (drain). Shared by the sealing sinks.
 */
export class InFlight {
  put = 0;
  done = 0;
  readonly #limit: number;
  #waiters: Array<() => void> = [];
  #error: Error | null = null;

  /** `limit`: how many may be in flight before the producer should wait. */
  constructor(limit: number) {
    this.#limit = limit;
  }

  get isBusy(): boolean {
    return this.put - this.done >= this.#limit;
  }

  /** Throws the first failure, if any. */
  check(): void {
    if (this.#error !== null) throw this.#error;
  }

  fail(error: unknown): void {
    this.#error ??= error instanceof Error ? error : new Error(String(error));
    this.wake();
  }

  wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  async #until(isDone: () => boolean): Promise<void> {
    while (!isDone() && this.#error === null) await new Promise<void>((wake) => this.#waiters.push(wake));
    this.check();
  }

  /** Resolves when there is room for more. */
  ready(): Promise<void> {
    return this.#until(() => !this.isBusy);
  }

  /** Resolves when everything put is done. */
  drain(): Promise<void> {
    return this.#until(() => this.done >= this.put);
  }
}
