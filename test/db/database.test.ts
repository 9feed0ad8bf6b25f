import Database from "better-sqlite3";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { IndexVersionError, openIndex } from "../../electron/pacs/db/database.js";
import { LATEST_VERSION } from "../../electron/pacs/db/migrations/index.js";
import { record, scratchDir } from "./fixtures.js";

function dbPath(): string {
  return join(scratchDir("database"), "index.sqlite");
}

describe("openIndex", () => {
  it("runs with WAL, synchronous=NORMAL (durability through sync()) and foreign keys on", () => {
    const index = openIndex(dbPath());
    expect(index.settings()).toEqual({
      journalMode: "wal",
      synchronous: 1,
      foreignKeys: true,
      busyTimeoutMs: 5000,
      schemaVersion: LATEST_VERSION,
    });
    index.close();
  });

  it("applies the migrations once and keeps the data on reopen", () => {
    const path = dbPath();
    const first = openIndex(path);
    first.commitInstances([record({ study: "1.1", series: "1.1.1", sop: "1.1.1.1" })]);
    first.close();
    const second = openIndex(path);
    expect(second.settings().schemaVersion).toBe(LATEST_VERSION);
    expect(second.counts().instances).toBe(1);
    second.close();
    const raw = new Database(path, { readonly: true });
    const tables = raw.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'patients'").get();
    raw.close();
    expect(tables).toEqual({ n: 1 });
  });

  it("refuses a database written by a newer schema", () => {
    const path = dbPath();
    openIndex(path).close();
    const raw = new Database(path);
    raw.pragma(`user_version = ${LATEST_VERSION + 1}`);
    raw.close();
    expect(() => openIndex(path)).toThrow(IndexVersionError);
    expect(() => openIndex(path)).toThrow(/newer than this Hilum understands/);
  });

  it("refuses an SQLite file that is not a Hilum index", () => {
    const path = dbPath();
    const raw = new Database(path);
    raw.exec("CREATE TABLE other (x)");
    raw.pragma("user_version = 1");
    raw.close();
    expect(() => openIndex(path)).toThrow(/not a Hilum index/);
  });

  it("opens read-only for queries and refuses writes", () => {
    const path = dbPath();
    const writer = openIndex(path);
    writer.commitInstances([record({ study: "1.1", series: "1.1.1", sop: "1.1.1.1" })]);
    const reader = openIndex(path, { readonly: true });
    expect(reader.findInstance("1.1.1.1")?.storageKey).toBe("key-1.1.1.1");
    expect(() => reader.commitInstances([record({ study: "1.2", series: "1.2.1", sop: "1.2.1.1" })])).toThrow(
      /readonly/,
    );
    reader.close();
    writer.close();
  });

  it("refuses to open read-only a database that still needs migrating", () => {
    const path = dbPath();
    new Database(path).close();
    expect(() => openIndex(path, { readonly: true })).toThrow(/needs migrating/);
  });
});
