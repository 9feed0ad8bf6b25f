import type { ObjectStore, StagedObject } from "../archive/object-store.js";
import type { Logger } from "../core/logger.js";
import type { Index } from "../db/database.js";

interface Publication {
  staged: StagedObject;
  /** The object this one replaced; deleted only once the replacing row is durable. */
  obsolete?: string;
}

/** How long acknowledged objects may wait in staging, so one WAL fsync covers many batches. */
const GATHER_MS = 100;

/**
 * Moves acknowledged objects from staging into place after a durability barrier on the index,
 * off the acknowledgement path: one WAL fsync covers every batch committed in the last moment,
 * rather than competing with each arriving instance's own sync. Until then an object stays in
 * staging, where recovery finds it should its index row be lost.
 */
export class Publisher {
  private pending: Publication[] = [];
  private running?: Promise<void>;

  constructor(
    private readonly store: ObjectStore,
    private readonly index: Index,
    private readonly log: Logger,
  ) {}

  add(items: Publication[]): void {
    this.pending.push(...items);
    this.running ??= this.loop().finally(() => {
      this.running = undefined;
    });
  }

  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async loop(): Promise<void> {
    while (this.pending.length > 0) {
      await new Promise((resolve) => setTimeout(resolve, GATHER_MS));
      const batch = this.pending.splice(0);
      try {
        await this.index.sync();
        await this.store.publish(batch.map((item) => item.staged));
      } catch (err) {
        this.log.error({ err }, "publishing staged objects failed; they stay in staging for recovery");
        continue;
      }
      for (const item of batch) {
        if (!item.obsolete) continue;
        // The same content stored again (A replaced by B, then by A again) is live under the same key.
        if (this.index.hasStorageKey(item.obsolete)) continue;
        await this.store
          .delete(item.obsolete)
          .catch((err: unknown) => this.log.warn({ err }, "could not delete a replaced object"));
      }
    }
  }
}
