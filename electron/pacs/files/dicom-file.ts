import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import * as tags from "../../../shared/dicom/tags.js";
import { type DataSet, DicomParseError, parseDataset, parseDatasetFile } from "../dicom/dataset.js";
import { type Part10Header, readPart10Header, readPart10HeaderFromFile } from "../dicom/part10.js";
import { fileMetaFor } from "../dimse/scp/store.js";
import type { StoreItem } from "../dimse/scu/store.js";
import type { ObjectStore } from "../archive/object-store.js";
import type { ReceivedObject } from "../ingest/received-object.js";
import { IngestRefusal } from "../ingest/refusal.js";
import { Status } from "../dimse/status.js";

export interface DicomFileInfo {
  path: string;
  header: Part10Header;
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
}

function identify(path: string, header: Part10Header, dataset: DataSet | undefined): DicomFileInfo {
  const sopClassUid = dataset?.string(tags.SOPClassUID) ?? header.mediaStorageSopClassUid ?? "";
  const sopInstanceUid = dataset?.string(tags.SOPInstanceUID) ?? header.mediaStorageSopInstanceUid ?? "";
  if (!sopClassUid || !sopInstanceUid) throw new Error("no SOP Class UID or SOP Instance UID");
  return { path, header, sopClassUid, sopInstanceUid, transferSyntaxUid: header.transferSyntaxUid };
}

/**
 * Reads what a send needs to negotiate (SOP class, instance, transfer syntax) from the data set, up to
 * its pixel data: the command must name the UIDs the data set holds, which a file's meta header may not.
 */
export async function identifyFile(path: string): Promise<DicomFileInfo> {
  const header = readPart10HeaderFromFile(path);
  const dataset = parseDatasetFile(path, header.datasetOffset, {
    transferSyntaxUid: header.transferSyntaxUid,
    stopAtPixelData: true,
    skipValuesLongerThan: 65_536,
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

/** As `identify`, refused in the words a C-STORE of the same dataset would get. */
function identifyForIngest(path: string, header: Part10Header, dataset: Buffer): DicomFileInfo {
  let parsed: DataSet;
  try {
    parsed = parseDataset(dataset, {
      transferSyntaxUid: header.transferSyntaxUid,
      stopAtPixelData: true,
      skipValuesLongerThan: 65_536,
    });
  } catch (err) {
    if (!(err instanceof DicomParseError)) throw err;
    throw new IngestRefusal(Status.StoreErrorCannotUnderstand, `dataset cannot be parsed: ${err.message}`);
  }
  try {
    return identify(path, header, parsed);
  } catch (err) {
    throw new IngestRefusal(Status.StoreErrorMissingSopInstanceUid, `dataset has ${(err as Error).message}`);
  }
}

/**
 * A file from disk as the ingest pipeline takes it: the dataset exactly as in the file, behind
 * Hilum's own file meta header (so the same instance imported or received is the same object).
 */
export async function receivedFromFile(path: string, store: ObjectStore): Promise<ReceivedObject> {
  const bytes = await readFile(path);
  const header = readPart10Header(bytes);
  const dataset = bytes.subarray(header.datasetOffset);
  const info = identifyForIngest(path, header, dataset);
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
    sha256: () => Promise.resolve(sha256),
    staging,
  };
}
