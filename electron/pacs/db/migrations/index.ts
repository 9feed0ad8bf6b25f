import { sql as initial } from "./001_initial.js";
import { sql as users } from "./002_users.js";
import { sql as readingStatus } from "./003_reading_status.js";
import { sql as routerQueue } from "./004_router_queue.js";
import { sql as measurements } from "./005_measurements.js";
import { sql as workflow } from "./006_workflow.js";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** In order; a migration's version is its file number and becomes PRAGMA user_version once applied. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "001_initial", sql: initial },
  { version: 2, name: "002_users", sql: users },
  { version: 3, name: "003_reading_status", sql: readingStatus },
  { version: 4, name: "004_router_queue", sql: routerQueue },
  { version: 5, name: "005_measurements", sql: measurements },
  { version: 6, name: "006_workflow", sql: workflow },
];

export const LATEST_VERSION = MIGRATIONS.at(-1)?.version ?? 0;
