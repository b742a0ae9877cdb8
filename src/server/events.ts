import type { JobEvent } from "../api/index.js";

/** Job events for live views (server-sent events): subscribers get every event from now on. */
export class EventBus {
  readonly #listeners = new Set<(event: JobEvent) => void>();

  subscribe(listener: (event: JobEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  publish(event: JobEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}
