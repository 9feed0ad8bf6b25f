/** Transfer syntaxes (PS3.5 §10, Annex A) and how each one encodes a data set. */
import { uidName } from "./uids.js";

export const TransferSyntaxUid = {
  ImplicitVRLittleEndian: "1.2.840.10008.1.2",
  ExplicitVRLittleEndian: "1.2.840.10008.1.2.1",
  EncapsulatedUncompressedExplicitVRLittleEndian: "1.2.840.10008.1.2.1.98",
  DeflatedExplicitVRLittleEndian: "1.2.840.10008.1.2.1.99",
  ExplicitVRBigEndian: "1.2.840.10008.1.2.2",
  JPEGBaseline8Bit: "1.2.840.10008.1.2.4.50",
  JPEGExtended12Bit: "1.2.840.10008.1.2.4.51",
  JPEGLossless: "1.2.840.10008.1.2.4.57",
  JPEGLosslessSV1: "1.2.840.10008.1.2.4.70",
  JPEGLSLossless: "1.2.840.10008.1.2.4.80",
  JPEGLSNearLossless: "1.2.840.10008.1.2.4.81",
  JPEG2000Lossless: "1.2.840.10008.1.2.4.90",
  JPEG2000: "1.2.840.10008.1.2.4.91",
  JPIPReferenced: "1.2.840.10008.1.2.4.94",
  JPIPReferencedDeflate: "1.2.840.10008.1.2.4.95",
  JPEGXLLossless: "1.2.840.10008.1.2.4.110",
  JPEGXLJPEGRecompression: "1.2.840.10008.1.2.4.111",
  JPEGXL: "1.2.840.10008.1.2.4.112",
  HTJ2KLossless: "1.2.840.10008.1.2.4.201",
  HTJ2KLosslessRPCL: "1.2.840.10008.1.2.4.202",
  HTJ2K: "1.2.840.10008.1.2.4.203",
  RLELossless: "1.2.840.10008.1.2.5",
} as const;

export interface TransferSyntaxInfo {
  readonly uid: string;
  readonly name: string;
  readonly explicitVr: boolean;
  readonly littleEndian: boolean;
  /** The whole data set after the File Meta Information is raw-deflated (RFC 1951). */
  readonly deflated: boolean;
  /** Pixel Data is a sequence of fragments (PS3.5 §A.4). */
  readonly encapsulated: boolean;
  /** The compression may lose information. */
  readonly lossy: boolean;
  readonly retired: boolean;
}

/** How a data set is laid out: all an encoder or parser needs from a transfer syntax. */
export interface DatasetEncoding {
  readonly explicitVr: boolean;
  readonly littleEndian: boolean;
  readonly deflated: boolean;
}

type Row = [
  uid: string,
  kind: "implicit" | "explicit" | "bigEndian" | "deflated" | "encapsulated",
  lossy?: boolean,
];

const LOSSY = true;

// JPIP and SMPTE ST 2110 objects reference their pixels elsewhere: not encapsulated, not deflated
// unless the UID says "Deflate".
const ROWS: Row[] = [
  ["1.2.840.10008.1.2", "implicit"],
  ["1.2.840.10008.1.20", "implicit"],
  ["1.2.840.10008.1.2.1", "explicit"],
  ["1.2.840.10008.1.2.1.98", "encapsulated"],
  ["1.2.840.10008.1.2.1.99", "deflated"],
  ["1.2.840.10008.1.2.2", "bigEndian"],
  ["1.2.840.10008.1.2.4.50", "encapsulated", LOSSY],
  ["1.2.840.10008.1.2.4.51", "encapsulated", LOSSY],
  ["1.2.840.10008.1.2.4.52", "encapsulated", LOSSY],
  ["1.2.840.10008.1.2.4.53", "encapsulated", LOSSY],
  ["1.2.840.10008.1.2.4.54", "encapsulated", LOSSY],
  ["1.2.840.10008.1.2.4.55", "encapsulated", LOSSY],
  ["1.2.840.10008.1.2.4.56", "encapsulated", LOSSY],
  ["1.2.840.10008.1.2.4.57", "encapsulated"],
  ["1.2.840.10008.1.2.4.58", "encapsulated"],
  ["1.2.840.10008.1.2.4.59", "encapsulated", LOSSY],
  ["1.2.840.10008.1.2.4.60", "encapsulated", LOSSY],
  ["1.2.840.10008.1.2.4.61", "encapsulated", LOSSY],
  ["1.2.840.10008.1.2.4.62", "encapsulated", LOSSY],
  ["1.2.840.10008.1.2.4.63", "encapsulated", LOSSY],
  ["1.2.840.10008.1.2.4.64", "encapsulated", LOSSY],
  ["1.2.840.10008.1.2.4.65", "encapsulated"],
  ["1.2.840.10008.1.2.4.66", "encapsulated"],
  ["1.2.840.10008.1.2.4.70", "encapsulated"],
  ["1.2.840.10008.1.2.4.80", "encapsulated"],
  ["1.2.840.10008.1.2.4.81", "encapsulated", LOSSY],
  ["1.2.840.10008.1.2.4.90", "encapsulated"],
  ["1.2.840.10008.1.2.4.91", "encapsulated", LOSSY],
  ["1.2.840.10008.1.2.4.92", "encapsulated"],
  ["1.2.840.10008.1.2.4.93", "encapsulated", LOSSY],
  ["1.2.840.10008.1.2.4.94", "explicit"],
  ["1.2.840.10008.1.2.4.95", "deflated"],
  ["1.2.840.10008.1.2.4.100", "encapsulated", LOSSY],
  ["1.2.840.10008.1.2.4.100.1", "encapsulated", LOSSY],
  ["1.2.840.10008.1.2.4.101", "encapsulated", LOSSY],
  ["1.2.840.10008.1.2.4.101.1", "encapsulated", LOSSY],
  ["1.2.840.10008.1.2.4.102", "encapsulated", LOSSY],
  ["1.2.840.10008.1.2.4.102.1", "encapsulated", LOSSY],
  ["1.2.840.10008.1.2.4.103", "encapsulated", LOSSY],
  ["1.2.840.10008.1.2.4.103.1", "encapsulated", LOSSY],
  ["1.2.840.10008.1.2.4.104", "encapsulated", LOSSY],
  ["1.2.840.10008.1.2.4.104.1", "encapsulated", LOSSY],
  ["1.2.840.10008.1.2.4.105", "encapsulated", LOSSY],
  ["1.2.840.10008.1.2.4.105.1", "encapsulated", LOSSY],
  ["1.2.840.10008.1.2.4.106", "encapsulated", LOSSY],
  ["1.2.840.10008.1.2.4.106.1", "encapsulated", LOSSY],
  ["1.2.840.10008.1.2.4.107", "encapsulated", LOSSY],
  ["1.2.840.10008.1.2.4.108", "encapsulated", LOSSY],
  ["1.2.840.10008.1.2.4.110", "encapsulated"],
  ["1.2.840.10008.1.2.4.111", "encapsulated", LOSSY],
  ["1.2.840.10008.1.2.4.112", "encapsulated", LOSSY],
  ["1.2.840.10008.1.2.4.201", "encapsulated"],
  ["1.2.840.10008.1.2.4.202", "encapsulated"],
  ["1.2.840.10008.1.2.4.203", "encapsulated", LOSSY],
  ["1.2.840.10008.1.2.4.204", "explicit"],
  ["1.2.840.10008.1.2.4.205", "deflated"],
  ["1.2.840.10008.1.2.5", "encapsulated"],
  ["1.2.840.10008.1.2.7.1", "explicit"],
  ["1.2.840.10008.1.2.7.2", "explicit"],
  ["1.2.840.10008.1.2.7.3", "explicit"],
  ["1.2.840.10008.1.2.8.1", "encapsulated"],
];

const RETIRED = new Set([
  "1.2.840.10008.1.20",
  "1.2.840.10008.1.2.2",
  ...["52", "53", "54", "55", "56", "58", "59", "60", "61", "62", "63", "64", "65", "66"].map(
    (n) => `1.2.840.10008.1.2.4.${n}`,
  ),
]);

function toInfo([uid, kind, lossy = false]: Row): TransferSyntaxInfo {
  return Object.freeze({
    uid,
    name: uidName(uid) ?? uid,
    explicitVr: kind !== "implicit",
    littleEndian: kind !== "bigEndian",
    deflated: kind === "deflated",
    encapsulated: kind === "encapsulated",
    lossy,
    retired: RETIRED.has(uid),
  });
}

const TABLE: ReadonlyMap<string, TransferSyntaxInfo> = new Map(ROWS.map((row) => [row[0], toInfo(row)]));

/** Every transfer syntax this module knows, in PS3.6 order. */
export const TRANSFER_SYNTAXES: readonly TransferSyntaxInfo[] = [...TABLE.values()];

/** The transfer syntax with this UID, or undefined when it is not one PS3.6 defines. */
export function lookupTransferSyntax(uid: string): TransferSyntaxInfo | undefined {
  return TABLE.get(uid);
}

const EXPLICIT_LITTLE: DatasetEncoding = Object.freeze({
  explicitVr: true,
  littleEndian: true,
  deflated: false,
});

/**
 * The data set encoding of a transfer syntax. PS3.5 §10 requires every transfer syntax other than
 * the implicit and big-endian ones to encode the data set as explicit VR little endian, so an
 * unknown UID gets that too (as DCMTK and pydicom assume).
 */
export function datasetEncoding(uid: string): DatasetEncoding {
  return TABLE.get(uid) ?? EXPLICIT_LITTLE;
}
