/**
 * From an instance's metadata (DICOM JSON) to what the image core needs per frame: the public `FrameInfo`
 * (geometry, rescale, windows, lossy flag) and the private `PixelDescriptor` (how to read and display the
 * pixels: the Image Pixel module, palette, modality and VOI LUT sequences, presentation LUT shape).
 * Enhanced multi-frame objects keep geometry, rescale and windows in functional groups: per frame first,
 * then shared (PS3.3 C.7.6.16); an RT Dose grid places its frames by GridFrameOffsetVector.
 */
import type { DicomJson, FrameInfo, Vec3, Voi } from "../viewer-contract";
import { type BinaryValue, attribute, binaryOf, itemsOf, numberOf, numbersOf, stringOf } from "./dicom-json";
import * as T from "../../../../shared/dicom/tags";

/** A lookup table's descriptor (PS3.3 C.11.1.1.1) and its data, inline or still to be fetched. */
export interface LutSource {
  /** Number of entries (a descriptor's 0 means 65536). */
  entries: number;
  /** The input value mapped to the first entry. */
  firstMapped: number;
  /** Bits per entry (8 or 16; other values are read as 16). */
  bits: number;
  data: BinaryValue | number[];
}

/** How to read a frame's stored pixels and turn them into a picture. */
export interface PixelDescriptor {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  pixelRepresentation: number;
  planarConfiguration: number;
  photometricInterpretation: string;
  palette?: { red: LutSource; green: LutSource; blue: LutSource };
  modalityLut?: LutSource;
  voiLuts: LutSource[];
  /** Presentation LUT Shape INVERSE (MONOCHROME1 is inverted besides this). */
  presentationInverse: boolean;
  pixelPaddingValue?: number;
}

/** One frame of a series: what it is, how to read it, the instance it belongs to. */
export interface StackFrame {
  info: FrameInfo;
  pixels: PixelDescriptor;
  instance: DicomJson;
}

export class MetadataError extends Error {}

function integer(json: DicomJson | undefined, tag: number): number | undefined {
  const n = numberOf(json, tag);
  return n === undefined ? undefined : Math.trunc(n);
}

/** The functional group item holding `sequence` for a frame (0-based): per-frame first, then shared. */
function group(json: DicomJson, frame: number, sequence: number): DicomJson | undefined {
  const perFrame = itemsOf(json, T.PerFrameFunctionalGroupsSequence)[frame];
  const own = perFrame ? itemsOf(perFrame, sequence)[0] : undefined;
  if (own) return own;
  const shared = itemsOf(json, T.SharedFunctionalGroupsSequence)[0];
  return shared ? itemsOf(shared, sequence)[0] : undefined;
}

function vec3(values: number[] | undefined): Vec3 | undefined {
  if (!values || values.length < 3) return undefined;
  return [values[0]!, values[1]!, values[2]!];
}

function orientation(values: number[] | undefined): FrameInfo["imageOrientationPatient"] {
  if (!values || values.length < 6) return undefined;
  const [a, b, c, d, e, f] = values as [number, number, number, number, number, number];
  const rowLength = Math.hypot(a, b, c);
  const columnLength = Math.hypot(d, e, f);
  if (rowLength < 1e-6 || columnLength < 1e-6) return undefined;
  return [a, b, c, d, e, f];
}

function lut(
  item: DicomJson,
  descriptorTag: number,
  dataTag: number,
  signedFirst: boolean,
): LutSource | undefined {
  const descriptor = numbersOf(item, descriptorTag);
  const data = binaryOf(item, dataTag);
  if (!descriptor || descriptor.length < 3 || !data) return undefined;
  const [count, first, bits] = descriptor as [number, number, number];
  const descriptorVr = attribute(item, descriptorTag)?.vr;
  const firstMapped = (descriptorVr === "SS" || signedFirst) && first > 32767 ? first - 65536 : first;
  return { entries: count === 0 ? 65536 : count, firstMapped, bits: bits === 8 ? 8 : 16, data };
}

function voiFunction(text: string | undefined): Voi["fn"] {
  const name = (text ?? "").trim().toUpperCase();
  return name === "SIGMOID" ? "SIGMOID" : name === "LINEAR_EXACT" ? "LINEAR_EXACT" : "LINEAR";
}

/** The windows stored for a frame (each WindowCenter with its WindowWidth), valid ones only. */
function windowsOf(json: DicomJson, frame: number): FrameInfo["windows"] {
  const source = group(json, frame, T.FrameVOILUTSequence) ?? json;
  const centers = numbersOf(source, T.WindowCenter) ?? [];
  const widths = numbersOf(source, T.WindowWidth) ?? [];
  const fn = voiFunction(stringOf(source, T.VOILUTFunction));
  const out: FrameInfo["windows"] = [];
  for (let i = 0; i < Math.min(centers.length, widths.length); i++) {
    const width = widths[i]!;
    if (width < (fn === "LINEAR" ? 1 : Number.MIN_VALUE)) continue;
    const explanation = stringOf(source, T.WindowCenterWidthExplanation, i);
    out.push({ center: centers[i]!, width, fn, ...(explanation ? { explanation } : {}) });
  }
  return out;
}

const LOSSY_SYNTAXES = new Set([
  "1.2.840.10008.1.2.4.50",
  "1.2.840.10008.1.2.4.51",
  "1.2.840.10008.1.2.4.81",
  "1.2.840.10008.1.2.4.91",
  "1.2.840.10008.1.2.4.112",
  "1.2.840.10008.1.2.4.203",
  "1.2.840.10008.1.2.4.100",
  "1.2.840.10008.1.2.4.101",
  "1.2.840.10008.1.2.4.102",
  "1.2.840.10008.1.2.4.103",
  "1.2.840.10008.1.2.4.104",
  "1.2.840.10008.1.2.4.105",
  "1.2.840.10008.1.2.4.106",
]);

/** Whether frames in this transfer syntax have been through lossy compression. */
export function isLossySyntax(transferSyntaxUid: string): boolean {
  return LOSSY_SYNTAXES.has(transferSyntaxUid);
}

/** The pixel descriptor of an instance (the Image Pixel module and its lookup tables). */
export function pixelDescriptor(json: DicomJson): PixelDescriptor {
  const rows = integer(json, T.Rows);
  const columns = integer(json, T.Columns);
  const bitsAllocated = integer(json, T.BitsAllocated);
  if (rows === undefined || columns === undefined || bitsAllocated === undefined) {
    throw new MetadataError("the instance has no image: Rows, Columns or Bits Allocated is missing");
  }
  const samplesPerPixel = integer(json, T.SamplesPerPixel) ?? 1;
  const bitsStored = integer(json, T.BitsStored) ?? bitsAllocated;
  const pixelRepresentation = integer(json, T.PixelRepresentation) === 1 ? 1 : 0;
  const photometric =
    (stringOf(json, T.PhotometricInterpretation) ?? "").trim().toUpperCase() ||
    (samplesPerPixel === 3 ? "RGB" : "MONOCHROME2");
  const problems: string[] = [];
  if (rows < 1 || columns < 1) problems.push(`${rows}×${columns} pixels`);
  if (![1, 8, 16, 32].includes(bitsAllocated)) problems.push(`Bits Allocated ${bitsAllocated}`);
  if (bitsStored < 1 || bitsStored > bitsAllocated) problems.push(`Bits Stored ${bitsStored}`);
  if (samplesPerPixel !== 1 && samplesPerPixel !== 3) problems.push(`Samples per Pixel ${samplesPerPixel}`);
  if (problems.length > 0) {
    throw new MetadataError(`the Image Pixel module is not one Hilum can display: ${problems.join(", ")}`);
  }
  const highBit = integer(json, T.HighBit) ?? bitsStored - 1;
  const descriptor: PixelDescriptor = {
    rows,
    columns,
    samplesPerPixel,
    bitsAllocated,
    bitsStored,
    highBit: highBit >= bitsStored - 1 && highBit < bitsAllocated ? highBit : bitsStored - 1,
    pixelRepresentation,
    planarConfiguration: samplesPerPixel > 1 && integer(json, T.PlanarConfiguration) === 1 ? 1 : 0,
    photometricInterpretation: photometric,
    voiLuts: [],
    presentationInverse: (stringOf(json, T.PresentationLUTShape) ?? "").trim().toUpperCase() === "INVERSE",
  };
  const padding = numberOf(json, T.PixelPaddingValue);
  if (padding !== undefined) descriptor.pixelPaddingValue = padding;
  if (photometric === "PALETTE COLOR") {
    if (attribute(json, T.SegmentedRedPaletteColorLookupTableData)) {
      throw new MetadataError("segmented palette colour lookup tables are not supported");
    }
    const signed = pixelRepresentation === 1;
    const red = lut(json, T.RedPaletteColorLookupTableDescriptor, T.RedPaletteColorLookupTableData, signed);
    const green = lut(
      json,
      T.GreenPaletteColorLookupTableDescriptor,
      T.GreenPaletteColorLookupTableData,
      signed,
    );
    const blue = lut(
      json,
      T.BluePaletteColorLookupTableDescriptor,
      T.BluePaletteColorLookupTableData,
      signed,
    );
    if (!red || !green || !blue)
      throw new MetadataError("PALETTE COLOR image without complete palette tables");
    descriptor.palette = { red, green, blue };
  }
  if (samplesPerPixel === 1 && photometric !== "PALETTE COLOR") {
    const modality = itemsOf(json, T.ModalityLUTSequence)[0];
    const modalityLut = modality && lut(modality, T.LUTDescriptor, T.LUTData, pixelRepresentation === 1);
    if (modalityLut) descriptor.modalityLut = modalityLut;
    for (const item of itemsOf(json, T.VOILUTSequence)) {
      const voi = lut(item, T.LUTDescriptor, T.LUTData, pixelRepresentation === 1 || !!modalityLut);
      if (voi) descriptor.voiLuts.push(voi);
    }
  }
  return descriptor;
}

function unitsOf(
  json: DicomJson,
  modality: string | undefined,
  modalityLut: DicomJson | undefined,
): string | undefined {
  const type = (
    modalityLut ? stringOf(modalityLut, T.ModalityLUTType) : stringOf(json, T.RescaleType)
  )?.trim();
  if (type && type !== "US") return type;
  if (modality === "CT" && !type) return "HU";
  return undefined;
}

/** Every frame of an instance, as a stack sees it. */
export function framesOfInstance(json: DicomJson): StackFrame[] {
  const pixels = pixelDescriptor(json);
  const studyInstanceUid = stringOf(json, T.StudyInstanceUID) ?? "";
  const seriesInstanceUid = stringOf(json, T.SeriesInstanceUID) ?? "";
  const sopInstanceUid = stringOf(json, T.SOPInstanceUID);
  if (!sopInstanceUid) throw new MetadataError("the instance has no SOP Instance UID");
  const numberOfFrames = Math.max(1, integer(json, T.NumberOfFrames) ?? 1);
  const modality = stringOf(json, T.Modality)?.trim() || undefined;
  const lossyFlag = (stringOf(json, T.LossyImageCompression) ?? "").trim() === "01";
  const lossyMethod = stringOf(json, T.LossyImageCompressionMethod)?.trim();
  const modalityLutItem = itemsOf(json, T.ModalityLUTSequence)[0];
  const units = unitsOf(json, modality, pixels.modalityLut ? modalityLutItem : undefined);
  const gridOffsets = numbersOf(json, T.GridFrameOffsetVector);
  const topPosition = vec3(numbersOf(json, T.ImagePositionPatient));
  const topOrientation = orientation(numbersOf(json, T.ImageOrientationPatient));
  const monochrome =
    pixels.samplesPerPixel === 1 && pixels.photometricInterpretation.startsWith("MONOCHROME");
  const frames: StackFrame[] = [];
  for (let f = 0; f < numberOfFrames; f++) {
    const measures = group(json, f, T.PixelMeasuresSequence);
    const rescaleSource = group(json, f, T.PixelValueTransformationSequence) ?? json;
    const iop =
      orientation(numbersOf(group(json, f, T.PlaneOrientationSequence), T.ImageOrientationPatient)) ??
      topOrientation;
    let ipp = vec3(numbersOf(group(json, f, T.PlanePositionSequence), T.ImagePositionPatient));
    if (!ipp && topPosition) {
      const offset = numberOfFrames > 1 ? gridOffsets?.[f] : undefined;
      if (numberOfFrames === 1 || gridOffsets?.length === numberOfFrames) {
        ipp = topPosition;
        if (offset !== undefined && iop) {
          const n = normal(iop);
          ipp = [ipp[0] + n[0] * offset, ipp[1] + n[1] * offset, ipp[2] + n[2] * offset];
        }
      }
    }
    const pixelSpacing = numbersOf(measures, T.PixelSpacing) ?? numbersOf(json, T.PixelSpacing);
    const imagerSpacing = numbersOf(json, T.ImagerPixelSpacing);
    const spacing =
      pixelSpacing && pixelSpacing.length >= 2 && pixelSpacing[0]! > 0 && pixelSpacing[1]! > 0
        ? { row: pixelSpacing[0]!, column: pixelSpacing[1]!, source: "PixelSpacing" as const }
        : imagerSpacing && imagerSpacing.length >= 2 && imagerSpacing[0]! > 0 && imagerSpacing[1]! > 0
          ? { row: imagerSpacing[0]!, column: imagerSpacing[1]!, source: "ImagerPixelSpacing" as const }
          : undefined;
    const slope = numberOf(rescaleSource, T.RescaleSlope);
    const intercept = numberOf(rescaleSource, T.RescaleIntercept);
    const info: FrameInfo = {
      studyInstanceUid,
      seriesInstanceUid,
      sopInstanceUid,
      frameNumber: f + 1,
      numberOfFrames,
      rows: pixels.rows,
      columns: pixels.columns,
      rescale: {
        slope: slope !== undefined && slope !== 0 ? slope : 1,
        intercept: intercept ?? 0,
      },
      modalityLut: !!pixels.modalityLut,
      windows: monochrome ? windowsOf(json, f) : [],
      voiLut: pixels.voiLuts.length > 0,
      lossyCompressed: lossyFlag,
      photometricInterpretation: pixels.photometricInterpretation,
      samplesPerPixel: pixels.samplesPerPixel,
      bitsAllocated: pixels.bitsAllocated,
      bitsStored: pixels.bitsStored,
      pixelRepresentation: pixels.pixelRepresentation,
    };
    if (lossyFlag && lossyMethod) info.lossyMethod = lossyMethod;
    if (spacing) info.spacing = spacing;
    if (ipp) info.imagePositionPatient = ipp;
    if (iop) info.imageOrientationPatient = iop;
    const frameOfReference = stringOf(json, T.FrameOfReferenceUID);
    if (frameOfReference) info.frameOfReferenceUid = frameOfReference;
    const thickness = numberOf(measures, T.SliceThickness) ?? numberOf(json, T.SliceThickness);
    if (thickness !== undefined) info.sliceThickness = thickness;
    const location = numberOf(json, T.SliceLocation);
    if (location !== undefined && numberOfFrames === 1) info.sliceLocation = location;
    const instanceNumber = integer(json, T.InstanceNumber);
    if (instanceNumber !== undefined) info.instanceNumber = instanceNumber;
    const seriesNumber = integer(json, T.SeriesNumber);
    if (seriesNumber !== undefined) info.seriesNumber = seriesNumber;
    if (modality) info.modality = modality;
    if (units) info.units = units;
    frames.push({ info, pixels, instance: json });
  }
  return frames;
}

/** The unit normal of an orientation (row × column). */
export function normal(iop: readonly number[]): Vec3 {
  const r: Vec3 = [iop[0] ?? 0, iop[1] ?? 0, iop[2] ?? 0];
  const c: Vec3 = [iop[3] ?? 0, iop[4] ?? 0, iop[5] ?? 0];
  const n: Vec3 = [r[1] * c[2] - r[2] * c[1], r[2] * c[0] - r[0] * c[2], r[0] * c[1] - r[1] * c[0]];
  const length = Math.hypot(n[0], n[1], n[2]) || 1;
  return [n[0] / length, n[1] / length, n[2] / length];
}
