/**
 * Native pixels (little endian, as the frames resource sends them: big endian and deflated objects are
 * served little endian) to the arrays the display pipeline uploads. Grayscale and palette samples keep
 * their native type — Uint8/Int8, Uint16/Int16, Uint32/Int32 — with bits outside Bits Stored masked off and
 * signed samples sign-extended (High Bit honoured); 1-bit frames become one byte per pixel. Colour
 * becomes 8-bit RGB, interleaved: planar configuration undone, YBR_FULL and YBR_FULL_422 converted (PS3.3
 * C.7.6.3.1.2), samples wider than 8 bits shifted down to their top 8 stored bits. Pure: runs in the decode
 * worker and in unit tests.
 */

export type GrayArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array;

/** The layout of a frame's native pixels: the Image Pixel module as it applies to the bytes in hand. */
export interface PixelLayout {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  pixelRepresentation: number;
  planarConfiguration: number;
  photometricInterpretation: string;
  pixelPaddingValue?: number;
}

export interface DecodedFrame {
  /** "gray" (MONOCHROME1/2 and PALETTE COLOR indices) or "rgb" (8-bit, interleaved). */
  kind: "gray" | "rgb";
  rows: number;
  columns: number;
  pixels: GrayArray;
  /** Smallest and largest stored value (padding excluded); 0 and 255 for colour. */
  min: number;
  max: number;
  /** The transfer syntax the frame arrived in. */
  transferSyntaxUid: string;
}

export class PixelError extends Error {}

/** Bytes of native pixel data a frame of this layout needs. */
export function nativeLength(layout: PixelLayout): number {
  const samples = layout.photometricInterpretation === "YBR_FULL_422" ? 2 : layout.samplesPerPixel;
  return Math.ceil((layout.rows * layout.columns * samples * layout.bitsAllocated) / 8);
}

/** Decoded frame size in bytes (what the cache weighs). */
export function decodedBytes(frame: Pick<DecodedFrame, "pixels">): number {
  return frame.pixels.byteLength;
}

function unpackBits(bytes: Uint8Array, count: number): Uint8Array {
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = (bytes[i >>> 3]! >>> (i & 7)) & 1;
  return out;
}

/** A fresh array of `count` samples of `bytesPer` bytes copied from `bytes` (aligned, owning its buffer). */
function copySamples(bytes: Uint8Array, count: number, bytesPer: 1 | 2 | 4): ArrayBuffer {
  const buffer = new ArrayBuffer(count * bytesPer);
  new Uint8Array(buffer).set(bytes.subarray(0, count * bytesPer));
  return buffer;
}

function grayArray(buffer: ArrayBuffer, bitsAllocated: number, signed: boolean): GrayArray {
  if (bitsAllocated === 8) return signed ? new Int8Array(buffer) : new Uint8Array(buffer);
  if (bitsAllocated === 16) return signed ? new Int16Array(buffer) : new Uint16Array(buffer);
  return signed ? new Int32Array(buffer) : new Uint32Array(buffer);
}

/** Masks to Bits Stored (from High Bit) and sign-extends, in place; the array's type already has the sign. */
function normalizeSamples(samples: GrayArray, layout: PixelLayout): void {
  const { bitsAllocated, bitsStored, highBit } = layout;
  const shift = highBit + 1 - bitsStored;
  if (bitsStored >= bitsAllocated && shift === 0) return;
  const signed = layout.pixelRepresentation === 1;
  const up = 32 - bitsStored;
  const mask = bitsStored >= 32 ? 0xffffffff : 2 ** bitsStored - 1;
  const width = 32 - bitsAllocated;
  for (let i = 0; i < samples.length; i++) {
    // The container's bits as an unsigned integer, whatever the array's sign.
    const raw = bitsAllocated === 32 ? samples[i]! >>> 0 : ((samples[i]! << width) >>> width) >>> 0;
    const value = ((raw >>> shift) & mask) >>> 0;
    samples[i] = signed ? (value << up) >> up : value;
  }
}

function minMax(samples: GrayArray, padding: number | undefined): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i]!;
    if (v === padding) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min > max) {
    // Nothing but padding.
    min = max = padding ?? 0;
  }
  return { min, max };
}

function clampByte(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}

function ybrToRgb(y: number, cb: number, cr: number, out: Uint8Array, at: number): void {
  out[at] = clampByte(y + 1.402 * (cr - 128));
  out[at + 1] = clampByte(y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128));
  out[at + 2] = clampByte(y + 1.772 * (cb - 128));
}

function decodeColor(bytes: Uint8Array, layout: PixelLayout): Uint8Array {
  const { rows, columns, bitsAllocated, bitsStored } = layout;
  const photometric = layout.photometricInterpretation;
  const count = rows * columns;
  if (bitsAllocated !== 8 && bitsAllocated !== 16 && bitsAllocated !== 32) {
    throw new PixelError(`colour with Bits Allocated ${bitsAllocated} cannot be displayed`);
  }
  const bytesPer = bitsAllocated / 8;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const down = Math.max(bitsStored - 8, 0);
  const mask = bitsStored >= 32 ? 0xffffffff : 2 ** bitsStored - 1;
  const sample =
    bytesPer === 1
      ? (i: number) => (bytes[i]! & mask) >>> down
      : bytesPer === 2
        ? (i: number) => (view.getUint16(i * 2, true) & mask) >>> down
        : (i: number) => ((view.getUint32(i * 4, true) & mask) >>> 0) >>> down;
  const out = new Uint8Array(count * 3);
  if (photometric === "YBR_FULL_422") {
    // Stored subsampled, row by row: Y1 Y2 Cb Cr for each pair of pixels.
    for (let row = 0; row < rows; row++) {
      for (let col = 0; col < columns; col++) {
        const base = (row * columns + (col & ~1)) * 2;
        ybrToRgb(
          sample(base + (col & 1)),
          sample(base + 2),
          sample(base + 3),
          out,
          (row * columns + col) * 3,
        );
      }
    }
    return out;
  }
  if (photometric !== "RGB" && photometric !== "YBR_FULL") {
    throw new PixelError(`${photometric} colour cannot be displayed`);
  }
  const planar = layout.planarConfiguration === 1;
  if (photometric === "RGB" && bytesPer === 1 && !planar && down === 0) {
    out.set(bytes.subarray(0, count * 3));
    return out;
  }
  for (let p = 0; p < count; p++) {
    const a = sample(planar ? p : p * 3);
    const b = sample(planar ? count + p : p * 3 + 1);
    const c = sample(planar ? 2 * count + p : p * 3 + 2);
    if (photometric === "RGB") {
      out[p * 3] = a;
      out[p * 3 + 1] = b;
      out[p * 3 + 2] = c;
    } else ybrToRgb(a, b, c, out, p * 3);
  }
  return out;
}

/** Native little-endian pixels of one frame to the arrays the display uploads. */
export function decodeNative(
  bytes: Uint8Array,
  layout: PixelLayout,
  transferSyntaxUid: string,
): DecodedFrame {
  const { rows, columns, samplesPerPixel, bitsAllocated } = layout;
  const needed = nativeLength(layout);
  if (bytes.length < needed) {
    throw new PixelError(`the frame has ${bytes.length} bytes of pixels, ${needed} expected`);
  }
  const count = rows * columns;
  if (samplesPerPixel === 3) {
    return {
      kind: "rgb",
      rows,
      columns,
      pixels: decodeColor(bytes, layout),
      min: 0,
      max: 255,
      transferSyntaxUid,
    };
  }
  if (samplesPerPixel !== 1) throw new PixelError(`Samples per Pixel ${samplesPerPixel}`);
  let pixels: GrayArray;
  if (bitsAllocated === 1) {
    pixels = unpackBits(bytes, count);
  } else if (bitsAllocated === 8 || bitsAllocated === 16 || bitsAllocated === 32) {
    const buffer = copySamples(bytes, count, (bitsAllocated / 8) as 1 | 2 | 4);
    pixels = grayArray(buffer, bitsAllocated, layout.pixelRepresentation === 1);
    normalizeSamples(pixels, layout);
  } else {
    throw new PixelError(`Bits Allocated ${bitsAllocated} cannot be displayed`);
  }
  const { min, max } = minMax(pixels, layout.pixelPaddingValue);
  return { kind: "gray", rows, columns, pixels, min, max, transferSyntaxUid };
}

/** The transfer syntaxes whose frames are native pixels (the server sends them little endian). */
export const NATIVE_SYNTAXES = new Set([
  "1.2.840.10008.1.2",
  "1.2.840.10008.1.2.1",
  "1.2.840.10008.1.2.1.99",
  "1.2.840.10008.1.2.2",
]);

export type CodecMethod = "Rle" | "Jpeg" | "JpegLs" | "Jpeg2000" | "HtJpeg2000";

/** dcmjs-codecs' decoder for each compressed syntax. */
export const DECODERS: Readonly<Record<string, CodecMethod>> = {
  "1.2.840.10008.1.2.5": "Rle",
  "1.2.840.10008.1.2.4.50": "Jpeg",
  "1.2.840.10008.1.2.4.51": "Jpeg",
  "1.2.840.10008.1.2.4.57": "Jpeg",
  "1.2.840.10008.1.2.4.70": "Jpeg",
  "1.2.840.10008.1.2.4.80": "JpegLs",
  "1.2.840.10008.1.2.4.81": "JpegLs",
  "1.2.840.10008.1.2.4.90": "Jpeg2000",
  "1.2.840.10008.1.2.4.91": "Jpeg2000",
  "1.2.840.10008.1.2.4.201": "HtJpeg2000",
  "1.2.840.10008.1.2.4.202": "HtJpeg2000",
  "1.2.840.10008.1.2.4.203": "HtJpeg2000",
};

/**
 * The layout of what a codec hands back: JPEG and JPEG 2000 give colour as interleaved RGB (YBR converted,
 * the J2K colour transform undone); JPEG-LS interleaved as declared; RLE by the planes the data set declares.
 */
export function layoutAfterCodec(layout: PixelLayout, method: CodecMethod): PixelLayout {
  if (layout.samplesPerPixel !== 3) return layout;
  const out = { ...layout };
  if (method === "Jpeg" || method === "Jpeg2000" || method === "HtJpeg2000")
    out.photometricInterpretation = "RGB";
  if (method !== "Rle") out.planarConfiguration = 0;
  if (out.photometricInterpretation === "YBR_FULL_422" && method === "Rle")
    out.photometricInterpretation = "YBR_FULL";
  return out;
}
