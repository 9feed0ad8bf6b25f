/**
 * The Image Pixel module and the attributes that say how stored values become displayed ones (PS3.3
 * C.7.6.3, C.11.1 modality LUT, C.11.2 VOI LUT, C.7.9 palette), read from a parsed header. Enhanced
 * multi-frame objects keep rescale and window in functional groups: per frame first, then shared.
 */
import type { DataSet } from "../dicom/dataset.js";
import type { FrameGeometry } from "../codecs/frames.js";
import { ImagingError } from "./errors.js";

export const Tag = {
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
  VOILUTFunction: 0x00281056,
  RedPaletteLUTDescriptor: 0x00281101,
  GreenPaletteLUTDescriptor: 0x00281102,
  BluePaletteLUTDescriptor: 0x00281103,
  RedPaletteLUTData: 0x00281201,
  GreenPaletteLUTData: 0x00281202,
  BluePaletteLUTData: 0x00281203,
  SegmentedRedPaletteLUTData: 0x00281221,
  PixelValueTransformationSequence: 0x00289145,
  FrameVOILUTSequence: 0x00289132,
  SharedFunctionalGroupsSequence: 0x52009229,
  PerFrameFunctionalGroupsSequence: 0x52009230,
  ExtendedOffsetTable: 0x7fe00001,
  ExtendedOffsetTableLengths: 0x7fe00002,
  FloatPixelData: 0x7fe00008,
  DoubleFloatPixelData: 0x7fe00009,
  PixelData: 0x7fe00010,
} as const;

export interface PixelDescription extends FrameGeometry {
  highBit: number;
  numberOfFrames: number;
}

export type VoiFunction = "linear" | "linear-exact" | "sigmoid";

export interface Window {
  center: number;
  width: number;
  function: VoiFunction;
}

export interface Palette {
  /** Entries as 8-bit values, one table per colour. */
  red: Uint8Array;
  green: Uint8Array;
  blue: Uint8Array;
  /** The stored value mapped to the first entry. */
  firstMapped: number;
}

function integer(ds: DataSet, tag: number): number | undefined {
  const value = ds.number(tag);
  return value === undefined || !Number.isFinite(value) ? undefined : Math.trunc(value);
}

/** The Image Pixel module, checked enough that every later computation stays in bounds. */
export function describePixels(ds: DataSet): PixelDescription {
  const rows = integer(ds, Tag.Rows);
  const columns = integer(ds, Tag.Columns);
  const bitsAllocated = integer(ds, Tag.BitsAllocated);
  if (rows === undefined || columns === undefined || bitsAllocated === undefined) {
    throw new ImagingError(
      "not-an-image",
      "the instance has no image: Rows, Columns or Bits Allocated is missing",
    );
  }
  const samplesPerPixel = integer(ds, Tag.SamplesPerPixel) ?? 1;
  const bitsStored = integer(ds, Tag.BitsStored) ?? bitsAllocated;
  const photometric = (ds.string(Tag.PhotometricInterpretation) ?? "").trim().toUpperCase();
  const frames = integer(ds, Tag.NumberOfFrames) ?? 1;
  const problems: string[] = [];
  if (rows < 1 || columns < 1 || rows > 65535 || columns > 65535) problems.push(`${rows}×${columns} pixels`);
  if (![1, 8, 16, 32].includes(bitsAllocated)) problems.push(`Bits Allocated ${bitsAllocated}`);
  if (bitsStored < 1 || bitsStored > bitsAllocated) problems.push(`Bits Stored ${bitsStored}`);
  if (samplesPerPixel !== 1 && samplesPerPixel !== 3) problems.push(`Samples per Pixel ${samplesPerPixel}`);
  if (frames < 1) problems.push(`Number of Frames ${frames}`);
  if (problems.length > 0) {
    throw new ImagingError(
      "unsupported",
      `the Image Pixel module is not one Hilum can read: ${problems.join(", ")}`,
    );
  }
  return {
    rows,
    columns,
    samplesPerPixel,
    bitsAllocated,
    bitsStored,
    highBit: integer(ds, Tag.HighBit) ?? bitsStored - 1,
    pixelRepresentation: integer(ds, Tag.PixelRepresentation) === 1 ? 1 : 0,
    planarConfiguration: samplesPerPixel > 1 && integer(ds, Tag.PlanarConfiguration) === 1 ? 1 : 0,
    photometricInterpretation: photometric || (samplesPerPixel === 3 ? "RGB" : "MONOCHROME2"),
    numberOfFrames: frames,
  };
}

/** The functional group item of a frame (0-based) that holds `sequence`: per-frame first, then shared. */
function functionalGroup(ds: DataSet, frame: number, sequence: number): DataSet | undefined {
  const perFrame = ds.items(Tag.PerFrameFunctionalGroupsSequence)[frame]?.items(sequence)[0];
  return perFrame ?? ds.items(Tag.SharedFunctionalGroupsSequence)[0]?.items(sequence)[0];
}

/** Rescale slope and intercept (modality LUT) for a frame; identity when absent or malformed. */
export function rescaleOf(ds: DataSet, frame = 0): { slope: number; intercept: number } {
  const source = functionalGroup(ds, frame, Tag.PixelValueTransformationSequence) ?? ds;
  const slope = source.number(Tag.RescaleSlope);
  const intercept = source.number(Tag.RescaleIntercept);
  return {
    slope: slope !== undefined && Number.isFinite(slope) && slope !== 0 ? slope : 1,
    intercept: intercept !== undefined && Number.isFinite(intercept) ? intercept : 0,
  };
}

function voiFunction(text: string | undefined): VoiFunction {
  const name = (text ?? "").trim().toUpperCase();
  if (name === "SIGMOID") return "sigmoid";
  if (name === "LINEAR_EXACT") return "linear-exact";
  return "linear";
}

/** The first window the instance stores for a frame, or undefined. */
export function storedWindow(ds: DataSet, frame = 0): Window | undefined {
  const source = functionalGroup(ds, frame, Tag.FrameVOILUTSequence) ?? ds;
  const center = source.number(Tag.WindowCenter);
  const width = source.number(Tag.WindowWidth);
  if (center === undefined || width === undefined || !Number.isFinite(center) || !Number.isFinite(width)) {
    return undefined;
  }
  const fn = voiFunction(source.string(Tag.VOILUTFunction));
  if (width < (fn === "linear" ? 1 : Number.MIN_VALUE)) return undefined;
  return { center, width, function: fn };
}

/** Red, green and blue palette tables as 8-bit entries (PS3.3 C.7.6.3.1.5); undefined when incomplete. */
export function paletteOf(ds: DataSet): Palette | undefined {
  if (ds.has(Tag.SegmentedRedPaletteLUTData)) {
    throw new ImagingError("unsupported", "segmented palette colour lookup tables are not supported");
  }
  const channel = (descriptorTag: number, dataTag: number) => {
    const descriptor = ds.get(descriptorTag);
    const data = ds.bytes(dataTag);
    if (!descriptor?.value || descriptor.value.length < 6 || !data) return undefined;
    // The descriptor is US or SS by Pixel Representation; its values are read as unsigned here.
    const read = (i: number) =>
      ds.littleEndian ? descriptor.value!.readUInt16LE(i * 2) : descriptor.value!.readUInt16BE(i * 2);
    const entries = read(0) === 0 ? 65536 : read(0);
    const firstMapped = ds.number(descriptorTag) !== undefined ? read(1) : 0;
    const bits = read(2);
    const table = new Uint8Array(entries);
    if (data.length >= entries * 2) {
      for (let i = 0; i < entries; i++) {
        const word = ds.littleEndian ? data.readUInt16LE(i * 2) : data.readUInt16BE(i * 2);
        table[i] = bits === 8 ? word & 0xff : word >>> 8;
      }
    } else if (data.length >= entries && bits === 8) {
      table.set(data.subarray(0, entries));
    } else return undefined;
    return { table, firstMapped };
  };
  const red = channel(Tag.RedPaletteLUTDescriptor, Tag.RedPaletteLUTData);
  const green = channel(Tag.GreenPaletteLUTDescriptor, Tag.GreenPaletteLUTData);
  const blue = channel(Tag.BluePaletteLUTDescriptor, Tag.BluePaletteLUTData);
  if (!red || !green || !blue) return undefined;
  return { red: red.table, green: green.table, blue: blue.table, firstMapped: red.firstMapped };
}
