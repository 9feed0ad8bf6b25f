import type { FileHandle } from "node:fs/promises";

/** An open archived object lent by a HandleCache; `release()` once done with it (a second call is harmless). */
export interface ObjectHandle {
  readonly handle: FileHandle;
  readonly size: number;
  release(): void;
}

interface Entry {
  opened: Promise<{ handle: FileHandle; size: number }>;
  /** Leases not yet released. */
  leases: number;
  /** Out of the cache: closed once the last lease is released. */
  evicted: boolean;
}

/**
 * Open read handles of archived objects, least recently used out, so that a viewer fetching the frames of
 * a series frame by frame does not open, stat and close the same file for every request. Objects are
 * content-addressed and never change under their key, so a handle stays right as long as it is open —
 * also across the publish that renames an object out of staging (the open file is the same inode).
 *
 * A handle is lent, never closed under a reader: one evicted (or dropped by `evict`, or by `close`) while
 * lent closes when its last lease is released. Concurrent requests for a key wait on one open.
 */
export class HandleCache {
  private readonly entries = new Map<string, Entry>();
  private closed = false;

  constructor(
    /** Opens the object of a key wherever it is (FilesystemStore's openHandle: staging or final place). */
    private readonly openObject: (key: string) => Promise<FileHandle>,
    /** Most handles kept open while not lent (lent ones may take it over this for a moment). */
    readonly capacity: number,
  ) {}

  /** Handles open now, lent or not (for tests and status). */
  get size(): number {
    return this.entries.size;
  }

  async acquire(key: string): Promise<ObjectHandle> {
    if (this.closed || this.capacity === 0) return this.uncached(key);
    let entry = this.entries.get(key);
    if (entry) {
      // Most recently used last.
      this.entries.delete(key);
      this.entries.set(key, entry);
    } else {
      entry = { opened: this.open(key), leases: 0, evicted: false };
      this.entries.set(key, entry);
      this.trim();
    }
    entry.leases++;
    let opened: { handle: FileHandle; size: number };
    try {
      opened = await entry.opened;
    } catch (error) {
      entry.leases--;
      if (this.entries.get(key) === entry) this.entries.delete(key);
      throw error;
    }
    let released = false;
    const current = entry;
    return {
      handle: opened.handle,
      size: opened.size,
      release: () => {
        if (released) return;
        released = true;
        current.leases--;
        if (current.evicted && current.leases === 0) void closeEntry(current);
      },
    };
  }

  /**
   * Drops the handle of a key (its object is being deleted): closed now (resolves once it is), or when its
   * last lease ends.
   */
  async evict(key: string): Promise<void> {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    await this.retire(entry);
  }

  /** Closes every handle (the lent ones when released); later acquires open and close their own. */
  async close(): Promise<void> {
    this.closed = true;
    const entries = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(entries.map((entry) => this.retire(entry)));
  }

  private async open(key: string): Promise<{ handle: FileHandle; size: number }> {
    const handle = await this.openObject(key);
    try {
      return { handle, size: (await handle.stat()).size };
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
  }

  /** A handle of its own, closed on release: after close(), or with a capacity of 0. */
  private async uncached(key: string): Promise<ObjectHandle> {
    const { handle, size } = await this.open(key);
    let released = false;
    return {
      handle,
      size,
      release: () => {
        if (released) return;
        released = true;
        void handle.close().catch(() => undefined);
      },
    };
  }

  /** Evicts the least recently used handles beyond the capacity. */
  private trim(): void {
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.capacity) return;
      this.entries.delete(key);
      void this.retire(entry);
    }
  }

  private retire(entry: Entry): Promise<void> {
    entry.evicted = true;
    return entry.leases === 0 ? closeEntry(entry) : Promise.resolve();
  }
}

function closeEntry(entry: Entry): Promise<void> {
  return entry.opened.then(
    ({ handle }) => handle.close().catch(() => undefined),
    () => undefined,
  );
}
