import type { Observable } from "../viewer-contract";

/** A value with subscribers, in Svelte's store contract (the subscriber is called at once with the value). */
export class Value<T> implements Observable<T> {
  #value: T;
  readonly #subscribers = new Set<(value: T) => void>();

  constructor(value: T) {
    this.#value = value;
  }

  get current(): T {
    return this.#value;
  }

  set(value: T): void {
    this.#value = value;
    for (const run of [...this.#subscribers]) run(value);
  }

  subscribe(run: (value: T) => void): () => void {
    this.#subscribers.add(run);
    run(this.#value);
    return () => this.#subscribers.delete(run);
  }
}
