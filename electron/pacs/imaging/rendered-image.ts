/**
 * A frame as a consumer image (PS3.18 §8.3.5 rendered media types): render to 8 bits, cut the region and
 * scale to the viewport (aspect ratio kept), encode as JPEG or PNG. Also parses the `window` and `viewport`
 * parameters, so that WADO-RS and WADO-URI read them alike.
 */
import type { ByteReader } from "./byte-reader.js";
import { ImagingError } from "./errors.js";
import { encodeJpeg, DEFAULT_JPEG_QUALITY } from "./jpeg.js";
import type { VoiFunction, Window } from "./pixel-module.js";
import { encodePng } from "./png.js";
import { renderFrame } from "./render.js";
import { crop, fitInside, resize } from "./resize.js";
import { nativeFrame, type StoredImage } from "./stored-image.js";

export type RenderedMediaType = "image/jpeg" | "image/png";

export interface Viewport {
  width: number;
  height: number;
  /** Source region (pixels of the frame); the whole frame when absent. */
  region?: { x: number; y: number; width: number; height: number };
}

export interface RenderedOptions {
  mediaType: RenderedMediaType;
  window?: Window;
  viewport?: Viewport;
  /** JPEG quality 1 to 100. */
  quality?: number;
  /** Without a viewport, the image is shrunk (never enlarged) to fit this box: thumbnails. */
  maxSize?: number;
}

/** Largest rendered image side: bounds the memory a request can ask for. */
export const MAX_RENDERED_SIDE = 4096;

const FUNCTIONS: Record<string, VoiFunction> = {
  linear: "linear",
  "linear-exact": "linear-exact",
  sigmoid: "sigmoid",
};

/** `center,width[,linear|linear-exact|sigmoid]` (PS3.18 §8.3.5.1.4). */
export function parseWindow(text: string): Window {
  const parts = text.split(",").map((part) => part.trim());
  const [centerText = "", widthText = "", fnText = "linear"] = parts;
  const center = Number(centerText);
  const width = Number(widthText);
  const fn = FUNCTIONS[fnText.toLowerCase()];
  const valid =
    parts.length >= 2 &&
    parts.length <= 3 &&
    centerText !== "" &&
    widthText !== "" &&
    Number.isFinite(center) &&
    Number.isFinite(width) &&
    fn !== undefined &&
    (fn === "linear" ? width >= 1 : width > 0);
  if (!valid) {
    throw new ImagingError(
      "bad-request",
      `window ${JSON.stringify(text.slice(0, 80))} is not center,width[,function] with width ≥ 1 (> 0 for ` +
        "linear-exact and sigmoid) and function linear, linear-exact or sigmoid",
    );
  }
  return { center, width, function: fn };
}

/** `vw,vh` or `vw,vh,sx,sy,sw,sh` (PS3.18 §8.3.5.1.3); flipping (negative sw, sh) is not supported. */
export function parseViewport(text: string): Viewport {
  const parts = text.split(",").map((part) => part.trim());
  const numbers = parts.map((part) => (/^[0-9]{1,6}$/.test(part) ? Number(part) : NaN));
  const bad = (why: string) =>
    new ImagingError("bad-request", `viewport ${JSON.stringify(text.slice(0, 80))}: ${why}`);
  if ((parts.length !== 2 && parts.length !== 6) || numbers.some((n) => Number.isNaN(n))) {
    throw bad("expected vw,vh or vw,vh,sx,sy,sw,sh as non-negative integers (flipping is not supported)");
  }
  const [vw = 0, vh = 0, sx = 0, sy = 0, sw = 0, sh = 0] = numbers;
  if (vw < 1 || vh < 1 || vw > MAX_RENDERED_SIDE || vh > MAX_RENDERED_SIDE) {
    throw bad(`the viewport must be 1 to ${MAX_RENDERED_SIDE} pixels each way`);
  }
  if (parts.length === 2) return { width: vw, height: vh };
  if (sw < 1 || sh < 1) throw bad("the source region must be at least one pixel each way");
  return { width: vw, height: vh, region: { x: sx, y: sy, width: sw, height: sh } };
}

export function parseQuality(text: string): number {
  const quality = /^[0-9]{1,3}$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!(quality >= 1 && quality <= 100)) {
    throw new ImagingError(
      "bad-request",
      `quality ${JSON.stringify(text.slice(0, 20))} is not an integer from 1 to 100`,
    );
  }
  return quality;
}

/** Frame (0-based) of a stored image as a JPEG or PNG. */
export async function renderedImage(
  reader: ByteReader,
  image: StoredImage,
  frame: number,
  options: RenderedOptions,
): Promise<Buffer> {
  const native = await nativeFrame(reader, image, frame);
  let raster = renderFrame(native.pixels, native.geometry, image.header, frame, { window: options.window });
  const viewport = options.viewport;
  if (viewport?.region) {
    const r = viewport.region;
    raster = crop(raster, r.x, r.y, r.width, r.height);
  }
  if (viewport) {
    const size = fitInside(raster.width, raster.height, viewport.width, viewport.height);
    raster = resize(raster, size.width, size.height);
  } else if (options.maxSize !== undefined && Math.max(raster.width, raster.height) > options.maxSize) {
    const size = fitInside(raster.width, raster.height, options.maxSize, options.maxSize);
    raster = resize(raster, size.width, size.height);
  }
  return options.mediaType === "image/png"
    ? encodePng(raster)
    : encodeJpeg(raster, options.quality ?? DEFAULT_JPEG_QUALITY);
}
