/**
 * Where each frame of a stored instance lies, and its bytes: native Pixel Data sliced frame by frame (bit
 * packed 1-bit frames unpacked to a byte boundary, big endian swapped), encapsulated Pixel Data mapped to
 * fragments through the Extended Offset Table, the Basic Offset Table, one fragment per frame, or the
 * codestream start markers (PS3.5 A.4). Only the header and the fragment item headers are read to build the
 * layout; a frame's bytes are read when asked for.
 */
import { lookupTransferSyntax, TransferSyntaxUid } from "../../../shared/dicom/transfer-syntax.js";
import { type FrameGeometry, canDecodeFrames, nativeFrameLength } from "../codecs/frames.js";
import { decodeFrameOffThread } from "../codecs/transcode-pool.js";
import { type DataSet, DicomParseError, parseDataset, UNDEFINED_LENGTH } from "../dicom/dataset.js";
import { readPart10Header } from "../dicom/part10.js";
import type { ByteReader } from "./byte-reader.js";
import { ImagingError } from "./errors.js";
import { describePixels, type PixelDescription, Tag } from "./pixel-module.js";

export interface ByteRange {
  offset: number;
  length: number;
}

export interface StoredImage {
  transferSyntaxUid: string;
  /** The data set up to Pixel Data (bulk values above a few hundred KiB are located, not read). */
  header: DataSet;
  pixels: PixelDescription;
  encapsulated: boolean;
  /** Native: the Pixel Data value in the object (or in `inflated` for a deflated object). */
  native?: ByteRange & { bigEndian: boolean; vr: string };
  /** Encapsulated: the fragments of each frame. */
  frames?: ByteRange[][];
  /** A deflated object's data set, inflated: native offsets refer to it. */
  inflated?: Buffer;
  /** Bytes the layout keeps alive (the header's window, or the inflated data set): for caches to weigh. */
  retainedBytes: number;
}

/** A frame in little-endian native form, and how to read it now that it is decoded. */
export interface NativeFrame {
  pixels: Buffer;
  geometry: FrameGeometry;
}

const HEAD = 64 * 1024;
/** Values longer than this in the header are located, not read (palettes of 64 Ki entries still fit). */
const SKIP_VALUES_ABOVE = 512 * 1024;
/** Encapsulated Pixel Data up to this size is read in one piece to walk its fragments. */
const WALK_IN_MEMORY = 4 * 1024 * 1024;

function corrupt(message: string): ImagingError {
  return new ImagingError("corrupt", `the stored object is damaged: ${message}`);
}

/** Reads the File Meta Information and the header, then lays out the frames. */
export async function loadStoredImage(reader: ByteReader): Promise<StoredImage> {
  let headLength = Math.min(HEAD, reader.size);
  for (;;) {
    const head = await reader.read(0, headLength);
    const complete = headLength === reader.size;
    try {
      const laid = await layout(reader, head, complete);
      return { ...laid, retainedBytes: laid.retainedBytes ?? headLength };
    } catch (error) {
      if (!(error instanceof DicomParseError)) throw error;
      if (complete) throw corrupt(error.message);
      headLength = Math.min(headLength * 4, reader.size);
    }
  }
}

type Layout = Omit<StoredImage, "retainedBytes"> & { retainedBytes?: number };

async function layout(reader: ByteReader, head: Buffer, complete: boolean): Promise<Layout> {
  const meta = readPart10Header(head);
  const syntax = lookupTransferSyntax(meta.transferSyntaxUid);
  if (!syntax) throw new ImagingError("unsupported", `unknown transfer syntax ${meta.transferSyntaxUid}`);
  if (syntax.deflated) {
    const whole = complete ? head : await reader.read(0, reader.size);
    return deflatedLayout(whole.subarray(meta.datasetOffset), meta.transferSyntaxUid);
  }
  const options = {
    transferSyntaxUid: meta.transferSyntaxUid,
    stopAtPixelData: true,
    skipValuesLongerThan: SKIP_VALUES_ABOVE,
  };
  let header = parseDataset(head.subarray(meta.datasetOffset), options);
  const element = header.get(Tag.PixelData);
  if (!element) {
    if (!complete) throw new DicomParseError("Pixel Data not in the head", head.length);
    throw new ImagingError("not-an-image", "the instance has no Pixel Data");
  }
  const valueOffset = meta.datasetOffset + element.offset;
  // The header's values point into the head it was parsed from (64 KiB or more): parsed again from a copy
  // of just the bytes before the Pixel Data value, a cached layout keeps a few KiB alive instead.
  const headerBytes = valueOffset - meta.datasetOffset;
  if (headerBytes < head.length / 2) {
    header = parseDataset(Buffer.from(head.subarray(meta.datasetOffset, valueOffset)), options);
  }
  const retainedBytes = Math.min(headerBytes * 2, head.length);
  const pixels = describePixels(header);
  if (element.length !== UNDEFINED_LENGTH) {
    if (syntax.encapsulated) throw corrupt(`Pixel Data of ${meta.transferSyntaxUid} is not encapsulated`);
    if (valueOffset + element.length > reader.size)
      throw corrupt("Pixel Data runs past the end of the object");
    return {
      transferSyntaxUid: meta.transferSyntaxUid,
      header,
      pixels,
      encapsulated: false,
      retainedBytes,
      native: {
        offset: valueOffset,
        length: element.length,
        bigEndian: !syntax.littleEndian,
        vr: element.vr,
      },
    };
  }
  if (!syntax.encapsulated) throw corrupt(`Pixel Data of ${meta.transferSyntaxUid} has undefined length`);
  const fragments = await walkFragments(reader, valueOffset);
  const frames = framesOf(header, pixels, fragments, meta.transferSyntaxUid);
  return {
    transferSyntaxUid: meta.transferSyntaxUid,
    header,
    pixels,
    encapsulated: true,
    frames,
    // A range is an object of two numbers (about 40 bytes), each frame's list about as much again.
    retainedBytes: retainedBytes + 40 * (frames.length + fragments.items.length),
  };
}

function deflatedLayout(dataset: Buffer, transferSyntaxUid: string): Layout {
  // parseDataset inflates; the native value then refers to the inflated bytes, which the layout keeps.
  const header = parseDataset(dataset, { transferSyntaxUid });
  const element = header.get(Tag.PixelData);
  if (!element?.value) throw new ImagingError("not-an-image", "the instance has no Pixel Data");
  const pixels = describePixels(header);
  const value = element.value;
  return {
    transferSyntaxUid,
    header,
    pixels,
    encapsulated: false,
    native: { offset: 0, length: value.length, bigEndian: false, vr: element.vr },
    inflated: value,
  };
}

interface Fragments {
  /** The Basic Offset Table's value (may be empty). */
  offsetTable: Buffer;
  /**
   * Each fragment: its value's range in the object, its item's offset from the first fragment item, and its
   * first four bytes (big endian; 0 when shorter), which tell whether a codestream starts there.
   */
  items: Array<ByteRange & { itemOffset: number; lead: number }>;
}

const ITEM = 0xfffee000;
const SEQUENCE_DELIMITER = 0xfffee0dd;

/** Walks the items of encapsulated Pixel Data (always little endian, PS3.5 A.4), reading only their headers. */
async function walkFragments(reader: ByteReader, start: number): Promise<Fragments> {
  const inMemory = reader.size - start <= WALK_IN_MEMORY;
  const region = inMemory ? await reader.read(start, reader.size - start) : undefined;
  const header = async (pos: number): Promise<Buffer> => {
    if (pos + 8 > reader.size)
      throw corrupt(`encapsulated Pixel Data has no sequence delimiter (offset ${pos})`);
    const length = Math.min(12, reader.size - pos);
    return region ? region.subarray(pos - start, pos - start + length) : reader.read(pos, length);
  };
  const items: Fragments["items"] = [];
  let offsetTable: Buffer | undefined;
  let firstItem = 0;
  let pos = start;
  for (;;) {
    const h = await header(pos);
    const tag = ((h.readUInt16LE(0) << 16) | h.readUInt16LE(2)) >>> 0;
    if (tag === SEQUENCE_DELIMITER) break;
    if (tag !== ITEM) throw corrupt(`expected a fragment item at offset ${pos}`);
    const length = h.readUInt32LE(4);
    if (length === UNDEFINED_LENGTH || pos + 8 + length > reader.size) {
      throw corrupt(`fragment at offset ${pos} claims ${length} bytes`);
    }
    if (offsetTable === undefined) {
      offsetTable = region
        ? region.subarray(pos + 8 - start, pos + 8 + length - start)
        : await reader.read(pos + 8, length);
      firstItem = pos + 8 + length;
    } else {
      const lead = length >= 4 && h.length >= 12 ? h.readUInt32BE(8) : 0;
      items.push({ offset: pos + 8, length, itemOffset: pos - firstItem, lead });
    }
    pos += 8 + length;
  }
  return { offsetTable: offsetTable ?? Buffer.alloc(0), items };
}

function readUint64s(value: Buffer | undefined, little: boolean): number[] {
  if (!value) return [];
  const out: number[] = [];
  for (let i = 0; i + 8 <= value.length; i += 8) {
    out.push(Number(little ? value.readBigUInt64LE(i) : value.readBigUInt64BE(i)));
  }
  return out;
}

/** Which fragments make each frame. */
function framesOf(
  header: DataSet,
  pixels: PixelDescription,
  fragments: Fragments,
  syntax: string,
): ByteRange[][] {
  const { items } = fragments;
  const count = pixels.numberOfFrames;
  if (items.length === 0) throw corrupt("encapsulated Pixel Data has no fragments");
  const strip = (list: Fragments["items"]) => list.map(({ offset, length }) => ({ offset, length }));
  if (count === 1) return [strip(items)];
  const byItemOffset = (offsets: number[], what: string): ByteRange[][] => {
    const starts = offsets.map((offset) => {
      const index = items.findIndex((item) => item.itemOffset === offset);
      if (index < 0) throw corrupt(`the ${what} points at offset ${offset}, where no fragment starts`);
      return index;
    });
    return starts.map((first, i) => strip(items.slice(first, starts[i + 1] ?? items.length)));
  };
  const extended = readUint64s(header.bytes(Tag.ExtendedOffsetTable), header.littleEndian);
  if (extended.length === count) return byItemOffset(extended, "Extended Offset Table");
  const table = fragments.offsetTable;
  if (table.length >= count * 4) {
    const offsets = Array.from({ length: count }, (_, i) => table.readUInt32LE(i * 4));
    return byItemOffset(offsets, "Basic Offset Table");
  }
  if (items.length === count) return items.map((item) => strip([item]));
  if (syntax === TransferSyntaxUid.RLELossless) {
    throw corrupt(`RLE needs one fragment per frame; ${items.length} fragments for ${count} frames`);
  }
  return byStartMarker(items, count);
}

/** Without an offset table, a frame starts at each fragment that opens a codestream (JPEG SOI, J2K SOC). */
function byStartMarker(items: Fragments["items"], count: number): ByteRange[][] {
  const starts = items.flatMap((item, index) => (opensCodestream(item.lead) ? [index] : []));
  if (starts.length !== count || starts[0] !== 0) {
    throw corrupt(
      `${count} frames in ${items.length} fragments without an offset table, and ${starts.length} codestream starts`,
    );
  }
  return starts.map((first, i) =>
    items.slice(first, starts[i + 1] ?? items.length).map(({ offset, length }) => ({ offset, length })),
  );
}

function opensCodestream(lead: number): boolean {
  const high = lead >>> 16;
  return high === 0xffd8 || lead === 0xff4fff51;
}

/** The frame's encoded bytes (fragments joined), or its native bytes as stored. Frame is 0-based. */
export async function storedFrameBytes(
  reader: ByteReader,
  image: StoredImage,
  frame: number,
): Promise<Buffer> {
  checkFrame(image, frame);
  if (image.frames) {
    const parts = await Promise.all(
      image.frames[frame]!.map((range) => reader.read(range.offset, range.length)),
    );
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }
  return nativeBytes(reader, image, frame);
}

/**
 * Where the bytes of a frame (0-based) lie in the object when storedFrameBytes would return them unchanged:
 * its fragments, or its slice of native little-endian Pixel Data. Undefined when they must be transformed
 * first (1-bit frames re-packed, big endian swapped, a deflated object). Lets a caller read them straight
 * into a buffer of its own.
 */
export function storedFrameRanges(image: StoredImage, frame: number): ByteRange[] | undefined {
  checkFrame(image, frame);
  if (image.frames) return image.frames[frame]!;
  if (image.inflated || image.pixels.bitsAllocated === 1 || nativeSwapUnit(image) !== 1) return undefined;
  return [nativeFrameRange(image, frame)];
}

/** The sum of the ranges' lengths. */
export function rangesLength(ranges: readonly ByteRange[]): number {
  let length = 0;
  for (const range of ranges) length += range.length;
  return length;
}

export function checkFrame(image: StoredImage, frame: number): void {
  const count = image.pixels.numberOfFrames;
  if (!Number.isInteger(frame) || frame < 0 || frame >= count) {
    throw new ImagingError(
      "not-found",
      `frame ${frame + 1} does not exist: the instance has ${count} frame(s)`,
    );
  }
}

/** Bytes of one native frame: YBR_FULL_422 is stored subsampled (two samples per pixel). */
export function storedNativeFrameLength(pixels: PixelDescription): number {
  if (pixels.photometricInterpretation === "YBR_FULL_422" && pixels.samplesPerPixel === 3) {
    return pixels.rows * pixels.columns * 2 * (pixels.bitsAllocated / 8);
  }
  return nativeFrameLength(pixels);
}

async function nativeBytes(reader: ByteReader, image: StoredImage, frame: number): Promise<Buffer> {
  const native = image.native!;
  const pixels = image.pixels;
  const source = image.inflated
    ? { read: (o: number, l: number) => Promise.resolve(image.inflated!.subarray(o, o + l)) }
    : reader;
  if (pixels.bitsAllocated === 1) {
    const bits = pixels.rows * pixels.columns * pixels.samplesPerPixel;
    const firstBit = frame * bits;
    const start = native.offset + Math.floor(firstBit / 8);
    const length = Math.ceil(((firstBit % 8) + bits) / 8);
    if (Math.floor(firstBit / 8) + length > native.length)
      throw corrupt(`Pixel Data is too short for frame ${frame + 1}`);
    return unpackBits(await source.read(start, length), firstBit % 8, bits);
  }
  const range = nativeFrameRange(image, frame);
  const bytes = await source.read(range.offset, range.length);
  const unit = nativeSwapUnit(image);
  return unit === 1 ? bytes : swapped(bytes, unit);
}

/** A native frame's bytes in the object (or in the inflated data set). */
function nativeFrameRange(image: StoredImage, frame: number): ByteRange {
  const native = image.native!;
  const length = storedNativeFrameLength(image.pixels);
  if ((frame + 1) * length > native.length) {
    throw corrupt(
      `Pixel Data holds ${native.length} bytes, too few for frame ${frame + 1} of ${length} bytes`,
    );
  }
  return { offset: native.offset + frame * length, length };
}

/** 1 for little endian native pixels; else the word size big endian pixels are swapped by. */
function nativeSwapUnit(image: StoredImage): number {
  const native = image.native!;
  if (!native.bigEndian) return 1;
  const pixels = image.pixels;
  // OB is a byte stream in either byte order; OW (and 8-bit pixels in OW) is swapped word by word.
  return pixels.bitsAllocated >= 16 ? pixels.bitsAllocated / 8 : native.vr === "OW" ? 2 : 1;
}

/** A copy with each `unit`-byte word reversed. */
export function swapped(bytes: Buffer, unit: number): Buffer {
  const out = Buffer.from(bytes);
  if (unit === 2) out.swap16();
  else if (unit === 4) out.swap32();
  else if (unit === 8) out.swap64();
  return out;
}

/** `count` bits starting `skip` bits into `bytes` (LSB first, as DICOM packs them), re-packed from bit 0. */
function unpackBits(bytes: Buffer, skip: number, count: number): Buffer {
  if (skip === 0) {
    const out = Buffer.from(bytes.subarray(0, Math.ceil(count / 8)));
    if (count % 8) out[out.length - 1]! &= (1 << (count % 8)) - 1;
    return out;
  }
  const out = Buffer.alloc(Math.ceil(count / 8));
  for (let i = 0; i < count; i++) {
    const at = skip + i;
    if ((bytes[at >>> 3]! >>> (at & 7)) & 1) out[i >>> 3]! |= 1 << (i & 7);
  }
  return out;
}

/**
 * One frame as little-endian native pixels (decoded when the object is compressed), with the geometry that
 * now describes it. 1-bit frames stay packed, eight pixels a byte from bit 0.
 */
export async function nativeFrame(
  reader: ByteReader,
  image: StoredImage,
  frame: number,
): Promise<NativeFrame> {
  const bytes = await storedFrameBytes(reader, image, frame);
  const geometry: FrameGeometry = { ...image.pixels };
  if (!image.encapsulated) return { pixels: bytes, geometry };
  if (!canDecodeFrames(image.transferSyntaxUid)) {
    throw new ImagingError("unsupported", `frames in ${image.transferSyntaxUid} cannot be decoded by Hilum`);
  }
  try {
    const decoded = await decodeFrameOffThread(bytes, image.transferSyntaxUid, geometry);
    return {
      pixels: decoded.pixels,
      geometry: {
        ...geometry,
        photometricInterpretation: decoded.photometricInterpretation,
        planarConfiguration: decoded.planarConfiguration,
      },
    };
  } catch (error) {
    // A codestream the WASM codecs refuse: damaged, or a variant they lack (e.g. 12-bit lossy JPEG).
    throw new ImagingError("unsupported", (error as Error).message);
  }
}
