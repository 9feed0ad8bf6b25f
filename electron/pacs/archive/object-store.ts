import type { Readable } from "node:stream";

/**
 * The archive's storage interface: opaque keys to immutable objects. Ingest stages bytes and
 * commits them in batches; tiers (a second folder, a cloud DICOMweb archive) implement the same.
 */
export interface ObjectStore {
  /** Writes a complete object to staging and makes it durable there (fsync); not yet visible. */
  stage(key: string, data: StageSource): Promise<StagedObject>;
  /** Makes staged objects durable as a batch (one directory sync), before the index commit. */
  seal(objects: StagedObject[]): Promise<void>;
  /** Moves sealed objects into place after the index commit; a crash before this is repaired by `recover`. */
  publish(objects: StagedObject[]): Promise<void>;
  /** Throws away staged objects of a failed batch. */
  discard(objects: StagedObject[]): Promise<void>;
  read(key: string): Promise<Buffer>;
  open(key: string, range?: { start: number; end?: number }): Promise<Readable>;
  stat(key: string): Promise<{ size: number } | undefined>;
  delete(key: string): Promise<void>;
  /** Startup repair: publishes staged objects the index knows, drops the rest. */
  recover(isIndexed: (key: string) => boolean): Promise<RecoveryReport>;
}

/** Either the whole object as chunks in memory, or a spill file already holding it. */
export type StageSource = { chunks: Buffer[] } | { spillPath: string };

export interface StagedObject {
  key: string;
  path: string;
}

export interface RecoveryReport {
  published: number;
  discarded: number;
}

/** Content keys are lowercase SHA-256 hex; nothing else may name a file in the archive. */
export function assertKey(key: string): void {
  if (!/^[0-9a-f]{64}$/.test(key)) throw new Error(`invalid archive key ${JSON.stringify(key)}`);
}
