import { createHash } from "node:crypto";
import { open, readFile } from "node:fs/promises";
import * as tags from "../../../shared/dicom/tags.js";
import { type DataSet, parseDataset } from "../dicom/dataset.js";
import { type Part10Header, readPart10Header } from "../dicom/part10.js";
import { fileMetaFor } from "../dimse/scp/store.js";
import type { StoreItem } from "../dimse/scu/store.js";
import type { ObjectStore } from "../archive/object-store.js";
import type { ReceivedObject } from "../ingest/received-object.js";

export interface DicomFileInfo {
  path: string;
  header: Part10Header;
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
}

const HEAD_BYTES = 256 * 1024;

function identify(path: string, header: Part10Header, dataset: DataSet | undefined): DicomFileInfo {
  const sopClassUid = dataset?.string(tags.SOPClassUID) ?? header.mediaStorageSopClassUid ?? "";
  const sopInstanceUid = dataset?.string(tags.SOPInstanceUID) ?? header.mediaStorageSopInstanceUid ?? "";
  if (!sopClassUid || !sopInstanceUid) throw new Error("no SOP Class UID or SOP Instance UID");
  return { path, header, sopClassUid, sopInstanceUid, transferSyntaxUid: header.transferSyntaxUid };
}

/** Reads what a send needs to negotiate (SOP class, instance, transfer syntax) from the head of a file. */
export async function identifyFile(path: string): Promise<DicomFileInfo> {
  const handle = await open(path, "r");
  let head: Buffer;
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buf, 0, HEAD_BYTES, 0);
    head = buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  const header = readPart10Header(head);
  if (header.mediaStorageSopClassUid && header.mediaStorageSopInstanceUid)
    return identify(path, header, undefined);
  const dataset = parseDataset(head.subarray(header.datasetOffset), {
    transferSyntaxUid: header.transferSyntaxUid,
    stopAtPixelData: true,
  });
  return identify(path, header, dataset);
}

export function fileStoreItem(info: DicomFileInfo): StoreItem {
  return {
    sopClassUid: info.sopClassUid,
    sopInstanceUid: info.sopInstanceUid,
    transferSyntaxUid: info.transferSyntaxUid,
    load: async () => ({ bytes: await readFile(info.path), datasetOffset: info.header.datasetOffset }),
  };
}

/**
 * A file from disk as the ingest pipeline takes it: the dataset exactly as in the file, behind
 * Hilum's own file meta header (so the same instance imported or received is the same object).
 */
export async function receivedFromFile(path: string, store: ObjectStore): Promise<ReceivedObject> {
  const bytes = await readFile(path);
  const header = readPart10Header(bytes);
  const dataset = bytes.subarray(header.datasetOffset);
  const parsed = parseDataset(dataset, {
    transferSyntaxUid: header.transferSyntaxUid,
    stopAtPixelData: true,
    skipValuesLongerThan: 65_536,
  });
  const info = identify(path, header, parsed);
  const meta = fileMetaFor(info.sopClassUid, info.sopInstanceUid, header.transferSyntaxUid);
  const sha256 = createHash("sha256").update(meta).update(dataset).digest("hex");
  const staging = store.createStaging();
  staging.write(meta);
  staging.write(dataset);
  return {
    transferSyntaxUid: header.transferSyntaxUid,
    meta,
    dataset: [dataset],
    complete: true,
    datasetLength: dataset.length,
    sha256,
    staging,
  };
}
