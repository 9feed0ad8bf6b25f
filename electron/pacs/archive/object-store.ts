import type { Readable } from "node:stream";

/**
 * The archive's storage interface: opaque keys to immutable objects. Ingest streams bytes into
 * staging while they arrive and commits them in batches; tiers (a second folder, a cloud DICOMweb
 * archive) implement the same.
 */
export interface ObjectStore {
  /** Starts a new object in staging; it gets its key when finished. */
  createStaging(): StagingWriter;
  /** Makes finished objects' names durable as a batch (one directory sync), before the index commit. */
  seal(objects: StagedObject[]): Promise<void>;
  /** Moves sealed objects into place after the index commit; a crash before this is repaired by `recover`. */
  publish(objects: StagedObject[]): Promise<void>;
  /** Throws away staged objects of a failed batch. */
  discard(objects: StagedObject[]): Promise<void>;
  read(key: string): Promise<Buffer>;
  open(key: string, range?: { start: number; end?: number }): Promise<Readable>;
  stat(key: string): Promise<{ size: number } | undefined>;
  delete(key: string): Promise<void>;
  /**
   * Startup repair of staging: publishes complete objects the index knows, drops incomplete or
   * corrupt ones, and returns complete ones the index lost (a power loss can drop the last
   * commits) for re-indexing.
   */
  recover(isIndexed: (key: string) => boolean): Promise<RecoveryReport>;
}

/** One object being written into staging, in order, while it arrives. */
export interface StagingWriter {
  /** Where the bytes are going; readable once `flush` resolves. */
  readonly path: string;
  /** Queues a chunk; returns a promise when the caller should wait for the disk (backpressure). */
  write(chunk: Buffer): Promise<void> | undefined;
  /** Resolves when every queued chunk is written (not yet synced); rejects with the first write error. */
  flush(): Promise<void>;
  /** Starts making the bytes durable; nothing more can be written. `finish` awaits it. */
  sync(): Promise<void>;
  /** Syncs the object and names it by its key; it is then ready to be sealed. */
  finish(key: string): Promise<StagedObject>;
  /** Drops the object (refused, aborted association); never throws. */
  abort(): Promise<void>;
}

export interface StagedObject {
  key: string;
  path: string;
}

export interface RecoveryReport {
  published: number;
  discarded: number;
  /** Complete, checksum-verified staged objects without an index row. */
  unindexed: StagedObject[];
}

/** Content keys are lowercase SHA-256 hex; nothing else may name a file in the archive. */
export function assertKey(key: string): void {
  if (!/^[0-9a-f]{64}$/.test(key)) throw new Error(`invalid archive key ${JSON.stringify(key)}`);
}
