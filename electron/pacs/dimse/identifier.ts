import { vrForTag } from "../../../shared/dicom/dictionary.js";
import * as tags from "../../../shared/dicom/tags.js";
import { TransferSyntaxUid } from "../../../shared/dicom/transfer-syntax.js";
import { type DataSet, DicomParseError, parseDataset } from "../dicom/dataset.js";
import { type WritableElement, encodeDataset } from "../dicom/writer.js";
import { encodeText, isAsciiText } from "../dicom/charset.js";
import type { FindMatch, QueryKey, ReturnValue } from "../db/query.js";
import { Status } from "./status.js";

export class IdentifierError extends Error {
  override name = "IdentifierError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ParsedIdentifier {
  level: string;
  keys: QueryKey[];
  charsets: string[];
  dataset: DataSet;
}

/** Decodes a C-FIND/MOVE/GET identifier into query keys (text decoded with its Specific Character Set). */
export function parseIdentifier(bytes: Buffer | undefined, transferSyntaxUid: string): ParsedIdentifier {
  if (!bytes)
    throw new IdentifierError(Status.FindIdentifierDoesNotMatchSopClass, "request has no identifier");
  let dataset: DataSet;
  try {
    dataset = parseDataset(bytes, { transferSyntaxUid });
  } catch (err) {
    if (err instanceof DicomParseError) {
      throw new IdentifierError(
        Status.FindIdentifierDoesNotMatchSopClass,
        `identifier cannot be parsed: ${err.message}`,
      );
    }
    throw err;
  }
  const level = dataset.string(tags.QueryRetrieveLevel);
  if (!level)
    throw new IdentifierError(
      Status.FindIdentifierDoesNotMatchSopClass,
      "identifier has no Query/Retrieve Level",
    );
  return { level, keys: keysOf(dataset), charsets: dataset.charsets, dataset };
}

const NOT_KEYS = new Set<number>([tags.SpecificCharacterSet, tags.QueryRetrieveLevel]);

/** Every element of a data set as a matching key; sequences become items of keys. */
export function keysOf(dataset: DataSet): QueryKey[] {
  const keys: QueryKey[] = [];
  for (const element of dataset.elements()) {
    if (NOT_KEYS.has(element.tag) || (element.tag & 0xffff) === 0) continue;
    const vr = element.vr === "UN" ? vrForTag(element.tag) : element.vr;
    if (vr === "SQ") {
      const items = dataset.items(element.tag).map(keysOf);
      keys.push({ tag: element.tag, vr, value: null, items });
      continue;
    }
    const value = element.length === 0 ? null : (dataset.string(element.tag) ?? null);
    keys.push({ tag: element.tag, vr, value: value === "" ? null : value });
  }
  return keys;
}

/**
 * Encodes one match as a response identifier: in the requester's character set when every value
 * fits it, else in UTF-8 (ISO_IR 192), always naming the set used.
 */
export function encodeMatch(
  match: FindMatch,
  transferSyntaxUid: string,
  requestedCharsets: string[],
): Buffer {
  const charset = chooseCharset(match, requestedCharsets);
  const elements: WritableElement[] = [];
  if (charset) elements.push({ tag: tags.SpecificCharacterSet, vr: "CS", value: charset });
  for (const [tag, value] of match) {
    if (tag === tags.SpecificCharacterSet) continue;
    elements.push(toWritable(tag, value));
  }
  const syntax =
    transferSyntaxUid === TransferSyntaxUid.DeflatedExplicitVRLittleEndian
      ? TransferSyntaxUid.ExplicitVRLittleEndian
      : transferSyntaxUid;
  return encodeDataset(elements, { transferSyntaxUid: syntax, charset: charset ?? "ISO_IR 6" });
}

function toWritable(tag: number, value: ReturnValue): WritableElement {
  const vr = vrForTag(tag);
  if (Array.isArray(value)) {
    return { tag, vr: "SQ", value: value.map((item) => [...item].map(([t, v]) => toWritable(t, v))) };
  }
  return { tag, vr, value: value ?? null };
}

function chooseCharset(match: FindMatch, requested: string[]): string | undefined {
  const texts = collectText(match);
  if (texts.every(isAsciiText)) return requested.length > 0 ? requested.join("\\") : undefined;
  if (requested.length > 0 && requested[0] !== "ISO_IR 192") {
    try {
      for (const text of texts) encodeText(text, requested);
      return requested.join("\\");
    } catch {
      return "ISO_IR 192";
    }
  }
  return "ISO_IR 192";
}

function collectText(match: FindMatch): string[] {
  const out: string[] = [];
  for (const value of match.values()) {
    if (typeof value === "string") out.push(value);
    else if (Array.isArray(value)) for (const item of value) out.push(...collectText(item));
  }
  return out;
}
