/**
 * The DICOM JSON Model (PS3.18 Annex F): data sets and query matches as JSON objects keyed by the
 * 8-digit uppercase hex tag, each attribute `{ vr, Value | InlineBinary | BulkDataURI }`.
 *
 * BulkDataURI convention (served by the bulkdata route in frames.ts/bulkdata.ts):
 *
 *   {base}/studies/{study}/series/{series}/instances/{instance}/bulkdata/{tag path}
 *
 * where {base} is the absolute DICOMweb root (e.g. `http://host:8042/dicom-web`) and {tag path} is the
 * attribute's tag as 8 uppercase hex digits, preceded for an attribute inside a sequence by each
 * enclosing sequence's tag and the 0-based index of the item, all separated by "/":
 *
 *   7FE00010                      Pixel Data
 *   00282000                      ICC Profile (a top-level OB)
 *   00540016/0/00181072           (0018,1072) in item 0 of (0054,0016)
 *   00880200/0/7FE00010           Pixel Data of the icon in item 0 of Icon Image Sequence
 *
 * `parseBulkDataPath` and `locateBulkData` turn such a path back into the element. Pixel Data
 * (7FE0,0010), Float Pixel Data (7FE0,0008) and Double Float Pixel Data (7FE0,0009) always get a
 * BulkDataURI, at any depth; other OB/OD/OF/OL/OV/OW/UN values above 1 KiB, and any value the parser
 * left on disk (longer than its skip limit), get one too; smaller binary values are InlineBinary
 * (base64, little endian as PS3.18 F.2.7 asks: big endian OW/OF/OL/OD/OV values are byte-swapped).
 */
import { vrForTag } from "../../../../shared/dicom/dictionary.js";
import * as tags from "../../../../shared/dicom/tags.js";
import { isMultiValuedTextVr, isTextVr } from "../../../../shared/dicom/vr.js";
import type { FindMatch, ReturnValue } from "../../db/query.js";
import type { DataSet, Element } from "../../dicom/dataset.js";

export interface PersonNameJson {
  Alphabetic?: string;
  Ideographic?: string;
  Phonetic?: string;
}

export type JsonValue = string | number | PersonNameJson | DicomJson | null;

export interface DicomJsonAttribute {
  vr: string;
  Value?: JsonValue[];
  InlineBinary?: string;
  BulkDataURI?: string;
}

export type DicomJson = Record<string, DicomJsonAttribute>;

/** Binary values up to this size are inlined; larger ones are referenced. */
export const INLINE_BINARY_MAX = 1024;

const BULK_VRS = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "UN"]);
const SWAPPED_UNIT: Readonly<Record<string, number>> = { OW: 2, OF: 4, OL: 4, OD: 8, OV: 8 };
const PIXEL_DATA_TAGS = new Set<number>([tags.PixelData, tags.FloatPixelData, tags.DoubleFloatPixelData]);
const NUMBER_STRING_VRS = new Set(["IS", "DS"]);
const BINARY_NUMBER_VRS = new Set(["US", "SS", "UL", "SL", "FL", "FD", "SV", "UV"]);
/** Never in DICOM JSON: the Part 10 meta group, and the trailing padding. */
const DATASET_TRAILING_PADDING = 0xfffcfffc;

/** "00100010" */
export function tagKey(tag: number): string {
  return (tag >>> 0).toString(16).toUpperCase().padStart(8, "0");
}

export interface DatasetJsonOptions {
  /**
   * The instance's bulk data base, `{base}/studies/{s}/series/{se}/instances/{i}/bulkdata`; the tag path
   * is appended. Without it, bulk values are left out (the attribute keeps its VR).
   */
  bulkDataBase?: string;
}

/** A whole data set (or sequence item) as DICOM JSON. */
export function datasetToJson(dataset: DataSet, options: DatasetJsonOptions = {}): DicomJson {
  return toJson(dataset, options.bulkDataBase, "");
}

function toJson(dataset: DataSet, base: string | undefined, prefix: string): DicomJson {
  const out: DicomJson = {};
  for (const element of dataset.elements()) {
    const tag = element.tag;
    if ((tag & 0xffff) === 0 || tag >>> 16 === 0x0002 || tag === DATASET_TRAILING_PADDING) continue;
    const key = tagKey(tag);
    out[key] = attributeJson(dataset, element, base, prefix === "" ? key : `${prefix}/${key}`);
  }
  return out;
}

function attributeJson(
  dataset: DataSet,
  element: Element,
  base: string | undefined,
  path: string,
): DicomJsonAttribute {
  const vr = element.vr;
  if (vr === "SQ") {
    const items = element.items ?? [];
    if (items.length === 0) return { vr };
    return { vr, Value: items.map((item, index) => toJson(item, base, `${path}/${index}`)) };
  }
  if (element.length === 0) return { vr };
  const value = element.value;
  if (
    PIXEL_DATA_TAGS.has(element.tag) ||
    value === undefined ||
    (BULK_VRS.has(vr) && value.length > INLINE_BINARY_MAX)
  ) {
    return base === undefined ? { vr } : { vr, BulkDataURI: `${base}/${path}` };
  }
  if (BULK_VRS.has(vr)) return { vr, InlineBinary: inlineBinary(vr, value, dataset.littleEndian) };
  if (vr === "AT") return { vr, Value: dataset.numbers(element.tag).map(tagKey) };
  if (BINARY_NUMBER_VRS.has(vr)) return { vr, Value: binaryNumbers(vr, value, dataset.littleEndian) };
  if (isTextVr(vr)) {
    const values = dataset.strings(element.tag);
    return values.length === 0 ? { vr } : { vr, Value: textValues(vr, values) };
  }
  return { vr, InlineBinary: value.toString("base64") };
}

function inlineBinary(vr: string, value: Buffer, littleEndian: boolean): string {
  const unit = SWAPPED_UNIT[vr];
  if (littleEndian || unit === undefined || value.length % unit !== 0) return value.toString("base64");
  const swapped = Buffer.from(value);
  if (unit === 2) swapped.swap16();
  else if (unit === 4) swapped.swap32();
  else swapped.swap64();
  return swapped.toString("base64");
}

const NUMBER_READERS: Readonly<
  Record<string, [number, (view: DataView, at: number, le: boolean) => number]>
> = {
  US: [2, (v, at, le) => v.getUint16(at, le)],
  SS: [2, (v, at, le) => v.getInt16(at, le)],
  UL: [4, (v, at, le) => v.getUint32(at, le)],
  SL: [4, (v, at, le) => v.getInt32(at, le)],
  FL: [4, (v, at, le) => v.getFloat32(at, le)],
  FD: [8, (v, at, le) => v.getFloat64(at, le)],
};

/** US…FD as JSON numbers (NaN and infinities become null, as JSON has none); SV/UV beyond 2^53 as strings. */
function binaryNumbers(vr: string, value: Buffer, littleEndian: boolean): JsonValue[] {
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const out: JsonValue[] = [];
  if (vr === "SV" || vr === "UV") {
    for (let at = 0; at + 8 <= value.length; at += 8) {
      const big = vr === "SV" ? view.getBigInt64(at, littleEndian) : view.getBigUint64(at, littleEndian);
      const n = Number(big);
      out.push(Number.isSafeInteger(n) ? n : big.toString());
    }
    return out;
  }
  const [size, read] = NUMBER_READERS[vr] as [number, (view: DataView, at: number, le: boolean) => number];
  for (let at = 0; at + size <= value.length; at += size) {
    const n = read(view, at, littleEndian);
    out.push(Number.isFinite(n) ? n : null);
  }
  return out;
}

/** PN "Alphabetic=Ideographic=Phonetic", empty groups left out. */
function personName(value: string): PersonNameJson {
  const [alphabetic = "", ideographic = "", phonetic = ""] = value.split("=");
  const out: PersonNameJson = {};
  if (alphabetic !== "") out.Alphabetic = alphabetic;
  if (ideographic !== "") out.Ideographic = ideographic;
  if (phonetic !== "") out.Phonetic = phonetic;
  return out;
}

/**
 * Decoded text values as JSON: numbers for IS/DS (a malformed one stays the string it was, rather than
 * being lost), objects for PN, strings otherwise; an empty value among several is null (F.2.5).
 */
export function textValues(vr: string, values: readonly string[]): JsonValue[] {
  return values.map((value): JsonValue => {
    if (value === "") return null;
    if (vr === "PN") return personName(value);
    if (NUMBER_STRING_VRS.has(vr)) {
      const n = Number(value);
      return Number.isFinite(n) ? n : value;
    }
    return value;
  });
}

/** A value the index returned ("\\"-joined text) as JSON values for the tag's VR. */
function returnedValues(vr: string, value: string): JsonValue[] {
  const values = isMultiValuedTextVr(vr) || !isTextVr(vr) ? value.split("\\") : [value];
  if (BINARY_NUMBER_VRS.has(vr)) {
    return values.map((v) => (v === "" || !Number.isFinite(Number(v)) ? null : Number(v)));
  }
  if (vr === "AT") return values.map((v) => v.replace(/[^0-9A-Fa-f]/g, "").toUpperCase());
  return textValues(vr, values);
}

/** One attribute of a query match; null = no value (zero length), as C-FIND returns it. */
export function returnValueJson(tag: number, value: ReturnValue): DicomJsonAttribute {
  const vr = vrForTag(tag);
  if (Array.isArray(value)) {
    return value.length === 0 ? { vr: "SQ" } : { vr: "SQ", Value: value.map((item) => matchToJson(item)) };
  }
  if (value === null || value === "") return { vr };
  return { vr, Value: returnedValues(vr, value) };
}

/** A C-FIND match (index.find) as DICOM JSON, in tag order; `skip` names tags to leave out. */
export function matchToJson(match: FindMatch, skip: ReadonlySet<number> = new Set()): DicomJson {
  const out: DicomJson = {};
  for (const tag of [...match.keys()].sort((a, b) => a - b)) {
    if (skip.has(tag)) continue;
    out[tagKey(tag)] = returnValueJson(tag, match.get(tag) ?? null);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Bulk data paths

/** One step of a bulk data path: a sequence and the item inside it. */
export interface BulkDataStep {
  sequence: number;
  item: number;
}

export interface BulkDataPath {
  /** The enclosing sequences, outermost first. */
  steps: BulkDataStep[];
  tag: number;
}

const TAG_SEGMENT = /^[0-9A-Fa-f]{8}$/;
const ITEM_SEGMENT = /^(?:0|[1-9][0-9]{0,5})$/;

/** "00540016/0/00181072" → steps and tag; undefined when it is not a well-formed tag path. */
export function parseBulkDataPath(path: string): BulkDataPath | undefined {
  const segments = path.split("/");
  if (segments.length % 2 === 0 || segments.length > 2 * 16 + 1) return undefined;
  const steps: BulkDataStep[] = [];
  for (let i = 0; i < segments.length - 1; i += 2) {
    const tag = segments[i] ?? "";
    const item = segments[i + 1] ?? "";
    if (!TAG_SEGMENT.test(tag) || !ITEM_SEGMENT.test(item)) return undefined;
    steps.push({ sequence: parseInt(tag, 16), item: Number(item) });
  }
  const last = segments[segments.length - 1] ?? "";
  if (!TAG_SEGMENT.test(last)) return undefined;
  return { steps, tag: parseInt(last, 16) };
}

/** The element a bulk data path names, with the data set (item) that holds it; undefined when absent. */
export function locateBulkData(
  dataset: DataSet,
  path: BulkDataPath,
): { dataset: DataSet; element: Element } | undefined {
  let current = dataset;
  for (const step of path.steps) {
    const item = current.items(step.sequence)[step.item];
    if (!item) return undefined;
    current = item;
  }
  const element = current.get(path.tag);
  return element ? { dataset: current, element } : undefined;
}

/** `{base}/studies/{s}/series/{se}/instances/{i}/bulkdata` — what datasetToJson's bulkDataBase wants. */
export function bulkDataBaseOf(base: string, study: string, series: string, instance: string): string {
  return `${base}/studies/${study}/series/${series}/instances/${instance}/bulkdata`;
}
