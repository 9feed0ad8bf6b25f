import type { FilesystemStore } from "../archive/filesystem-store.js";
import type { HilumConfig } from "../config/schema.js";
import type { Logger } from "../core/logger.js";
import type { Index } from "../db/database.js";
import type { IngestPipeline } from "../ingest/pipeline.js";
import type { NodeStatus } from "../node-status.js";
import type { Router } from "../router/router.js";
import type { Workflow } from "../workflow/workflow.js";

/** What every HTTP route module gets: the node's parts, never a global. */
export interface WebContext {
  config: HilumConfig;
  index: Index;
  store: FilesystemStore;
  ingest: IngestPipeline;
  /** Present on a running node; route modules built without it skip the router's routes. */
  router?: Router;
  /** Present on a running node; route modules built without it skip the workflow's routes. */
  workflow?: Workflow;
  log: Logger;
  status(): NodeStatus;
  /** The configuration file the node was started with (`--config`), which `PUT /api/config` rewrites. */
  configFile?: string;
}
