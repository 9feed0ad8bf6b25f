/**
 * A least-recently-used cache of decoded frames bounded by bytes: adding beyond the budget evicts the
 * least recently used entries first (never the one being added; an entry larger than the whole budget is
 * not kept). One cache serves every stack of the page, so the budget bounds the viewer as a whole.
 */

export const DEFAULT_CACHE_BYTES = 512 * 1024 * 1024;

export class LruCache<V> {
  readonly #entries = new Map<string, { value: V; bytes: number }>();
  #used = 0;
  #budget: number;
  /** Called for each entry evicted to make room (not for delete()). */
  onEvict?: (key: string, value: V) => void;

  constructor(budgetBytes: number = DEFAULT_CACHE_BYTES) {
    this.#budget = budgetBytes;
  }

  get budget(): number {
    return this.#budget;
  }

  /** A smaller budget evicts at once. */
  set budget(bytes: number) {
    this.#budget = bytes;
    this.#trim(undefined);
  }

  get usedBytes(): number {
    return this.#used;
  }

  get size(): number {
    return this.#entries.size;
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /** The value, now the most recently used. */
  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** The value without touching its recency. */
  peek(key: string): V | undefined {
    return this.#entries.get(key)?.value;
  }

  /** Adds (or replaces) an entry; false when it is larger than the whole budget and was not kept. */
  set(key: string, value: V, bytes: number): boolean {
    this.delete(key);
    if (bytes > this.#budget) return false;
    this.#entries.set(key, { value, bytes });
    this.#used += bytes;
    this.#trim(key);
    return true;
  }

  delete(key: string): boolean {
    const entry = this.#entries.get(key);
    if (!entry) return false;
    this.#entries.delete(key);
    this.#used -= entry.bytes;
    return true;
  }

  /** Removes every entry whose key starts with `prefix`. */
  deletePrefix(prefix: string): void {
    for (const key of [...this.#entries.keys()]) if (key.startsWith(prefix)) this.delete(key);
  }

  keys(): IterableIterator<string> {
    return this.#entries.keys();
  }

  #trim(keep: string | undefined): void {
    for (const [key, entry] of this.#entries) {
      if (this.#used <= this.#budget) return;
      if (key === keep) continue;
      this.#entries.delete(key);
      this.#used -= entry.bytes;
      this.onEvict?.(key, entry.value);
    }
  }
}
