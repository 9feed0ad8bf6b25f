import { type FileHandle, open } from "node:fs/promises";
import Database from "better-sqlite3";
import { AuditLog } from "./audit.js";
import { IndexWriter, type CommitResult, type DeletedInstance } from "./commit.js";
import { registerMatchFunctions } from "./matching.js";
import { LATEST_VERSION, MIGRATIONS } from "./migrations/index.js";
import { compileFind, runFind, type FindMatch, type FindRequest } from "./query.js";
import type { InstanceRecord } from "./records.js";
import { runRetrieve, type RetrieveInstance, type RetrieveRequest } from "./retrieve.js";
import { StatementCache } from "./statements.js";

/** "HILM" in PRAGMA application_id: tells a Hilum index from any other SQLite file. */
const APPLICATION_ID = 0x48494c4d;
const BUSY_TIMEOUT_MS = 5000;
const CACHE_KIB = 32 * 1024;

export interface OpenOptions {
  readonly?: boolean;
}

export interface StoredInstance {
  sha256: string;
  storageKey: string;
  size: number;
  studyInstanceUid: string;
  seriesInstanceUid: string;
}

export interface IndexCounts {
  patients: number;
  studies: number;
  series: number;
  instances: number;
  bytes: number;
}

/** The settings as SQLite reports them on this connection. */
export interface IndexSettings {
  journalMode: string;
  /** 2 = FULL. */
  synchronous: number;
  foreignKeys: boolean;
  busyTimeoutMs: number;
  schemaVersion: number;
}

export type {
  CommitResult,
  DeletedInstance,
  PatientConflict,
  ReplacedInstance,
  SeriesConflict,
} from "./commit.js";
export type { FindMatch, FindRequest } from "./query.js";
export type { InstanceRecord } from "./records.js";
export type { RetrieveInstance, RetrieveRequest } from "./retrieve.js";

export interface Index {
  readonly path: string;
  readonly audit: AuditLog;
  /** The SQLite connection, for modules that keep their own tables in the index (queue, reading status). */
  readonly connection: Database.Database;
  /**
   * Runs fn in one IMMEDIATE transaction, so that e.g. commitInstances and the audit rows of the same
   * objects commit together (nested index calls become savepoints). Rolls back if fn throws.
   */
  transaction<T>(fn: () => T): T;
  /** Durability barrier: resolves once every commit made before the call would survive a power loss. */
  sync(): Promise<void>;
  findInstance(sopInstanceUid: string): StoredInstance | undefined;
  /** Whether any instance is stored under this key (archive recovery and the scrubber ask). */
  hasStorageKey(storageKey: string): boolean;
  /** One transaction for the whole batch: all records are indexed, or none. */
  commitInstances(records: readonly InstanceRecord[]): CommitResult[];
  /** Unknown UIDs are skipped; the storage keys of the removed rows come back for the caller to delete. */
  deleteInstances(sopInstanceUids: readonly string[]): DeletedInstance[];
  find(request: FindRequest): FindMatch[];
  /** EXPLAIN QUERY PLAN of find(request), one line per step: for benchmarks and diagnostics. */
  explainFind(request: FindRequest): string[];
  /** Ordered by study, series, instance number. */
  instancesForRetrieve(request: RetrieveRequest): RetrieveInstance[];
  counts(): IndexCounts;
  settings(): IndexSettings;
  close(): void;
}

/** The file was written by a newer Hilum, is not a Hilum index, or needs a migration it cannot get. */
export class IndexVersionError extends Error {
  override readonly name = "IndexVersionError";
}

function userVersion(db: Database.Database): number {
  return db.pragma("user_version", { simple: true }) as number;
}

function checkVersion(db: Database.Database, path: string): number {
  const version = userVersion(db);
  if (version > LATEST_VERSION) {
    throw new IndexVersionError(
      `${path}: index schema version ${version} is newer than this Hilum understands (${LATEST_VERSION}); ` +
        `use the Hilum release that wrote it or a newer one`,
    );
  }
  const applicationId = db.pragma("application_id", { simple: true }) as number;
  if (applicationId !== APPLICATION_ID && (applicationId !== 0 || version !== 0)) {
    throw new IndexVersionError(`${path}: not a Hilum index (application_id ${applicationId})`);
  }
  return version;
}

/** Applies pending migrations in one IMMEDIATE transaction; a second process waits, then finds nothing to do. */
function migrate(db: Database.Database, path: string, readonly: boolean): void {
  if (checkVersion(db, path) === LATEST_VERSION) return;
  if (readonly) {
    throw new IndexVersionError(
      `${path}: index schema version ${userVersion(db)} needs migrating to ${LATEST_VERSION}; open it read-write once`,
    );
  }
  const apply = db.transaction(() => {
    const current = checkVersion(db, path);
    for (const migration of MIGRATIONS) {
      if (migration.version <= current) continue;
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    }
    db.pragma(`application_id = ${APPLICATION_ID}`);
  });
  apply.immediate();
}

/**
 * WAL with synchronous=NORMAL: a commit is atomic and survives a crash of the process at once, and
 * stays consistent after a power loss, which may only drop the last commits. The archive makes that
 * safe: an instance is acknowledged once its file is fsynced in staging and its row committed, and
 * the file stays in staging until `sync()` has made the row durable — so after a power loss,
 * startup recovery re-indexes any staged object whose row did not survive. This keeps the WAL
 * fsync off the acknowledgement path and off the event loop.
 */
function configure(db: Database.Database, readonly: boolean): void {
  if (!readonly) db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma(`cache_size = -${CACHE_KIB}`);
}

const FIND_INSTANCE = `
  SELECT i.sha256, i.storage_key AS storageKey, i.size, s.study_instance_uid AS studyInstanceUid,
         se.series_instance_uid AS seriesInstanceUid
  FROM instances i JOIN series se ON se.id = i.series_fk JOIN studies s ON s.id = se.study_fk
  WHERE i.sop_instance_uid = ?`;

const HAS_STORAGE_KEY = `SELECT 1 FROM instances WHERE storage_key = ? LIMIT 1`;

const COUNTS = `
  SELECT (SELECT count(*) FROM patients) AS patients, (SELECT count(*) FROM studies) AS studies,
         (SELECT count(*) FROM series) AS series,
         (SELECT coalesce(sum(number_of_instances), 0) FROM studies) AS instances,
         (SELECT coalesce(sum(size_bytes), 0) FROM studies) AS bytes`;

class SqliteIndex implements Index {
  readonly audit: AuditLog;
  readonly connection: Database.Database;
  private readonly statements: StatementCache;
  private readonly writer: IndexWriter;
  private readonly commitTransaction;
  private readonly deleteTransaction;
  private walHandle?: FileHandle;
  private dbHandle?: FileHandle;

  constructor(
    private readonly db: Database.Database,
    readonly path: string,
  ) {
    this.connection = db;
    this.statements = new StatementCache(db);
    this.audit = new AuditLog(this.statements);
    this.writer = new IndexWriter(this.statements);
    this.commitTransaction = db.transaction((records: readonly InstanceRecord[]) =>
      this.writer.commit(records),
    );
    this.deleteTransaction = db.transaction((uids: readonly string[]) => this.writer.delete(uids));
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  async sync(): Promise<void> {
    const handle = await this.durabilityHandle();
    await handle.sync();
  }

  /** The WAL file while it exists (commits live there until checkpointed), else the database file. */
  private async durabilityHandle(): Promise<FileHandle> {
    if (this.walHandle) return this.walHandle;
    try {
      this.walHandle = await open(`${this.path}-wal`, "r");
      return this.walHandle;
    } catch {
      return (this.dbHandle ??= await open(this.path, "r"));
    }
  }

  findInstance(sopInstanceUid: string): StoredInstance | undefined {
    return this.statements.get(FIND_INSTANCE).get(sopInstanceUid) as StoredInstance | undefined;
  }

  hasStorageKey(storageKey: string): boolean {
    return this.statements.get(HAS_STORAGE_KEY).get(storageKey) !== undefined;
  }

  commitInstances(records: readonly InstanceRecord[]): CommitResult[] {
    return this.commitTransaction.immediate(records);
  }

  deleteInstances(sopInstanceUids: readonly string[]): DeletedInstance[] {
    return this.deleteTransaction.immediate(sopInstanceUids);
  }

  find(request: FindRequest): FindMatch[] {
    return runFind(this.statements, request);
  }

  explainFind(request: FindRequest): string[] {
    const { sql, params } = compileFind(request);
    const rows = this.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>;
    return rows.map((row) => row.detail);
  }

  instancesForRetrieve(request: RetrieveRequest): RetrieveInstance[] {
    return runRetrieve(this.statements, request);
  }

  counts(): IndexCounts {
    return this.statements.get(COUNTS).get() as IndexCounts;
  }

  settings(): IndexSettings {
    const pragma = (name: string): unknown => this.db.pragma(name, { simple: true });
    return {
      journalMode: String(pragma("journal_mode")),
      synchronous: Number(pragma("synchronous")),
      foreignKeys: pragma("foreign_keys") === 1,
      busyTimeoutMs: Number(pragma("busy_timeout")),
      schemaVersion: Number(pragma("user_version")),
    };
  }

  /** PRAGMA optimize refreshes the planner statistics that the queries of this session showed to matter. */
  close(): void {
    void this.walHandle?.close().catch(() => undefined);
    void this.dbHandle?.close().catch(() => undefined);
    if (!this.db.readonly) this.db.pragma("optimize");
    this.db.close();
  }
}

/** Opens (creating and migrating as needed) the SQLite index at `path`. */
export function openIndex(path: string, options: OpenOptions = {}): Index {
  const readonly = options.readonly ?? false;
  const db = new Database(path, { readonly, fileMustExist: readonly, timeout: BUSY_TIMEOUT_MS });
  try {
    configure(db, readonly);
    migrate(db, path, readonly);
    registerMatchFunctions(db);
    return new SqliteIndex(db, path);
  } catch (error) {
    db.close();
    throw error;
  }
}
