import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { FilesystemStore } from "./archive/filesystem-store.js";
import type { HilumConfig } from "./config/schema.js";
import type { Logger } from "./core/logger.js";
import { openIndex } from "./db/database.js";
import { IngestPipeline } from "./ingest/pipeline.js";
import { Router } from "./router/router.js";
import { Reconciler } from "./workflow/reconcile.js";
import { WorklistStore } from "./workflow/worklist.js";

/**
 * Opens the archive and index of a data folder, repairing staging after an unclean stop — no
 * network. The router's rules and the worklist reconciliation run for everything indexed here, the
 * recovered objects included (their jobs and QC entries commit with the rows), but only a running node
 * delivers them. The node builds on it; the CLI's `import` uses it alone.
 */
export async function openLocalArchive(config: HilumConfig, log: Logger) {
  mkdirSync(config.dataDir, { recursive: true });
  const index = openIndex(join(config.dataDir, "index.sqlite"));
  const store = new FilesystemStore(join(config.dataDir, "archive"));
  await store.init();
  const recovered = await store.recover((key) => index.hasStorageKey(key));
  const ingest = new IngestPipeline({
    store,
    index,
    log: log.child({ component: "ingest" }),
    duplicates: config.storage.duplicates,
  });
  const router = new Router({
    config: config.router,
    aeTitle: config.aeTitle,
    index,
    store,
    log: log.child({ component: "router" }),
  });
  ingest.onIndexed(router.onIndexed);
  const worklist = new WorklistStore(index.connection);
  ingest.onIndexed(new Reconciler(index.connection, worklist, index.audit).onIndexed);
  const reindexed = await ingest.reindex(recovered.unindexed);
  if (recovered.published + recovered.discarded + recovered.unindexed.length > 0) {
    log.warn(
      { published: recovered.published, discarded: recovered.discarded, reindexed },
      "archive staging recovered after an unclean stop",
    );
  }
  return { index, store, ingest, router, worklist };
}
