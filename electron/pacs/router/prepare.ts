import type { ObjectStore } from "../archive/object-store.js";
import { transcodeOffThread } from "../codecs/transcode-pool.js";
import { readPart10Header } from "../dicom/part10.js";
import { fileMetaFor } from "../dimse/scp/store.js";
import type { StoreItem } from "../dimse/scu/store.js";
import { type Coercion, coerce } from "./coerce.js";
import type { Job } from "./queue.js";

/**
 * One copy to send: what it is (known from the queue, so an association can be negotiated before any
 * byte is read) and how to make its bytes — read from the archive, coerced, transcoded — when its turn
 * comes, so reading the next copy overlaps sending the current one.
 */
export interface Copy {
  sopClassUid: string;
  sopInstanceUid: string;
  /** The transfer syntax the copy will be in. */
  transferSyntaxUid: string;
  /** Part 10 bytes (Hilum's file meta, then the dataset). */
  load(): Promise<{ part10: Buffer; datasetOffset: number }>;
}

export function copyOf(store: ObjectStore, job: Job): Copy {
  const target = job.transferSyntax ?? job.storedSyntax;
  return {
    sopClassUid: job.sopClassUid,
    sopInstanceUid: job.sopInstanceUid,
    transferSyntaxUid: target,
    load: async () => {
      let part10 = await store.read(job.storageKey);
      if (job.coerce) part10 = coerce(part10, JSON.parse(job.coerce) as Coercion);
      if (target !== job.storedSyntax) {
        part10 = Buffer.concat([
          fileMetaFor(job.sopClassUid, job.sopInstanceUid, target),
          await transcodeOffThread(part10, target),
        ]);
      }
      return { part10, datasetOffset: readPart10Header(part10).datasetOffset };
    },
  };
}

export function storeItemOf(copy: Copy): StoreItem {
  return {
    sopClassUid: copy.sopClassUid,
    sopInstanceUid: copy.sopInstanceUid,
    transferSyntaxUid: copy.transferSyntaxUid,
    load: async () => {
      const { part10, datasetOffset } = await copy.load();
      return { bytes: part10, datasetOffset };
    },
  };
}
