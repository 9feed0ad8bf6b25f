/**
 * From the slices of a series to a volume: which slices form one stack, their order along the normal, the
 * spacing measured from ImagePositionPatient (never SliceThickness), gantry tilt as a shear of the slice axis,
 * and — when the positions are not evenly spaced (uneven or missing slices) — the resampling that makes them
 * so. Pure, for the renderer and the unit tests.
 *
 * Voxel (i, j, k) has its centre at origin + i·Δcolumn·row + j·Δrow·column + k·sliceStep: i runs along a row
 * (ImageOrientationPatient's first vector), j down the columns, k from slice to slice. Without tilt
 * sliceStep = Δslice·normal; with tilt it leans by the tilt angle, so each slice keeps its pixels as stored.
 */
import {
  cross,
  dot,
  norm,
  normalize,
  orientationAxes,
  scale,
  sub,
  type Spacing,
  type Vec3,
} from "./vector.js";

/** What the volume needs of one slice (a frame of a series). */
export interface SliceInput {
  position: Vec3;
  /** ImageOrientationPatient: row then column direction cosines. */
  orientation: readonly number[];
  rows: number;
  columns: number;
  spacing: Spacing;
  /** Slices with different keys never share a stack (e.g. AcquisitionNumber, temporal position). */
  stackKey?: string;
}

export interface VolumeGeometry {
  /** Voxels along i (columns), j (rows), k (slices). */
  dimensions: readonly [number, number, number];
  /** mm between voxel centres along i, j, and between slices measured along the normal. */
  spacing: readonly [number, number, number];
  /** Centre of voxel (0, 0, 0), patient mm. */
  origin: Vec3;
  row: Vec3;
  column: Vec3;
  normal: Vec3;
  /** Patient-space step from slice k to k + 1: spacing[2]·normal, leaning with gantry tilt. */
  sliceStep: Vec3;
}

/** Volume slice k from input slices: `from` when weight is 0, else (1 − weight)·from + weight·to. */
export interface VolumeSlice {
  from: number;
  to: number;
  weight: number;
}

export interface VolumePlan {
  geometry: VolumeGeometry;
  /** One entry per volume slice, in k order; `from` and `to` index the planned slices. */
  slices: VolumeSlice[];
  /** The planned slices' indices sorted along the normal. */
  order: number[];
  /** Degrees between the slice axis and the normal (gantry tilt); 0 when none was found. */
  tiltDegrees: number;
  /** The positions were not evenly spaced: volume slices are interpolated between the stored ones. */
  resampled: boolean;
  /** What the reader should be told (tilt, uneven spacing, missing slices). */
  warnings: string[];
}

export class VolumeError extends Error {}

/** Orientation cosines equal within this: one stack. */
const ORIENTATION_TOLERANCE = 1e-3;
/** Gaps within this fraction of the typical gap count as even. */
const EVEN_TOLERANCE = 0.01;
/** In-plane drift per mm along the normal below this (about 0.06°) is not tilt. */
const SHEAR_TOLERANCE = 1e-3;

function stackKeyOf(slice: SliceInput): string {
  const iop = slice.orientation.map((v) => Math.round(v / ORIENTATION_TOLERANCE)).join(",");
  const size = `${slice.rows}x${slice.columns}`;
  const spacing = `${slice.spacing.row.toFixed(4)}x${slice.spacing.column.toFixed(4)}`;
  return `${iop}|${size}|${spacing}|${slice.stackKey ?? ""}`;
}

/**
 * The stacks in a series, largest first: slices grouped by orientation, matrix, pixel spacing and stack key;
 * a group holding the same position twice (several acquisitions under one key) is split so each position
 * appears once per stack, in the order the slices were given.
 */
export function splitStacks(slices: readonly SliceInput[]): number[][] {
  const groups = new Map<string, number[]>();
  for (const [index, slice] of slices.entries()) {
    const key = stackKeyOf(slice);
    groups.set(key, [...(groups.get(key) ?? []), index]);
  }
  const stacks: number[][] = [];
  for (const members of groups.values()) {
    const normal = orientationAxes(slices[members[0]!]!.orientation).normal;
    const split: Array<{ indices: number[]; seen: Set<number> }> = [];
    for (const index of members) {
      const where = Math.round(dot(slices[index]!.position, normal) * 1000);
      let target = split.find((stack) => !stack.seen.has(where));
      if (!target) {
        target = { indices: [], seen: new Set() };
        split.push(target);
      }
      target.indices.push(index);
      target.seen.add(where);
    }
    stacks.push(...split.map((stack) => stack.indices));
  }
  return stacks.sort((a, b) => b.length - a.length || a[0]! - b[0]!);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const mm = (value: number) => `${Number(value.toFixed(2))} mm`;

/** Plans the volume of one stack (`splitStacks`' first, usually): every slice must share orientation and matrix. */
export function planVolume(slices: readonly SliceInput[]): VolumePlan {
  const first = slices[0];
  if (!first) throw new VolumeError("a volume needs at least one slice");
  if (slices.some((s) => stackKeyOf({ ...s, stackKey: "" }) !== stackKeyOf({ ...first, stackKey: "" }))) {
    throw new VolumeError(
      "the slices differ in orientation, matrix or pixel spacing: split the stacks first",
    );
  }
  const { row, column, normal } = orientationAxes(first.orientation);
  const along = slices.map((s) => dot(s.position, normal));
  const order = slices.map((_, i) => i).sort((a, b) => along[a]! - along[b]!);
  const origin = slices[order[0]!]!.position;
  const t = order.map((i) => along[i]! - along[order[0]!]!);
  for (let k = 1; k < t.length; k++) {
    if (t[k]! - t[k - 1]! < 1e-3)
      throw new VolumeError(`two slices share the position ${mm(along[order[k]!]!)}`);
  }
  const warnings: string[] = [];

  // Gantry tilt: the in-plane drift of the positions per mm along the normal (least squares through slice 0).
  let shear: Vec3 = [0, 0, 0];
  const total = t.reduce((sum, value) => sum + value * value, 0);
  if (total > 0) {
    let sum: Vec3 = [0, 0, 0];
    for (const [k, index] of order.entries()) {
      const offset = sub(slices[index]!.position, origin);
      const inPlane = sub(offset, scale(normal, t[k]!));
      sum = [sum[0] + inPlane[0] * t[k]!, sum[1] + inPlane[1] * t[k]!, sum[2] + inPlane[2] * t[k]!];
    }
    shear = scale(sum, 1 / total);
  }
  const drift = norm(shear);
  const tiltDegrees = drift < SHEAR_TOLERANCE ? 0 : (Math.atan(drift) * 180) / Math.PI;
  if (tiltDegrees === 0) shear = [0, 0, 0];
  else warnings.push(`gantry tilt of ${Number(tiltDegrees.toFixed(2))}°: the slice axis is sheared to match`);

  const gaps = t.slice(1).map((value, k) => value - t[k]!);
  const extent = t.at(-1)!;
  let step = gaps.length === 0 ? Math.max(first.spacing.row, first.spacing.column) : extent / gaps.length;
  let volumeSlices: VolumeSlice[] = order.map((index) => ({ from: index, to: index, weight: 0 }));
  let resampled = false;
  if (gaps.length > 0) {
    const typical = median(gaps);
    const even = gaps.every((gap) => Math.abs(gap - typical) <= EVEN_TOLERANCE * typical);
    if (!even) {
      resampled = true;
      const count = Math.round(extent / typical) + 1;
      step = extent / (count - 1);
      let missing = 0;
      let uneven = false;
      for (const gap of gaps) {
        const multiple = Math.round(gap / typical);
        if (multiple >= 2 && Math.abs(gap - multiple * typical) <= EVEN_TOLERANCE * typical * multiple)
          missing += multiple - 1;
        else if (Math.abs(gap - typical) > EVEN_TOLERANCE * typical) uneven = true;
      }
      if (missing > 0) {
        warnings.push(`${missing} slice${missing === 1 ? "" : "s"} missing: the gaps are interpolated`);
      }
      if (uneven) {
        const low = Math.min(...gaps);
        const high = Math.max(...gaps);
        warnings.push(`uneven slice spacing (${mm(low)} to ${mm(high)}): resampled to ${mm(step)}`);
      }
      volumeSlices = resample(t, step, count).map((slice) => ({
        ...slice,
        from: order[slice.from]!,
        to: order[slice.to]!,
      }));
    }
  }
  const sliceStep = scale([normal[0] + shear[0], normal[1] + shear[1], normal[2] + shear[2]], step);
  return {
    geometry: {
      dimensions: [first.columns, first.rows, volumeSlices.length],
      spacing: [first.spacing.column, first.spacing.row, step],
      origin,
      row,
      column,
      normal,
      sliceStep,
    },
    slices: volumeSlices,
    order,
    tiltDegrees,
    resampled,
    warnings,
  };
}

/** Volume slices at k·step along the normal, each linear between the two stored slices around it (indices into `t`). */
function resample(t: readonly number[], step: number, count: number): VolumeSlice[] {
  const out: VolumeSlice[] = [];
  let j = 0;
  for (let k = 0; k < count; k++) {
    const at = k * step;
    while (j < t.length - 2 && t[j + 1]! <= at) j++;
    const weight = Math.min(1, Math.max(0, (at - t[j]!) / (t[j + 1]! - t[j]!)));
    if (weight < 1e-3) out.push({ from: j, to: j, weight: 0 });
    else if (weight > 1 - 1e-3) out.push({ from: j + 1, to: j + 1, weight: 0 });
    else out.push({ from: j, to: j + 1, weight });
  }
  return out;
}

/** Column-major 4×4 (WebGL/gl-matrix order) mapping voxel indices to patient mm. */
export function indexToWorldMatrix(g: VolumeGeometry): number[] {
  const i = scale(g.row, g.spacing[0]);
  const j = scale(g.column, g.spacing[1]);
  const k = g.sliceStep;
  return [...i, 0, ...j, 0, ...k, 0, ...g.origin, 1];
}

export function indexToWorld(g: VolumeGeometry, index: Vec3): Vec3 {
  const m = indexToWorldMatrix(g);
  return [0, 1, 2].map(
    (r) => m[r]! * index[0] + m[4 + r]! * index[1] + m[8 + r]! * index[2] + m[12 + r]!,
  ) as [number, number, number];
}

/** Voxel indices (fractional) of a patient point. */
export function worldToIndex(g: VolumeGeometry, point: Vec3): Vec3 {
  const a = scale(g.row, g.spacing[0]);
  const b = scale(g.column, g.spacing[1]);
  const c = g.sliceStep;
  const d = sub(point, g.origin);
  // Cramer's rule on [a b c]·x = d.
  const det = dot(a, cross(b, c));
  return [dot(d, cross(b, c)) / det, dot(a, cross(d, c)) / det, dot(a, cross(b, d)) / det];
}

/** The direction matrix vtk.js's ImageData takes (axis i, j, k as consecutive triples; k unit, possibly sheared). */
export function directionOf(g: VolumeGeometry): number[] {
  return [...g.row, ...g.column, ...normalize(g.sliceStep)];
}

/** vtk.js spacing: the k spacing is the length of the (possibly sheared) slice step. */
export function vtkSpacingOf(g: VolumeGeometry): [number, number, number] {
  return [g.spacing[0], g.spacing[1], norm(g.sliceStep)];
}

/** The patient-space centre of the volume's box. */
export function volumeCenter(g: VolumeGeometry): Vec3 {
  return indexToWorld(g, [(g.dimensions[0] - 1) / 2, (g.dimensions[1] - 1) / 2, (g.dimensions[2] - 1) / 2]);
}
