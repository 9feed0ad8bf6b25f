import { type DataSet, DicomParseError, parseDataset, parseDatasetFile } from "../dicom/dataset.js";
import { Status } from "../dimse/status.js";
import { lookupTransferSyntax } from "../../../shared/dicom/transfer-syntax.js";
import type { ReceivedObject } from "./received-object.js";
import { IngestRefusal } from "./refusal.js";

/**
 * Parses the header of a received dataset (everything before the pixel data) without touching
 * the pixel bytes: first from the leading chunk in memory, which holds the header of nearly every
 * instance, then from the whole object when the header runs past it.
 */
export function readHeader(object: ReceivedObject): DataSet {
  const syntax = lookupTransferSyntax(object.transferSyntaxUid);
  if (!syntax) {
    throw new IngestRefusal(Status.StoreErrorCannotUnderstand, `unknown transfer syntax ${object.transferSyntaxUid}`);
  }
  const options = { transferSyntaxUid: object.transferSyntaxUid, stopAtPixelData: true, skipValuesLongerThan: 65_536 };
  const first = object.dataset[0] ?? Buffer.alloc(0);
  const whole = !object.spillPath && object.dataset.length === 1;
  if (!syntax.deflated && !whole && first.length > 0) {
    try {
      return parseDataset(first, options);
    } catch (err) {
      if (!(err instanceof DicomParseError)) throw err;
    }
  }
  try {
    if (object.spillPath) return parseDatasetFile(object.spillPath, object.meta.length, options);
    return parseDataset(whole ? first : Buffer.concat(object.dataset, object.datasetLength), options);
  } catch (err) {
    if (err instanceof DicomParseError) {
      throw new IngestRefusal(Status.StoreErrorCannotUnderstand, `dataset cannot be parsed: ${err.message}`);
    }
    throw err;
  }
}
