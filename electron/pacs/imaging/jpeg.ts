/** Baseline JPEG of an 8-bit raster through jpeg-js (pure JavaScript; it takes RGBA input). */
import jpeg from "jpeg-js";
import type { Raster } from "./render.js";

export const DEFAULT_JPEG_QUALITY = 90;

export function encodeJpeg(raster: Raster, quality = DEFAULT_JPEG_QUALITY): Buffer {
  const count = raster.width * raster.height;
  const rgba = Buffer.alloc(count * 4);
  const src = raster.data;
  if (raster.channels === 1) {
    for (let i = 0; i < count; i++) {
      const v = src[i]!;
      rgba[i * 4] = v;
      rgba[i * 4 + 1] = v;
      rgba[i * 4 + 2] = v;
      rgba[i * 4 + 3] = 255;
    }
  } else {
    for (let i = 0; i < count; i++) {
      rgba[i * 4] = src[i * 3]!;
      rgba[i * 4 + 1] = src[i * 3 + 1]!;
      rgba[i * 4 + 2] = src[i * 3 + 2]!;
      rgba[i * 4 + 3] = 255;
    }
  }
  return jpeg.encode({ width: raster.width, height: raster.height, data: rgba }, quality).data;
}
