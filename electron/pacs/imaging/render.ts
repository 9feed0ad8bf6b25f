/**
 * From native pixels to an 8-bit picture (PS3.3 C.11, PS3.4 N.2 grayscale pipeline): stored value →
 * modality LUT (rescale slope and intercept) → VOI (a window: linear, linear exact or sigmoid; else the full
 * range of the frame) → presentation (MONOCHROME1 inverted). Colour: RGB as stored (more than 8 bits scaled
 * down), YBR_FULL and YBR_FULL_422 converted to RGB, palette colour looked up. Windowing applies to
 * grayscale images only.
 */
import type { FrameGeometry } from "../codecs/frames.js";
import type { DataSet } from "../dicom/dataset.js";
import { ImagingError } from "./errors.js";
import { paletteOf, rescaleOf, storedWindow, type Window } from "./pixel-module.js";

/** An 8-bit picture, row by row: one byte per pixel (gray) or three (RGB). */
export interface Raster {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
}

export interface RenderOptions {
  /** Overrides the instance's own window. */
  window?: Window;
}

/** Reads stored sample i (0-based, of one sample per pixel) as the integer the data means. */
function sampleReader(pixels: Uint8Array, geometry: FrameGeometry): (i: number) => number {
  const { bitsAllocated, bitsStored, pixelRepresentation } = geometry;
  const view = new DataView(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  const signed = pixelRepresentation === 1;
  const shift = 32 - Math.min(bitsStored, 32);
  const mask = bitsStored >= 32 ? 0xffffffff : 2 ** bitsStored - 1;
  switch (bitsAllocated) {
    case 1:
      return (i) => (pixels[i >>> 3]! >>> (i & 7)) & 1;
    case 8:
      return signed ? (i) => (pixels[i]! << shift) >> shift : (i) => pixels[i]! & mask;
    case 16:
      return signed
        ? (i) => (view.getUint16(i * 2, true) << shift) >> shift
        : (i) => view.getUint16(i * 2, true) & mask;
    case 32:
      return signed
        ? (i) => (view.getInt32(i * 4, true) << shift) >> shift
        : (i) =>
            mask === 0xffffffff ? view.getUint32(i * 4, true) : view.getUint32(i * 4, true) % (mask + 1);
    default:
      throw new ImagingError("unsupported", `Bits Allocated ${bitsAllocated} cannot be rendered`);
  }
}

/** The VOI function of PS3.3 C.11.2.1.2 to 0…255. */
export function voiTransform(window: Window): (x: number) => number {
  const { center: c, width: w } = window;
  switch (window.function) {
    case "linear-exact": {
      const low = c - w / 2;
      const high = c + w / 2;
      return (x) => (x <= low ? 0 : x > high ? 255 : ((x - c) / w + 0.5) * 255);
    }
    case "sigmoid":
      return (x) => 255 / (1 + Math.exp((-4 * (x - c)) / w));
    default: {
      const low = c - 0.5 - (w - 1) / 2;
      const high = c - 0.5 + (w - 1) / 2;
      const span = Math.max(w - 1, Number.MIN_VALUE);
      return (x) => (x <= low ? 0 : x > high ? 255 : ((x - (c - 0.5)) / span + 0.5) * 255);
    }
  }
}

function clampByte(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}

/** Renders one frame (0-based index `frame`, for functional groups) of native pixels to 8 bits. */
export function renderFrame(
  pixels: Uint8Array,
  geometry: FrameGeometry,
  header: DataSet,
  frame: number,
  options: RenderOptions = {},
): Raster {
  const photometric = geometry.photometricInterpretation;
  if (geometry.samplesPerPixel === 1 && (photometric === "MONOCHROME1" || photometric === "MONOCHROME2")) {
    return renderGray(pixels, geometry, header, frame, options);
  }
  if (geometry.samplesPerPixel === 1 && photometric === "PALETTE COLOR")
    return renderPalette(pixels, geometry, header);
  if (geometry.samplesPerPixel === 3) return renderColor(pixels, geometry);
  throw new ImagingError(
    "unsupported",
    `${photometric} with ${geometry.samplesPerPixel} sample(s) per pixel cannot be rendered`,
  );
}

function renderGray(
  pixels: Uint8Array,
  geometry: FrameGeometry,
  header: DataSet,
  frame: number,
  options: RenderOptions,
): Raster {
  const count = geometry.rows * geometry.columns;
  const read = sampleReader(pixels, geometry);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < count; i++) {
    const v = read(i);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const { slope, intercept } = rescaleOf(header, frame);
  let window = options.window ?? storedWindow(header, frame);
  if (!window) {
    // No window: the full range of this frame's modality values.
    const a = min * slope + intercept;
    const b = max * slope + intercept;
    const low = Math.min(a, b);
    const high = Math.max(a, b);
    window = { center: (low + high) / 2, width: Math.max(high - low, 1), function: "linear-exact" };
  }
  const voi = voiTransform(window);
  const invert = geometry.photometricInterpretation === "MONOCHROME1";
  const out = new Uint8Array(count);
  const range = max - min + 1;
  if (range <= 1 << 20) {
    // One table entry per stored value present: the pipeline runs once per value, not once per pixel.
    const lut = new Uint8Array(range);
    for (let v = 0; v < range; v++) {
      const y = clampByte(voi((v + min) * slope + intercept));
      lut[v] = invert ? 255 - y : y;
    }
    for (let i = 0; i < count; i++) out[i] = lut[read(i) - min]!;
  } else {
    for (let i = 0; i < count; i++) {
      const y = clampByte(voi(read(i) * slope + intercept));
      out[i] = invert ? 255 - y : y;
    }
  }
  return { width: geometry.columns, height: geometry.rows, channels: 1, data: out };
}

function renderPalette(pixels: Uint8Array, geometry: FrameGeometry, header: DataSet): Raster {
  const palette = paletteOf(header);
  if (!palette) throw new ImagingError("unsupported", "PALETTE COLOR image without complete palette tables");
  const count = geometry.rows * geometry.columns;
  const read = sampleReader(pixels, geometry);
  const last = palette.red.length - 1;
  const out = new Uint8Array(count * 3);
  for (let i = 0; i < count; i++) {
    const index = Math.min(Math.max(read(i) - palette.firstMapped, 0), last);
    out[i * 3] = palette.red[index]!;
    out[i * 3 + 1] = palette.green[Math.min(index, palette.green.length - 1)]!;
    out[i * 3 + 2] = palette.blue[Math.min(index, palette.blue.length - 1)]!;
  }
  return { width: geometry.columns, height: geometry.rows, channels: 3, data: out };
}

function renderColor(pixels: Uint8Array, geometry: FrameGeometry): Raster {
  const { rows, columns, bitsAllocated, bitsStored } = geometry;
  const photometric = geometry.photometricInterpretation;
  const count = rows * columns;
  if (bitsAllocated !== 8 && bitsAllocated !== 16) {
    throw new ImagingError("unsupported", `colour with Bits Allocated ${bitsAllocated} cannot be rendered`);
  }
  const out = new Uint8Array(count * 3);
  const read = sampleReader(pixels, { ...geometry, pixelRepresentation: 0 });
  const down = Math.max(bitsStored - 8, 0);
  const sample = (i: number) => read(i) >>> down;
  if (photometric === "YBR_FULL_422") {
    // Stored subsampled: Y1 Y2 Cb Cr for each pair of pixels on a row.
    for (let row = 0; row < rows; row++) {
      for (let col = 0; col < columns; col++) {
        const pair = row * columns + (col & ~1);
        const base = pair * 2;
        const y = sample(base + (col & 1));
        ybrToRgb(y, sample(base + 2), sample(base + 3), out, (row * columns + col) * 3);
      }
    }
    return { width: columns, height: rows, channels: 3, data: out };
  }
  if (photometric !== "RGB" && photometric !== "YBR_FULL") {
    throw new ImagingError("unsupported", `${photometric} colour cannot be rendered`);
  }
  const planar = geometry.planarConfiguration === 1;
  const at = (p: number, s: number) => (planar ? s * count + p : p * 3 + s);
  for (let p = 0; p < count; p++) {
    const a = sample(at(p, 0));
    const b = sample(at(p, 1));
    const c = sample(at(p, 2));
    if (photometric === "RGB") {
      out[p * 3] = a;
      out[p * 3 + 1] = b;
      out[p * 3 + 2] = c;
    } else ybrToRgb(a, b, c, out, p * 3);
  }
  return { width: columns, height: rows, channels: 3, data: out };
}

/** YCbCr full range to RGB (PS3.3 C.7.6.3.1.2). */
function ybrToRgb(y: number, cb: number, cr: number, out: Uint8Array, at: number): void {
  out[at] = clampByte(y + 1.402 * (cr - 128));
  out[at + 1] = clampByte(y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128));
  out[at + 2] = clampByte(y + 1.772 * (cb - 128));
}
