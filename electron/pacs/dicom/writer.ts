/**
 * DICOM data set encoder (PS3.5 §7) for the native transfer syntaxes: implicit VR little endian,
 * explicit VR little/big endian, deflated explicit VR little endian. Sequences and items are
 * written with defined lengths.
 */
import { deflateRawSync } from "node:zlib";
import { formatTag, vrForTag } from "../../../shared/dicom/dictionary.js";
import * as tags from "../../../shared/dicom/tags.js";
import {
  datasetEncoding,
  TransferSyntaxUid,
  type DatasetEncoding,
} from "../../../shared/dicom/transfer-syntax.js";
import {
  binaryValueSize,
  hasLongLength,
  isCharsetTextVr,
  isTextVr,
  isVr,
  padByte,
} from "../../../shared/dicom/vr.js";
import { encodeText, isAsciiText, splitCharsets } from "./charset.js";

export type WritableValue = string | string[] | number | number[] | Buffer | null | WritableElement[][];

export interface WritableElement {
  tag: number;
  /** Defaults to the dictionary's VR, UN for tags it does not know. */
  vr?: string;
  /**
   * Text for text VRs (arrays are joined with backslashes); numbers for binary VRs, IS and DS; a
   * Buffer is written as is (already in the target byte order); null is an empty value; an
   * array of items (each an array of elements) for SQ.
   */
  value: WritableValue;
}

export interface EncodeOptions {
  transferSyntaxUid: string;
  /**
   * Specific Character Set to encode text with when the elements carry no (0008,0005) of their
   * own; default "ISO_IR 192" (UTF-8). The caller adds the matching (0008,0005).
   */
  charset?: string;
}

class ByteWriter {
  private buf = Buffer.allocUnsafe(4096);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(grown, 0, 0, this.length);
    this.buf = grown;
  }

  u16(value: number, little: boolean): void {
    this.reserve(2);
    if (little) this.buf.writeUInt16LE(value, this.length);
    else this.buf.writeUInt16BE(value, this.length);
    this.length += 2;
  }

  u32(value: number, little: boolean): void {
    this.reserve(4);
    if (little) this.buf.writeUInt32LE(value, this.length);
    else this.buf.writeUInt32BE(value, this.length);
    this.length += 4;
  }

  ascii(text: string): void {
    this.reserve(text.length);
    this.length += this.buf.write(text, this.length, "latin1");
  }

  bytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
  }

  byte(value: number): void {
    this.reserve(1);
    this.buf[this.length++] = value;
  }

  patchU32(at: number, value: number, little: boolean): void {
    if (little) this.buf.writeUInt32LE(value, at);
    else this.buf.writeUInt32BE(value, at);
  }

  result(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }
}

function fail(tag: number, message: string): Error {
  return new Error(`cannot encode ${formatTag(tag)}: ${message}`);
}

function isItems(value: WritableValue): value is WritableElement[][] {
  return Array.isArray(value) && value.length > 0 && Array.isArray(value[0]);
}

const INTEGER_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  OB: [0, 0xff],
  US: [0, 0xffff],
  OW: [0, 0xffff],
  SS: [-0x8000, 0x7fff],
  UL: [0, 0xffffffff],
  OL: [0, 0xffffffff],
  AT: [0, 0xffffffff],
  SL: [-0x80000000, 0x7fffffff],
  SV: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  UV: [0, Number.MAX_SAFE_INTEGER],
  OV: [0, Number.MAX_SAFE_INTEGER],
};

function writeNumber(view: DataView, vr: string, at: number, value: number, little: boolean): void {
  switch (vr) {
    case "OB":
      return view.setUint8(at, value);
    case "US":
    case "OW":
      return view.setUint16(at, value, little);
    case "SS":
      return view.setInt16(at, value, little);
    case "UL":
    case "OL":
      return view.setUint32(at, value, little);
    case "SL":
      return view.setInt32(at, value, little);
    case "FL":
    case "OF":
      return view.setFloat32(at, value, little);
    case "FD":
    case "OD":
      return view.setFloat64(at, value, little);
    case "SV":
      return view.setBigInt64(at, BigInt(value), little);
    case "UV":
    case "OV":
      return view.setBigUint64(at, BigInt(value), little);
    default: // AT: group then element
      view.setUint16(at, value >>> 16, little);
      view.setUint16(at + 2, value & 0xffff, little);
  }
}

function toNumber(tag: number, vr: string, value: string | number): number {
  if (typeof value === "number") return value;
  const parsed = vr === "AT" ? parseInt(value, 16) : Number(value.trim());
  if (value.trim() === "" || Number.isNaN(parsed)) {
    throw fail(tag, `${JSON.stringify(value)} is not a number`);
  }
  return parsed;
}

function binaryBytes(tag: number, vr: string, values: (string | number)[], little: boolean): Buffer {
  const size = binaryValueSize(vr);
  if (!size) throw fail(tag, `VR ${vr} takes a Buffer, not numbers or text`);
  const out = Buffer.alloc(values.length * size);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const range = INTEGER_RANGES[vr];
  values.forEach((raw, i) => {
    const value = toNumber(tag, vr, raw);
    if (range && !(Number.isInteger(value) && value >= range[0] && value <= range[1])) {
      throw fail(tag, `${value} is not a valid ${vr} value`);
    }
    writeNumber(view, vr, i * size, value, little);
  });
  return out;
}

/** DS holds at most 16 characters (PS3.5 §6.2): use the most precision that fits. */
function formatDecimal(tag: number, value: number): string {
  if (!Number.isFinite(value)) throw fail(tag, `${value} is not a valid DS value`);
  const plain = String(value);
  if (plain.length <= 16) return plain;
  for (let precision = 16; precision > 0; precision--) {
    const text = value.toPrecision(precision).replace(/\.?0+(e|$)/, "$1");
    if (text.length <= 16) return text;
  }
  throw fail(tag, `${value} does not fit in 16 characters`);
}

function formatText(tag: number, vr: string, value: string | number): string {
  if (typeof value === "string") return value;
  if (vr === "DS") return formatDecimal(tag, value);
  if (vr === "IS" && !(Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31)) {
    throw fail(tag, `${value} is not a valid IS value`);
  }
  return String(value);
}

function textBytes(tag: number, vr: string, values: (string | number)[], charsets: string[]): Buffer {
  const text = values.map((v) => formatText(tag, vr, v)).join("\\");
  if (isCharsetTextVr(vr)) return encodeText(text, charsets, vr);
  if (!isAsciiText(text)) throw fail(tag, `VR ${vr} allows only the default repertoire (ASCII)`);
  return Buffer.from(text, "latin1");
}

function valueBytes(el: WritableElement, vr: string, little: boolean, charsets: string[]): Buffer {
  const value = el.value;
  if (value === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(value)) return value;
  if (isItems(value)) throw fail(el.tag, `items given for VR ${vr}`);
  const values = (Array.isArray(value) ? value : [value]) as (string | number)[];
  if (isTextVr(vr)) return textBytes(el.tag, vr, values, charsets);
  return binaryBytes(el.tag, vr, values, little);
}

function charsetsOf(value: WritableValue): string[] | undefined {
  if (typeof value === "string") return splitCharsets(value.trim());
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) {
    return (value as string[]).map((v) => v.trim());
  }
  if (value === null) return [];
  return undefined;
}

class Encoder {
  private readonly w = new ByteWriter();

  constructor(private readonly enc: DatasetEncoding) {}

  dataset(elements: readonly WritableElement[], inherited: string[]): void {
    const sorted = [...elements].sort((a, b) => a.tag - b.tag);
    sorted.forEach((el, i) => {
      if (i > 0 && el.tag === (sorted[i - 1] as WritableElement).tag) {
        throw fail(el.tag, "the tag appears twice");
      }
    });
    const own = sorted.find((el) => el.tag === tags.SpecificCharacterSet);
    const charsets = (own && charsetsOf(own.value)) ?? inherited;
    for (const el of sorted) this.element(el, charsets);
  }

  result(): Buffer {
    return this.w.result();
  }

  private header(tag: number, vr: string, length: number): number {
    const { w, enc } = this;
    w.u16(tag >>> 16, enc.littleEndian);
    w.u16(tag & 0xffff, enc.littleEndian);
    if (!enc.explicitVr) {
      w.u32(length, enc.littleEndian);
      return w.length - 4;
    }
    w.ascii(vr);
    if (hasLongLength(vr)) {
      w.u16(0, enc.littleEndian);
      w.u32(length, enc.littleEndian);
      return w.length - 4;
    }
    if (length > 0xffff) {
      throw fail(tag, `${length} bytes is too long for VR ${vr} (at most 65535 in explicit VR)`);
    }
    w.u16(length, enc.littleEndian);
    return w.length - 2;
  }

  private element(el: WritableElement, charsets: string[]): void {
    const vr = el.vr ?? vrForTag(el.tag);
    if (!isVr(vr)) throw fail(el.tag, `unknown VR ${JSON.stringify(vr)}`);
    if (el.tag >>> 16 === 0xfffe) {
      throw fail(el.tag, "item tags are written by sequences, not given as elements");
    }
    if (vr === "SQ") return this.sequence(el, charsets);
    const bytes = valueBytes(el, vr, this.enc.littleEndian, charsets);
    const padded = bytes.length + (bytes.length & 1);
    if (padded > 0xfffffffe) throw fail(el.tag, `${padded} bytes is too long for one element`);
    this.header(el.tag, vr, padded);
    this.w.bytes(bytes);
    if (padded !== bytes.length) this.w.byte(padByte(vr));
  }

  private sequence(el: WritableElement, charsets: string[]): void {
    const { w, enc } = this;
    if (el.value !== null && !(Array.isArray(el.value) && (el.value.length === 0 || isItems(el.value)))) {
      throw fail(el.tag, "an SQ value must be an array of items (arrays of elements)");
    }
    const items = (el.value ?? []) as WritableElement[][];
    const lengthAt = this.header(el.tag, "SQ", 0);
    const start = w.length;
    for (const item of items) {
      w.u16(0xfffe, enc.littleEndian);
      w.u16(0xe000, enc.littleEndian);
      w.u32(0, enc.littleEndian);
      const itemStart = w.length;
      this.dataset(item, charsets);
      w.patchU32(itemStart - 4, w.length - itemStart, enc.littleEndian);
    }
    w.patchU32(lengthAt, w.length - start, enc.littleEndian);
  }
}

const NATIVE = new Set<string>([
  TransferSyntaxUid.ImplicitVRLittleEndian,
  TransferSyntaxUid.ExplicitVRLittleEndian,
  TransferSyntaxUid.DeflatedExplicitVRLittleEndian,
  TransferSyntaxUid.ExplicitVRBigEndian,
]);

function encodingFor(transferSyntaxUid: string): DatasetEncoding {
  if (!NATIVE.has(transferSyntaxUid)) {
    throw new Error(
      `cannot encode a data set in transfer syntax ${transferSyntaxUid}: only implicit VR little endian, ` +
        "explicit VR little/big endian and deflated explicit VR little endian are supported",
    );
  }
  return datasetEncoding(transferSyntaxUid);
}

/** Encode elements (sorted by tag here) as a data set in one of the native transfer syntaxes. */
export function encodeDataset(elements: readonly WritableElement[], options: EncodeOptions): Buffer {
  const enc = encodingFor(options.transferSyntaxUid);
  const encoder = new Encoder(enc);
  encoder.dataset(elements, splitCharsets(options.charset ?? "ISO_IR 192"));
  const bytes = encoder.result();
  return enc.deflated ? deflateRawSync(bytes) : bytes;
}
