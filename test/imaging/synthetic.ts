/** Small Part 10 objects built here, byte by byte where it matters (encapsulated Pixel Data, offset tables). */
import { encodeFileMeta } from "../../electron/pacs/dicom/part10.js";
import { type WritableElement, encodeDataset } from "../../electron/pacs/dicom/writer.js";

export const T = {
  SOPClassUID: 0x00080016,
  SOPInstanceUID: 0x00080018,
  SamplesPerPixel: 0x00280002,
  PhotometricInterpretation: 0x00280004,
  PlanarConfiguration: 0x00280006,
  NumberOfFrames: 0x00280008,
  Rows: 0x00280010,
  Columns: 0x00280011,
  BitsAllocated: 0x00280100,
  BitsStored: 0x00280101,
  HighBit: 0x00280102,
  PixelRepresentation: 0x00280103,
  WindowCenter: 0x00281050,
  WindowWidth: 0x00281051,
  RescaleIntercept: 0x00281052,
  RescaleSlope: 0x00281053,
  ExtendedOffsetTable: 0x7fe00001,
  ExtendedOffsetTableLengths: 0x7fe00002,
  PixelData: 0x7fe00010,
} as const;

export interface ImageSpec {
  rows: number;
  columns: number;
  frames?: number;
  samplesPerPixel?: number;
  bitsAllocated: number;
  bitsStored?: number;
  pixelRepresentation?: number;
  planarConfiguration?: number;
  photometric?: string;
  extra?: WritableElement[];
}

function imageElements(spec: ImageSpec): WritableElement[] {
  const spp = spec.samplesPerPixel ?? 1;
  const bitsStored = spec.bitsStored ?? spec.bitsAllocated;
  return [
    { tag: T.SOPClassUID, value: "1.2.840.10008.5.1.4.1.1.7" },
    { tag: T.SOPInstanceUID, value: "1.2.3.4.5" },
    { tag: T.SamplesPerPixel, value: spp },
    { tag: T.PhotometricInterpretation, value: spec.photometric ?? (spp === 3 ? "RGB" : "MONOCHROME2") },
    ...(spp === 3 ? [{ tag: T.PlanarConfiguration, value: spec.planarConfiguration ?? 0 }] : []),
    ...(spec.frames === undefined ? [] : [{ tag: T.NumberOfFrames, value: String(spec.frames) }]),
    { tag: T.Rows, value: spec.rows },
    { tag: T.Columns, value: spec.columns },
    { tag: T.BitsAllocated, value: spec.bitsAllocated },
    { tag: T.BitsStored, value: bitsStored },
    { tag: T.HighBit, value: bitsStored - 1 },
    { tag: T.PixelRepresentation, value: spec.pixelRepresentation ?? 0 },
    ...(spec.extra ?? []),
  ];
}

function meta(transferSyntaxUid: string): Buffer {
  return encodeFileMeta({
    sopClassUid: "1.2.840.10008.5.1.4.1.1.7",
    sopInstanceUid: "1.2.3.4.5",
    transferSyntaxUid,
    implementationClassUid: "1.2.3.4",
  });
}

/** A native object: `pixels` already in the byte order of `transferSyntaxUid`. */
export function nativeObject(
  spec: ImageSpec,
  pixels: Buffer,
  transferSyntaxUid = "1.2.840.10008.1.2.1",
  vr = "OW",
): Buffer {
  const elements = [...imageElements(spec), { tag: T.PixelData, vr, value: pixels }];
  return Buffer.concat([meta(transferSyntaxUid), encodeDataset(elements, { transferSyntaxUid })]);
}

function item(value: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16LE(0xfffe, 0);
  head.writeUInt16LE(0xe000, 2);
  head.writeUInt32LE(value.length, 4);
  return Buffer.concat([head, value]);
}

export interface Encapsulation {
  /** The fragments of each frame. */
  frames: Buffer[][];
  /** Write a Basic Offset Table. */
  offsetTable?: boolean;
  /** Write an Extended Offset Table (and its lengths) instead. */
  extendedOffsetTable?: boolean;
}

/** An encapsulated object: each frame's fragments in items, with the offset table asked for. */
export function encapsulatedObject(
  spec: ImageSpec,
  transferSyntaxUid: string,
  pixels: Encapsulation,
): Buffer {
  const frameOffsets: number[] = [];
  const frameLengths: number[] = [];
  let offset = 0;
  for (const fragments of pixels.frames) {
    frameOffsets.push(offset);
    frameLengths.push(fragments.reduce((sum, f) => sum + f.length, 0));
    offset += fragments.reduce((sum, f) => sum + 8 + f.length, 0);
  }
  const u32 = (values: number[]) => {
    const b = Buffer.alloc(values.length * 4);
    values.forEach((v, i) => b.writeUInt32LE(v, i * 4));
    return b;
  };
  const u64 = (values: number[]) => {
    const b = Buffer.alloc(values.length * 8);
    values.forEach((v, i) => b.writeBigUInt64LE(BigInt(v), i * 8));
    return b;
  };
  const extra: WritableElement[] = pixels.extendedOffsetTable
    ? [
        { tag: T.ExtendedOffsetTable, vr: "OV", value: u64(frameOffsets) },
        { tag: T.ExtendedOffsetTableLengths, vr: "OV", value: u64(frameLengths) },
      ]
    : [];
  const header = encodeDataset([...imageElements(spec), ...extra], {
    transferSyntaxUid: "1.2.840.10008.1.2.1",
  });
  const pixelHead = Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42, 0, 0, 0xff, 0xff, 0xff, 0xff]);
  const delimiter = Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);
  return Buffer.concat([
    meta(transferSyntaxUid),
    header,
    pixelHead,
    item(pixels.offsetTable ? u32(frameOffsets) : Buffer.alloc(0)),
    ...pixels.frames.flatMap((fragments) => fragments.map(item)),
    delimiter,
  ]);
}
