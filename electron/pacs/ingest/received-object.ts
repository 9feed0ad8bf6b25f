/**
 * One object on its way into the archive: the Part 10 bytes Hilum will store (its own file
 * meta header, then the dataset exactly as received), their SHA-256, and where they are.
 */
export interface ReceivedObject {
  transferSyntaxUid: string;
  /** Hilum's file meta header, the first bytes of the stored file. */
  meta: Buffer;
  /** The dataset as received, in memory; or the first part of it when it spilled to `spillPath`. */
  dataset: Buffer[];
  /** Where the whole file (meta + dataset) went when it was too large to hold in memory. */
  spillPath?: string;
  /** Bytes of dataset received; the stored file is meta.length + datasetLength. */
  datasetLength: number;
  sha256: string;
}

export function storedSize(object: ReceivedObject): number {
  return object.meta.length + object.datasetLength;
}
