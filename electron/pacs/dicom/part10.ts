/** DICOM files (PS3.10 §7): preamble, "DICM" prefix and the File Meta Information group 0002. */
import { closeSync, fstatSync, openSync } from "node:fs";
import { formatTag } from "../../../shared/dicom/dictionary.js";
import * as tags from "../../../shared/dicom/tags.js";
import { TransferSyntaxUid } from "../../../shared/dicom/transfer-syntax.js";
import { hasLongLength, vrFromBytes } from "../../../shared/dicom/vr.js";
import { DicomParseError } from "./errors.js";
import { readRange } from "./source.js";
import { encodeDataset, type WritableElement } from "./writer.js";

export interface Part10Header {
  hasPreamble: boolean;
  transferSyntaxUid: string;
  /** The transfer syntax was guessed from the data set: (0002,0010) is missing or the file has no meta. */
  transferSyntaxGuessed: boolean;
  mediaStorageSopClassUid?: string;
  mediaStorageSopInstanceUid?: string;
  implementationClassUid?: string;
  implementationVersionName?: string;
  sourceApplicationEntityTitle?: string;
  /** Where the data set starts: right after group 0002, or 0 for a bare data set. */
  datasetOffset: number;
  /** Bytes of the group 0002 elements (0 when there is none). */
  metaLength: number;
}

const PREAMBLE = 128;
const PREFIX = Buffer.from("DICM", "latin1");

/** Thrown internally when the meta group runs past the bytes read so far. */
class NeedMoreBytes extends Error {}

function hasPrefix(input: Buffer): boolean {
  return input.length >= PREAMBLE + 4 && input.subarray(PREAMBLE, PREAMBLE + 4).equals(PREFIX);
}

function textValue(input: Buffer, at: number, length: number): string {
  return input
    .toString("latin1", at, at + length)
    .replace(/[\0 ]+$/, "")
    .replace(/^ +/, "");
}

/** The meta group's elements are explicit VR little endian; a few writers use implicit VR, so accept both. */
function readMetaGroup(
  input: Buffer,
  start: number,
  complete: boolean,
): { values: Map<number, string>; end: number } {
  const values = new Map<number, string>();
  const short = (pos: number, what: string, needed: number): Error =>
    complete
      ? new DicomParseError(
          `${what} at offset ${pos} needs ${needed} bytes but only ${input.length - pos} remain`,
          pos,
        )
      : new NeedMoreBytes();
  let pos = start;
  while (pos + 8 <= input.length && input.readUInt16LE(pos) === 0x0002) {
    const tag = ((0x0002 << 16) | input.readUInt16LE(pos + 2)) >>> 0;
    const vr = vrFromBytes(input[pos + 4] as number, input[pos + 5] as number);
    const header = vr && hasLongLength(vr) ? 12 : 8;
    if (pos + header > input.length) throw short(pos, `meta element ${formatTag(tag)} header`, header);
    const length = !vr || header === 12 ? input.readUInt32LE(pos + header - 4) : input.readUInt16LE(pos + 6);
    if (length === 0xffffffff) {
      throw new DicomParseError(
        `meta element ${formatTag(tag)} at offset ${pos} has undefined length`,
        pos,
        tag,
      );
    }
    if (pos + header + length > input.length) {
      throw short(pos, `meta element ${formatTag(tag)}`, header + length);
    }
    if (vr !== "OB" && vr !== "UL") values.set(tag, textValue(input, pos + header, length));
    pos += header + length;
  }
  // The first data set element must be readable too, to guess its transfer syntax if need be.
  if (!complete && pos + 12 > input.length) throw new NeedMoreBytes();
  return { values, end: pos };
}

function plausibleGroup(group: number): boolean {
  return group >= 0x0004 && group <= 0x00ff;
}

interface Guess {
  uid: string;
  plausible: boolean;
}

/**
 * Guess the transfer syntax of a data set from its first element, as pydicom and DCMTK do:
 * explicit VR when bytes 4-5 are a VR; big endian when the group reads smaller that way.
 * Plausible when that first element is in a low standard group (0004 to 00FF: group 0002 would
 * have been read as meta) and its value fits in the file.
 */
function guessTransferSyntax(input: Buffer, at: number, totalSize: number): Guess {
  if (at + 8 > input.length) return { uid: TransferSyntaxUid.ImplicitVRLittleEndian, plausible: false };
  const little = input.readUInt16LE(at);
  const big = input.readUInt16BE(at);
  const vr = vrFromBytes(input[at + 4] as number, input[at + 5] as number);
  if (!vr) {
    const length = input.readUInt32LE(at + 4);
    const fits = length === 0xffffffff || at + 8 + length <= totalSize;
    return { uid: TransferSyntaxUid.ImplicitVRLittleEndian, plausible: plausibleGroup(little) && fits };
  }
  const bigEndian = big < little;
  const group = bigEndian ? big : little;
  let length: number;
  let header = 8;
  if (hasLongLength(vr)) {
    length =
      at + 12 <= input.length ? (bigEndian ? input.readUInt32BE(at + 8) : input.readUInt32LE(at + 8)) : 0;
    header = 12;
  } else length = bigEndian ? input.readUInt16BE(at + 6) : input.readUInt16LE(at + 6);
  const fits = length === 0xffffffff || at + header + length <= totalSize;
  const uid = bigEndian ? TransferSyntaxUid.ExplicitVRBigEndian : TransferSyntaxUid.ExplicitVRLittleEndian;
  return { uid, plausible: plausibleGroup(group) && fits };
}

function parseHeader(input: Buffer, totalSize: number, complete: boolean): Part10Header {
  const hasPreamble = hasPrefix(input);
  if (!hasPreamble && !complete && input.length < PREAMBLE + 4) throw new NeedMoreBytes();
  const start = hasPreamble ? PREAMBLE + 4 : 0;
  const meta = readMetaGroup(input, start, complete);
  const declared = meta.values.get(tags.TransferSyntaxUID);
  let guess: Guess | undefined;
  if (!declared) {
    guess = guessTransferSyntax(input, meta.end, totalSize);
    if (!hasPreamble && meta.end === start && !guess.plausible) {
      throw new DicomParseError(
        "not a DICOM file: no 'DICM' prefix at offset 128, and the data does not start with a DICOM element",
        0,
      );
    }
  }
  return {
    hasPreamble,
    transferSyntaxUid: declared ?? (guess as Guess).uid,
    transferSyntaxGuessed: !declared,
    mediaStorageSopClassUid: meta.values.get(tags.MediaStorageSOPClassUID) || undefined,
    mediaStorageSopInstanceUid: meta.values.get(tags.MediaStorageSOPInstanceUID) || undefined,
    implementationClassUid: meta.values.get(tags.ImplementationClassUID) || undefined,
    implementationVersionName: meta.values.get(tags.ImplementationVersionName) || undefined,
    sourceApplicationEntityTitle: meta.values.get(tags.SourceApplicationEntityTitle) || undefined,
    datasetOffset: meta.end,
    metaLength: meta.end - start,
  };
}

/** Read the preamble and File Meta Information of a whole file (or at least its head) in memory. */
export function readPart10Header(input: Buffer): Part10Header {
  return parseHeader(input, input.length, true);
}

/** Read the header of a file on disk, reading only its first kilobytes. */
export function readPart10HeaderFromFile(path: string): Part10Header {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    for (let want = 16 * 1024; ; want *= 4) {
      const length = Math.min(want, size);
      try {
        return parseHeader(readRange(fd, 0, length), size, length === size);
      } catch (error) {
        if (!(error instanceof NeedMoreBytes)) throw error;
      }
    }
  } finally {
    closeSync(fd);
  }
}

export interface FileMetaOptions {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  implementationClassUid: string;
  implementationVersionName?: string;
  sourceApplicationEntityTitle?: string;
}

/** 128-byte preamble, "DICM" and group 0002 with its group length: the head of a Part 10 file. */
export function encodeFileMeta(options: FileMetaOptions): Buffer {
  const elements: WritableElement[] = [
    { tag: tags.FileMetaInformationVersion, vr: "OB", value: Buffer.from([0x00, 0x01]) },
    { tag: tags.MediaStorageSOPClassUID, vr: "UI", value: options.sopClassUid },
    { tag: tags.MediaStorageSOPInstanceUID, vr: "UI", value: options.sopInstanceUid },
    { tag: tags.TransferSyntaxUID, vr: "UI", value: options.transferSyntaxUid },
    { tag: tags.ImplementationClassUID, vr: "UI", value: options.implementationClassUid },
  ];
  if (options.implementationVersionName) {
    elements.push({
      tag: tags.ImplementationVersionName,
      vr: "SH",
      value: options.implementationVersionName,
    });
  }
  if (options.sourceApplicationEntityTitle) {
    elements.push({
      tag: tags.SourceApplicationEntityTitle,
      vr: "AE",
      value: options.sourceApplicationEntityTitle,
    });
  }
  const explicitLittle = { transferSyntaxUid: TransferSyntaxUid.ExplicitVRLittleEndian };
  const body = encodeDataset(elements, explicitLittle);
  const groupLength = encodeDataset(
    [{ tag: tags.FileMetaInformationGroupLength, vr: "UL", value: body.length }],
    explicitLittle,
  );
  return Buffer.concat([Buffer.alloc(PREAMBLE), PREFIX, groupLength, body]);
}
