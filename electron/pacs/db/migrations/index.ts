import { sql as initial } from "./001_initial.js";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** In order; a migration's version is its file number and becomes PRAGMA user_version once applied. */
export const MIGRATIONS: readonly Migration[] = [{ version: 1, name: "001_initial", sql: initial }];

export const LATEST_VERSION = MIGRATIONS.at(-1)?.version ?? 0;
