import { statSync } from "node:fs";
import * as tags from "../../../shared/dicom/tags.js";
import { lookupTransferSyntax } from "../../../shared/dicom/transfer-syntax.js";
import {
  type DataSet,
  DicomParseError,
  UNDEFINED_LENGTH,
  parseDataset,
  parseDatasetFile,
} from "../dicom/dataset.js";
import { readPart10HeaderFromFile } from "../dicom/part10.js";
import { Status } from "../dimse/status.js";
import type { ReceivedObject } from "./received-object.js";
import { IngestRefusal } from "./refusal.js";

/** Values longer than this are located, not copied: pixel data and other bulk stay where they are. */
const SKIP_VALUES_ABOVE = 65_536;

/**
 * Validates and parses a received dataset. The whole structure is walked — every element header,
 * sequence and fragment up to the last byte — so a truncated or malformed object is refused before
 * anything is stored. Fast path: when the first chunk holds the header and native pixel data that
 * ends exactly at the end of the dataset, that is proof enough and nothing is copied.
 */
export async function readHeader(object: ReceivedObject): Promise<DataSet> {
  const syntax = lookupTransferSyntax(object.transferSyntaxUid);
  if (!syntax) {
    throw new IngestRefusal(
      Status.StoreErrorCannotUnderstand,
      `unknown transfer syntax ${object.transferSyntaxUid}`,
    );
  }
  const options = { transferSyntaxUid: object.transferSyntaxUid, skipValuesLongerThan: SKIP_VALUES_ABOVE };
  try {
    if (!syntax.deflated) {
      const quick = quickHeader(object, options);
      if (quick) return quick;
    }
    if (!object.complete) {
      await object.staging.flush();
      return parseDatasetFile(object.staging.path, object.meta.length, options);
    }
    const bytes =
      object.dataset.length === 1 ? object.dataset[0]! : Buffer.concat(object.dataset, object.datasetLength);
    return parseDataset(bytes, options);
  } catch (err) {
    if (err instanceof DicomParseError) {
      throw new IngestRefusal(Status.StoreErrorCannotUnderstand, `dataset cannot be parsed: ${err.message}`);
    }
    throw err;
  }
}

function quickHeader(
  object: ReceivedObject,
  options: { transferSyntaxUid: string; skipValuesLongerThan: number },
) {
  const first = object.dataset[0];
  if (!first || object.dataset.length < 2) return undefined;
  let header: DataSet;
  try {
    header = parseDataset(first, { ...options, stopAtPixelData: true });
  } catch {
    return undefined;
  }
  const pixels = header.get(tags.PixelData);
  if (!pixels || pixels.length === UNDEFINED_LENGTH) return undefined;
  return pixels.offset + pixels.length === object.datasetLength ? header : undefined;
}

/** The header of an object already in the archive or staging (Hilum's own Part 10 file). */
export function readStoredHeader(path: string): {
  dataset: DataSet;
  transferSyntaxUid: string;
  size: number;
} {
  const header = readPart10HeaderFromFile(path);
  const dataset = parseDatasetFile(path, header.datasetOffset, {
    transferSyntaxUid: header.transferSyntaxUid,
    skipValuesLongerThan: SKIP_VALUES_ABOVE,
  });
  return { dataset, transferSyntaxUid: header.transferSyntaxUid, size: statSync(path).size };
}
