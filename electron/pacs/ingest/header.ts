import { lookupTransferSyntax } from "../../../shared/dicom/transfer-syntax.js";
import { type DataSet, DicomParseError, parseDataset, parseDatasetFile } from "../dicom/dataset.js";
import { Status } from "../dimse/status.js";
import type { ReceivedObject } from "./received-object.js";
import { IngestRefusal } from "./refusal.js";

/** Values longer than this are located, not copied: pixel data and other bulk stay where they are. */
const SKIP_VALUES_ABOVE = 65_536;

/**
 * Walks the whole received dataset — every element header, sequence and fragment, up to its last
 * byte — so a truncated or malformed object is refused before anything is stored, while bulk
 * values are skipped rather than copied. A spilled object is walked on disk in windows.
 */
export function readHeader(object: ReceivedObject): DataSet {
  if (!lookupTransferSyntax(object.transferSyntaxUid)) {
    throw new IngestRefusal(Status.StoreErrorCannotUnderstand, `unknown transfer syntax ${object.transferSyntaxUid}`);
  }
  const options = { transferSyntaxUid: object.transferSyntaxUid, skipValuesLongerThan: SKIP_VALUES_ABOVE };
  try {
    if (object.spillPath) return parseDatasetFile(object.spillPath, object.meta.length, options);
    const bytes = object.dataset.length === 1 ? object.dataset[0]! : Buffer.concat(object.dataset, object.datasetLength);
    return parseDataset(bytes, options);
  } catch (err) {
    if (err instanceof DicomParseError) {
      throw new IngestRefusal(Status.StoreErrorCannotUnderstand, `dataset cannot be parsed: ${err.message}`);
    }
    throw err;
  }
}
