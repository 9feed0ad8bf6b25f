/** The DICOM codec: data sets (parse and encode), Part 10 files, character sets. */
export { decodeText, encodeText, isKnownCharset, splitCharsets, UnencodableTextError } from "./charset.js";
export {
  DataSet,
  parseDataset,
  parseDatasetFile,
  UNDEFINED_LENGTH,
  type Element,
  type ParseOptions,
} from "./dataset.js";
export { DicomParseError } from "./errors.js";
export {
  encodeFileMeta,
  readPart10Header,
  readPart10HeaderFromFile,
  type FileMetaOptions,
  type Part10Header,
} from "./part10.js";
export { encodeDataset, type EncodeOptions, type WritableElement, type WritableValue } from "./writer.js";
