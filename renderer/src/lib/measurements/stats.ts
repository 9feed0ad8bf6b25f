/**
 * Statistics of the modality values (HU for CT) inside a region of interest: count, mean, standard
 * deviation, minimum and maximum, in one pass (Welford's update keeps the deviation exact for large
 * offsets such as CT's −1024 intercept).
 */

export interface RoiStatistics {
  /** Pixels whose centre lies inside the region. */
  count: number;
  mean: number;
  /** Population standard deviation (divides by n): the spread of the pixels in the region, not an estimate of a larger population. */
  sd: number;
  min: number;
  max: number;
}

export function roiStatistics(values: ArrayLike<number>): RoiStatistics | undefined {
  const n = values.length;
  if (n === 0) return undefined;
  let mean = 0;
  let m2 = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    const delta = v - mean;
    mean += delta / (i + 1);
    m2 += delta * (v - mean);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { count: n, mean, sd: Math.sqrt(Math.max(0, m2 / n)), min, max };
}

/**
 * The values of the pixels whose centres ((column + 0.5, row + 0.5) in image coordinates) lie inside the
 * region, from a frame's modality values stored row by row. A reference for tests and for callers holding
 * the pixels themselves; in the viewer, `ViewportApi.valuesIn` does the same on the frame shown.
 */
export function valuesInRegion(
  pixels: ArrayLike<number>,
  columns: number,
  rows: number,
  contains: (point: { x: number; y: number }) => boolean,
  bounds: { x0: number; y0: number; x1: number; y1: number },
): Float64Array {
  const c0 = Math.max(0, Math.floor(bounds.x0));
  const c1 = Math.min(columns - 1, Math.ceil(bounds.x1));
  const r0 = Math.max(0, Math.floor(bounds.y0));
  const r1 = Math.min(rows - 1, Math.ceil(bounds.y1));
  const out: number[] = [];
  const point = { x: 0, y: 0 };
  for (let r = r0; r <= r1; r++) {
    point.y = r + 0.5;
    for (let c = c0; c <= c1; c++) {
      point.x = c + 0.5;
      if (contains(point)) out.push(pixels[r * columns + c]!);
    }
  }
  return Float64Array.from(out);
}
