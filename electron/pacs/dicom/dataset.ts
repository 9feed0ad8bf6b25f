/**
 * DICOM data set parser (PS3.5 §7): implicit/explicit VR, little/big endian, deflated, nested
 * sequences of defined and undefined length, encapsulated pixel data. Values are not copied or
 * decoded while parsing; DataSet decodes them when asked.
 */
import { closeSync, fstatSync, openSync } from "node:fs";
import { inflateRawSync, inflateSync } from "node:zlib";
import { formatTag, lookupTag, vrForTag } from "../../../shared/dicom/dictionary.js";
import * as tags from "../../../shared/dicom/tags.js";
import { datasetEncoding } from "../../../shared/dicom/transfer-syntax.js";
import {
  binaryValueSize,
  hasLongLength,
  isCharsetTextVr,
  isMultiValuedTextVr,
  isTextVr,
  trimTextValue,
  vrFromBytes,
} from "../../../shared/dicom/vr.js";
import { decodeText, splitCharsets } from "./charset.js";
import { DicomParseError } from "./errors.js";
import { FileSource, MemorySource, missing, readRange, type ByteSource } from "./source.js";

export { DicomParseError } from "./errors.js";

/** Length value meaning "undefined length" (PS3.5 §7.1.1). */
export const UNDEFINED_LENGTH = 0xffffffff;

export interface Element {
  readonly tag: number;
  /** As encoded; "SQ" for UN of undefined length, which is read as a sequence (CP-246). */
  readonly vr: string;
  /** Value length in bytes; UNDEFINED_LENGTH for sequences and pixel data of undefined length. */
  readonly length: number;
  /** Offset of the value in the input (in the inflated data for deflated transfer syntaxes). */
  readonly offset: number;
  /** Raw bytes of the value; undefined for sequences, encapsulated and skipped values. */
  readonly value?: Buffer;
  readonly items?: DataSet[];
  /** Fragments of encapsulated pixel data, without the basic offset table; only if asked for. */
  readonly fragments?: Buffer[];
  readonly basicOffsetTable?: Buffer;
}

export interface ParseOptions {
  transferSyntaxUid: string;
  /** Stop at top-level (7FE0,0010); its element is kept without value and DataSet.pixelDataOffset says where it is. */
  stopAtPixelData?: boolean;
  /** Values longer than this keep offset and length but are not read. */
  skipValuesLongerThan?: number;
  /** Collect Element.fragments and Element.basicOffsetTable of encapsulated pixel data. */
  readFragments?: boolean;
}

class ParsedElement implements Element {
  items?: DataSet[];
  fragments?: Buffer[];
  basicOffsetTable?: Buffer;
  private cached?: Buffer;

  constructor(
    readonly tag: number,
    public vr: string,
    readonly length: number,
    readonly offset: number,
    private readonly src?: Buffer,
    private readonly at = 0,
  ) {}

  get value(): Buffer | undefined {
    if (!this.src) return undefined;
    this.cached ??= this.src.subarray(this.at, this.at + this.length);
    return this.cached;
  }
}

const SPECIFIC_CHARACTER_SET = tags.SpecificCharacterSet;

export class DataSet {
  private parent: DataSet | undefined;
  private charsetCache: string[] | undefined;
  private readonly list: Element[];

  constructor(
    elements: Element[],
    readonly littleEndian: boolean,
    readonly explicitVr: boolean,
    /** Offset of the (7FE0,0010) tag where parsing stopped (stopAtPixelData). */
    readonly pixelDataOffset?: number,
  ) {
    this.list = inTagOrder(elements);
    for (const el of this.list) {
      for (const item of el.items ?? []) item.parent = this;
    }
  }

  /** Values of (0008,0005) in force here: this data set's own, else the enclosing one's. */
  get charsets(): string[] {
    this.charsetCache ??= this.has(SPECIFIC_CHARACTER_SET)
      ? splitCharsets(this.string(SPECIFIC_CHARACTER_SET) ?? "")
      : (this.parent?.charsets ?? []);
    return this.charsetCache;
  }

  get size(): number {
    return this.list.length;
  }

  has(tag: number): boolean {
    return this.get(tag) !== undefined;
  }

  get(tag: number): Element | undefined {
    const list = this.list;
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const el = list[mid] as Element;
      if (el.tag === tag) return el;
      if (el.tag < tag) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  elements(): IterableIterator<Element> {
    return this.list[Symbol.iterator]();
  }

  /**
   * Decoded text of a text VR, padding trimmed, values still joined by backslashes; "" when the
   * element is empty; undefined when it is absent, skipped or not text (use number() or bytes()).
   */
  string(tag: number): string | undefined {
    const el = this.get(tag);
    const text = el && this.text(el);
    return text === undefined || !el ? undefined : trimTextValue(el.vr, text);
  }

  /** The values of a text element, each trimmed; [] when absent or empty. */
  strings(tag: number): string[] {
    const el = this.get(tag);
    const text = el && this.text(el);
    if (!text || !el) return [];
    if (!isMultiValuedTextVr(el.vr)) return [trimTextValue(el.vr, text)];
    return text.split("\\").map((v) => trimTextValue(el.vr, v));
  }

  /** The first value of numbers(). */
  number(tag: number): number | undefined {
    return this.values(tag, 1)[0];
  }

  /** Values of a binary numeric VR (in this data set's byte order), or of IS/DS; NaN for a malformed IS/DS value. */
  numbers(tag: number): number[] {
    return this.values(tag, Infinity);
  }

  items(tag: number): DataSet[] {
    return this.get(tag)?.items ?? [];
  }

  bytes(tag: number): Buffer | undefined {
    return this.get(tag)?.value;
  }

  private values(tag: number, max: number): number[] {
    const el = this.get(tag);
    if (!el) return [];
    if (el.vr === "IS" || el.vr === "DS") {
      return this.strings(tag)
        .slice(0, max)
        .map((s) => (s === "" ? NaN : Number(s)));
    }
    return el.value ? readNumbers(el.vr, el.value, this.littleEndian, max) : [];
  }

  private text(el: Element): string | undefined {
    const value = el.value;
    if (!value || !isTextVr(el.vr)) return undefined;
    return isCharsetTextVr(el.vr) ? decodeText(value, this.charsets, el.vr) : value.toString("latin1");
  }
}

/** Elements sorted by tag, first occurrence kept (as DCMTK does) when a tag repeats. */
function inTagOrder(elements: Element[]): Element[] {
  let ordered = true;
  for (let i = 1; i < elements.length; i++) {
    if ((elements[i] as Element).tag <= (elements[i - 1] as Element).tag) ordered = false;
  }
  if (ordered) return elements;
  const sorted = [...elements].sort((a, b) => a.tag - b.tag);
  return sorted.filter((el, i) => i === 0 || el.tag !== (sorted[i - 1] as Element).tag);
}

function readNumber(view: DataView, vr: string, at: number, little: boolean): number {
  switch (vr) {
    case "OB":
      return view.getUint8(at);
    case "US":
    case "OW":
      return view.getUint16(at, little);
    case "SS":
      return view.getInt16(at, little);
    case "UL":
    case "OL":
      return view.getUint32(at, little);
    case "SL":
      return view.getInt32(at, little);
    case "FL":
    case "OF":
      return view.getFloat32(at, little);
    case "FD":
    case "OD":
      return view.getFloat64(at, little);
    case "SV":
      return Number(view.getBigInt64(at, little));
    case "UV":
    case "OV":
      return Number(view.getBigUint64(at, little));
    default: // AT: group then element
      return ((view.getUint16(at, little) << 16) | view.getUint16(at + 2, little)) >>> 0;
  }
}

function readNumbers(vr: string, value: Buffer, little: boolean, max: number): number[] {
  const size = binaryValueSize(vr);
  if (!size) return [];
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const count = Math.min(Math.floor(value.length / size), max);
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) out[i] = readNumber(view, vr, i * size, little);
  return out;
}

interface Encoding {
  readonly explicit: boolean;
  readonly little: boolean;
}

const IMPLICIT_LITTLE: Encoding = { explicit: false, little: true };
const ITEM = tags.Item;
const ITEM_DELIMITER = tags.ItemDelimitationItem;
const SEQUENCE_DELIMITER = tags.SequenceDelimitationItem;
const PIXEL_DATA = tags.PixelData;
const MAX_DEPTH = 128;

function isUpperLetter(b: number): boolean {
  return b >= 0x41 && b <= 0x5a;
}

class Parser {
  private pixelDataOffset: number | undefined;

  constructor(
    private readonly src: ByteSource,
    private readonly options: ParseOptions,
  ) {}

  top(start: number, enc: Encoding): DataSet {
    const elements = this.elements(
      start,
      this.src.size,
      this.src.size,
      this.detectVr(start, this.src.size, enc, true),
      0,
    );
    return new DataSet(elements.list, elements.enc.little, elements.enc.explicit, this.pixelDataOffset);
  }

  private fail(message: string, offset: number, tag?: number): DicomParseError {
    return new DicomParseError(message, offset, tag);
  }

  /** Messages are built only on failure: formatting tags on every call would cost a third of the parse. */
  private need(pos: number, n: number, limit: number, what: string, tag?: number): void {
    if (pos + n > limit) {
      const named = tag === undefined ? what : `${what} ${formatTag(tag)}`;
      throw this.fail(
        `${named} at offset ${pos} needs ${n} bytes but only ${Math.max(limit - pos, 0)} remain`,
        pos,
        tag,
      );
    }
    if (missing(this.src, pos, n)) this.src.load(pos, n);
  }

  private tagAt(pos: number, little: boolean): number {
    const b = this.src.buf;
    const p = pos - this.src.base;
    const group = little
      ? (b[p] as number) | ((b[p + 1] as number) << 8)
      : ((b[p] as number) << 8) | (b[p + 1] as number);
    const element = little
      ? (b[p + 2] as number) | ((b[p + 3] as number) << 8)
      : ((b[p + 2] as number) << 8) | (b[p + 3] as number);
    return ((group << 16) | element) >>> 0;
  }

  private u16(pos: number, little: boolean): number {
    const b = this.src.buf;
    const p = pos - this.src.base;
    return little
      ? (b[p] as number) | ((b[p + 1] as number) << 8)
      : ((b[p] as number) << 8) | (b[p + 1] as number);
  }

  private u32(pos: number, little: boolean): number {
    return little
      ? this.u16(pos, true) + this.u16(pos + 2, true) * 0x10000
      : this.u16(pos, false) * 0x10000 + this.u16(pos + 2, false);
  }

  /**
   * Like pydicom and DCMTK, trust the bytes over the transfer syntax at the start of a data set:
   * an explicit-VR data set or item whose first element has no VR is read as implicit VR; a
   * top-level implicit-VR data set whose first element carries a VR is read as explicit VR.
   */
  private detectVr(start: number, limit: number, enc: Encoding, top: boolean): Encoding {
    if (start + 6 > limit) return enc;
    this.need(start, 6, limit, "element");
    if (this.tagAt(start, enc.little) >>> 16 === 0xfffe) return enc;
    const b = this.src.buf;
    const p = start - this.src.base;
    const b4 = b[p + 4] as number;
    const b5 = b[p + 5] as number;
    if (enc.explicit && !(isUpperLetter(b4) && isUpperLetter(b5))) {
      return { explicit: false, little: enc.little };
    }
    if (!enc.explicit && top && vrFromBytes(b4, b5)) return { explicit: true, little: enc.little };
    return enc;
  }

  /**
   * The elements of one data set or item, from start to end (end < 0: until an item delimitation
   * item, which must come before limit). Returns where the next element starts in `next`.
   */
  private elements(
    start: number,
    end: number,
    limit: number,
    enc: Encoding,
    depth: number,
  ): { list: Element[]; enc: Encoding; next: number } {
    if (depth > MAX_DEPTH) {
      throw this.fail(`sequences nested more than ${MAX_DEPTH} deep at offset ${start}`, start);
    }
    const list: Element[] = [];
    const top = depth === 0;
    let pos = start;
    while (end < 0 || pos < end) {
      if (end < 0 && pos >= limit) {
        throw this.fail(`item data set starting at offset ${start} has no item delimitation item`, pos);
      }
      this.need(pos, 8, limit, "element header");
      const tag = this.tagAt(pos, enc.little);
      if (tag >>> 16 === 0xfffe) {
        if (tag === ITEM_DELIMITER && !top) {
          if (end < 0) return { list, enc, next: pos + 8 };
          pos += 8; // a stray delimiter inside a defined-length item is harmless
          continue;
        }
        throw this.fail(`unexpected ${formatTag(tag)} at offset ${pos} outside a sequence`, pos, tag);
      }
      const el = this.element(pos, tag, limit, enc, depth);
      list.push(el.element);
      if (el.stop) return { list, enc, next: limit };
      pos = el.next;
    }
    return { list, enc, next: pos };
  }

  private element(
    pos: number,
    tag: number,
    limit: number,
    enc: Encoding,
    depth: number,
  ): { element: ParsedElement; next: number; stop?: boolean } {
    let vr: string;
    let length: number;
    let header = 8;
    if (enc.explicit) {
      const p = pos - this.src.base;
      const b4 = this.src.buf[p + 4] as number;
      const b5 = this.src.buf[p + 5] as number;
      const found = vrFromBytes(b4, b5);
      if (!found) {
        const shown = JSON.stringify(String.fromCharCode(b4, b5));
        throw this.fail(`element ${formatTag(tag)} at offset ${pos} has invalid VR ${shown}`, pos, tag);
      }
      vr = found;
      if (hasLongLength(vr)) {
        this.need(pos, 12, limit, "header of element", tag);
        length = this.u32(pos + 8, enc.little);
        header = 12;
      } else {
        length = this.u16(pos + 6, enc.little);
      }
    } else {
      length = this.u32(pos + 4, true);
      // PS3.5 §A.1: native pixel data is OW in implicit VR; encapsulated pixel data is OB.
      vr = tag === PIXEL_DATA ? (length === UNDEFINED_LENGTH ? "OB" : "OW") : vrForTag(tag);
    }
    const at = pos + header;
    const stop = depth === 0 && tag === PIXEL_DATA && this.options.stopAtPixelData === true;
    // Stop before checking the length: a caller may pass only the head of the object.
    if (stop) return this.stopAt(pos, new ParsedElement(tag, vr, length, at), limit);
    if (length === UNDEFINED_LENGTH) return this.undefinedLength(pos, tag, vr, at, limit, enc, depth);
    if (vr === "SQ") {
      const end = this.containerEnd(at, length, limit, pos, tag, false);
      const element = new ParsedElement(tag, vr, length, at);
      element.items = this.items(at, end, end, enc, depth, tag).items;
      return { element, next: end };
    }
    if (at + length > limit) {
      const left = Math.max(limit - at, 0);
      throw this.fail(
        `element ${formatTag(tag)} at offset ${pos} claims ${length} bytes but only ${left} remain`,
        pos,
        tag,
      );
    }
    const next = at + length;
    if (vr === "UN" && enc.explicit) return { element: this.unknown(tag, at, length, depth), next };
    return { element: this.valued(tag, vr, at, length), next };
  }

  /**
   * End of a defined-length sequence or item. One that runs past the end of the whole input is cut
   * there, as DCMTK and pydicom do: writers that drop elements without fixing lengths leave such
   * files, and every element inside must still be complete. Past any other bound, it is an error.
   */
  private containerEnd(
    start: number,
    length: number,
    limit: number,
    pos: number,
    tag: number,
    item: boolean,
  ): number {
    if (start + length <= limit) return start + length;
    if (limit === this.src.size) return limit;
    const what = item
      ? `item at offset ${pos} in sequence ${formatTag(tag)}`
      : `sequence ${formatTag(tag)} at offset ${pos}`;
    throw this.fail(`${what} claims ${length} bytes but only ${Math.max(limit - start, 0)} remain`, pos, tag);
  }

  private stopAt(
    pos: number,
    element: ParsedElement,
    limit: number,
  ): { element: ParsedElement; next: number; stop: boolean } {
    this.pixelDataOffset = pos;
    return { element, next: limit, stop: true };
  }

  private valued(tag: number, vr: string, at: number, length: number): ParsedElement {
    const skip = this.options.skipValuesLongerThan;
    if (skip !== undefined && length > skip) return new ParsedElement(tag, vr, length, at);
    if (missing(this.src, at, length)) this.src.load(at, length);
    return new ParsedElement(tag, vr, length, at, this.src.buf, at - this.src.base);
  }

  /**
   * Explicit UN of a tag the dictionary knows: take the dictionary's VR (as pydicom does), and
   * read a sequence's value as implicit VR little endian, keeping the raw bytes if that fails.
   */
  private unknown(tag: number, at: number, length: number, depth: number): ParsedElement {
    const known = lookupTag(tag) ? vrForTag(tag) : "UN";
    if (known !== "SQ") return this.valued(tag, known, at, length);
    try {
      const element = new ParsedElement(tag, "SQ", length, at);
      element.items = this.items(at, at + length, at + length, IMPLICIT_LITTLE, depth, tag).items;
      return element;
    } catch (error) {
      if (!(error instanceof DicomParseError)) throw error;
      return this.valued(tag, "UN", at, length);
    }
  }

  private undefinedLength(
    pos: number,
    tag: number,
    vr: string,
    at: number,
    limit: number,
    enc: Encoding,
    depth: number,
  ): { element: ParsedElement; next: number } {
    const element = new ParsedElement(tag, vr, UNDEFINED_LENGTH, at);
    if (tag === PIXEL_DATA || (enc.explicit && (vr === "OB" || vr === "OW"))) {
      return { element, next: this.fragments(element, limit, enc) };
    }
    if (enc.explicit && vr !== "SQ" && vr !== "UN") {
      throw this.fail(
        `element ${formatTag(tag)} at offset ${pos} has undefined length, which VR ${vr} does not allow`,
        pos,
        tag,
      );
    }
    // UN of undefined length is a sequence encoded in implicit VR little endian (PS3.5 §6.2.2).
    const itemEnc = vr === "UN" && enc.explicit ? IMPLICIT_LITTLE : enc;
    element.vr = "SQ";
    const { items, next } = this.items(at, -1, limit, itemEnc, depth, tag);
    element.items = items;
    return { element, next };
  }

  private items(
    start: number,
    end: number,
    limit: number,
    enc: Encoding,
    depth: number,
    sequence: number,
  ): { items: DataSet[]; next: number } {
    const items: DataSet[] = [];
    let pos = start;
    while (end < 0 || pos < end) {
      if (end < 0 && pos + 8 > limit) {
        throw this.fail(
          `sequence ${formatTag(sequence)} has no sequence delimitation item before offset ${limit}`,
          pos,
          sequence,
        );
      }
      this.need(pos, 8, limit, "item header in sequence", sequence);
      const tag = this.tagAt(pos, enc.little);
      if (tag === SEQUENCE_DELIMITER) {
        pos += 8;
        if (end < 0) return { items, next: pos };
        continue;
      }
      if (tag !== ITEM) {
        throw this.fail(
          `expected an item (FFFE,E000) in sequence ${formatTag(sequence)} at offset ${pos}, found ${formatTag(tag)}`,
          pos,
          sequence,
        );
      }
      const length = this.u32(pos + 4, enc.little);
      const itemStart = pos + 8;
      const itemEnd =
        length === UNDEFINED_LENGTH ? -1 : this.containerEnd(itemStart, length, limit, pos, sequence, true);
      const itemLimit = itemEnd < 0 ? limit : itemEnd;
      const itemEnc = this.detectVr(itemStart, itemLimit, enc, false);
      const parsed = this.elements(itemStart, itemEnd, itemLimit, itemEnc, depth + 1);
      items.push(new DataSet(parsed.list, parsed.enc.little, parsed.enc.explicit));
      pos = itemEnd < 0 ? parsed.next : itemEnd;
    }
    return { items, next: pos };
  }

  /** Walks the fragment items of encapsulated pixel data (PS3.5 §A.4); returns the offset after it. */
  private fragments(element: ParsedElement, limit: number, enc: Encoding): number {
    const collect = this.options.readFragments === true;
    const fragments: Buffer[] = [];
    let pos = element.offset;
    for (let index = 0; ; index++) {
      if (pos + 8 > limit) {
        throw this.fail(
          `encapsulated ${formatTag(element.tag)} has no sequence delimitation item before offset ${limit}`,
          pos,
          element.tag,
        );
      }
      this.need(pos, 8, limit, "fragment header");
      const tag = this.tagAt(pos, enc.little);
      if (tag === SEQUENCE_DELIMITER) break;
      if (tag !== ITEM) {
        throw this.fail(
          `expected a fragment (FFFE,E000) in ${formatTag(element.tag)} at offset ${pos}, found ${formatTag(tag)}`,
          pos,
          element.tag,
        );
      }
      const length = this.u32(pos + 4, enc.little);
      if (pos + 8 + length > limit) {
        const left = Math.max(limit - pos - 8, 0);
        throw this.fail(
          `fragment at offset ${pos} claims ${length} bytes but only ${left} remain`,
          pos,
          element.tag,
        );
      }
      if (collect) {
        this.need(pos + 8, length, limit, "fragment");
        const p = pos + 8 - this.src.base;
        const value = this.src.buf.subarray(p, p + length);
        if (index === 0) element.basicOffsetTable = value;
        else fragments.push(value);
      }
      pos += 8 + length;
    }
    if (collect) element.fragments = fragments;
    return pos + 8;
  }
}

/** A cap on inflated data sets, so that a small deflate bomb cannot exhaust memory. */
const MAX_INFLATED = 1024 * 1024 * 1024;

function inflate(input: Buffer): Buffer {
  try {
    return inflateRawSync(input, { maxOutputLength: MAX_INFLATED });
  } catch (raw) {
    // PS3.5 §A.5 asks for raw deflate; a few writers add a zlib header anyway.
    try {
      return inflateSync(input, { maxOutputLength: MAX_INFLATED });
    } catch {
      throw new DicomParseError(`deflated data set does not inflate: ${(raw as Error).message}`, 0);
    }
  }
}

function encodingOf(transferSyntaxUid: string): Encoding & { deflated: boolean } {
  const enc = datasetEncoding(transferSyntaxUid);
  return { explicit: enc.explicitVr, little: enc.littleEndian, deflated: enc.deflated };
}

/** Parse a data set (no preamble or File Meta Information) in the given transfer syntax. */
export function parseDataset(input: Buffer, options: ParseOptions): DataSet {
  const enc = encodingOf(options.transferSyntaxUid);
  const data = enc.deflated ? inflate(input) : input;
  return new Parser(new MemorySource(data), options).top(0, enc);
}

/**
 * Parse the data set of a file that starts at datasetOffset (Part10Header.datasetOffset), reading
 * only the windows it needs: with stopAtPixelData or skipValuesLongerThan, large values stay on
 * disk. A deflated data set is inflated whole; its offsets then refer to the inflated bytes.
 */
export function parseDatasetFile(path: string, datasetOffset: number, options: ParseOptions): DataSet {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    if (datasetOffset > size) {
      throw new DicomParseError(
        `data set offset ${datasetOffset} is beyond the end of the file (${size} bytes)`,
        size,
      );
    }
    const enc = encodingOf(options.transferSyntaxUid);
    if (enc.deflated) return parseDataset(readRange(fd, datasetOffset, size - datasetOffset), options);
    return new Parser(new FileSource(fd, size), options).top(datasetOffset, enc);
  } finally {
    closeSync(fd);
  }
}
