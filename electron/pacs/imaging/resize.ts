/**
 * Scaling 8-bit rasters: area averaging where an axis shrinks (each output pixel is the mean of the source
 * area it covers, so thin structures fade rather than alias) and bilinear interpolation where it grows. The
 * two axes are done one after the other.
 */
import { ImagingError } from "./errors.js";
import type { Raster } from "./render.js";

/** The source pixels (and weights) that make each output pixel along one axis. */
interface Taps {
  index: Int32Array;
  weight: Float32Array;
  /** Output pixel o uses taps start[o] … start[o + 1] - 1. */
  start: Int32Array;
}

function taps(source: number, target: number): Taps {
  const index: number[] = [];
  const weight: number[] = [];
  const start = new Int32Array(target + 1);
  const scale = source / target;
  for (let o = 0; o < target; o++) {
    start[o] = index.length;
    if (target <= source) {
      // Area: the source interval [o·scale, (o+1)·scale), each pixel weighted by how much of it is covered.
      const from = o * scale;
      const to = Math.min((o + 1) * scale, source);
      for (let s = Math.floor(from); s < to; s++) {
        const covered = Math.min(s + 1, to) - Math.max(s, from);
        if (covered > 0) {
          index.push(s);
          weight.push(covered / (to - from));
        }
      }
    } else {
      // Bilinear, pixel centres aligned.
      const x = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), source - 1);
      const left = Math.floor(x);
      const t = x - left;
      index.push(left);
      weight.push(1 - t);
      if (t > 0 && left + 1 < source) {
        index.push(left + 1);
        weight.push(t);
      }
    }
  }
  start[target] = index.length;
  return { index: Int32Array.from(index), weight: Float32Array.from(weight), start };
}

export function resize(raster: Raster, width: number, height: number): Raster {
  if (width === raster.width && height === raster.height) return raster;
  if (width < 1 || height < 1) throw new ImagingError("bad-request", `cannot scale to ${width}×${height}`);
  const c = raster.channels;
  const horizontal = taps(raster.width, width);
  const vertical = taps(raster.height, height);
  // Rows first: source height × target width, kept in floats.
  const mid = new Float32Array(raster.height * width * c);
  for (let y = 0; y < raster.height; y++) {
    const row = y * raster.width;
    for (let x = 0; x < width; x++) {
      for (let ch = 0; ch < c; ch++) {
        let sum = 0;
        for (let t = horizontal.start[x]!; t < horizontal.start[x + 1]!; t++) {
          sum += raster.data[(row + horizontal.index[t]!) * c + ch]! * horizontal.weight[t]!;
        }
        mid[(y * width + x) * c + ch] = sum;
      }
    }
  }
  const out = new Uint8Array(width * height * c);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let ch = 0; ch < c; ch++) {
        let sum = 0;
        for (let t = vertical.start[y]!; t < vertical.start[y + 1]!; t++) {
          sum += mid[(vertical.index[t]! * width + x) * c + ch]! * vertical.weight[t]!;
        }
        out[(y * width + x) * c + ch] = sum <= 0 ? 0 : sum >= 255 ? 255 : Math.round(sum);
      }
    }
  }
  return { width, height, channels: raster.channels, data: out };
}

/** A rectangle of the raster (clipped to it). */
export function crop(raster: Raster, x: number, y: number, width: number, height: number): Raster {
  const x0 = Math.max(0, Math.min(x, raster.width));
  const y0 = Math.max(0, Math.min(y, raster.height));
  const w = Math.min(width, raster.width - x0);
  const h = Math.min(height, raster.height - y0);
  if (w < 1 || h < 1) {
    throw new ImagingError("bad-request", `the region ${x},${y},${width},${height} lies outside the image`);
  }
  if (x0 === 0 && y0 === 0 && w === raster.width && h === raster.height) return raster;
  const c = raster.channels;
  const out = new Uint8Array(w * h * c);
  for (let row = 0; row < h; row++) {
    const from = ((y0 + row) * raster.width + x0) * c;
    out.set(raster.data.subarray(from, from + w * c), row * w * c);
  }
  return { width: w, height: h, channels: raster.channels, data: out };
}

/** The largest size with the raster's aspect ratio that fits in a box (at least 1×1). */
export function fitInside(width: number, height: number, boxWidth: number, boxHeight: number) {
  const scale = Math.min(boxWidth / width, boxHeight / height);
  return {
    width: Math.max(1, Math.round(width * scale)),
    height: Math.max(1, Math.round(height * scale)),
  };
}
