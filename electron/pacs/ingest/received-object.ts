import type { StagingWriter } from "../archive/object-store.js";

/**
 * One object on its way into the archive: the Part 10 bytes Hilum will store (its own file meta
 * header, then the dataset exactly as received), already streaming into staging, and its SHA-256.
 */
export interface ReceivedObject {
  transferSyntaxUid: string;
  /** Hilum's file meta header, the first bytes of the stored file. */
  meta: Buffer;
  /** The dataset as received when `complete`; otherwise only its leading chunks. */
  dataset: Buffer[];
  /** True when `dataset` holds every byte; large objects are read back from `staging` instead. */
  complete: boolean;
  /** Bytes of dataset received; the stored file is meta.length + datasetLength. */
  datasetLength: number;
  /** SHA-256 of the stored bytes (meta + dataset), computed off the event loop when possible. */
  sha256(): Promise<string>;
  staging: StagingWriter;
}

export function storedSize(object: ReceivedObject): number {
  return object.meta.length + object.datasetLength;
}
