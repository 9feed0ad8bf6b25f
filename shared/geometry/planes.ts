/**
 * Image planes in patient space (DICOM LPS, mm): where a slice lies, where two slices cross, and the
 * maths behind synchronised scrolling and reference lines. Pure; both the renderer and the node may use it.
 *
 * Image coordinates follow the viewer contract: x = column, y = row, in pixels, with (0, 0) the top-left
 * corner of the first pixel, so the centre of the first pixel — the point ImagePositionPatient names — is
 * (0.5, 0.5).
 */
import { type Vec3, add, cross, dot, norm, scale, sub } from "./vector.js";

export type { Vec3 };

/** `a` scaled to length 1; undefined for a (near) zero vector. */
function unit(a: Vec3): Vec3 | undefined {
  const n = norm(a);
  return n < 1e-9 ? undefined : scale(a, 1 / n);
}

/** What a frame's geometry attributes say about where its pixels are. */
export interface PlaneSource {
  rows: number;
  columns: number;
  /** mm between pixel centres: `row` between adjacent rows (down), `column` between adjacent columns (across). */
  spacing?: { row: number; column: number };
  imagePositionPatient?: Vec3;
  /** Row direction cosines (along a row, as x grows) then column direction cosines (down a column, as y grows). */
  imageOrientationPatient?: readonly [number, number, number, number, number, number];
}

/** A rectangular image in patient space. */
export interface ImagePlane {
  /** Centre of the first pixel (ImagePositionPatient). */
  origin: Vec3;
  /** Unit vector along a row (x grows). */
  rowDirection: Vec3;
  /** Unit vector down a column (y grows). */
  columnDirection: Vec3;
  /** Unit normal, rowDirection × columnDirection. */
  normal: Vec3;
  /** mm per pixel along x (between columns) and along y (between rows). */
  xSpacing: number;
  ySpacing: number;
  columns: number;
  rows: number;
}

/** The plane of a frame, or undefined when it lacks position, orientation or spacing (or they are degenerate). */
export function planeOf(frame: PlaneSource): ImagePlane | undefined {
  const { imagePositionPatient: origin, imageOrientationPatient: iop, spacing } = frame;
  if (origin === undefined || iop === undefined || spacing === undefined) return undefined;
  if (!(spacing.row > 0 && spacing.column > 0)) return undefined;
  const rowDirection = unit([iop[0], iop[1], iop[2]]);
  const columnDirection = unit([iop[3], iop[4], iop[5]]);
  if (rowDirection === undefined || columnDirection === undefined) return undefined;
  const normal = unit(cross(rowDirection, columnDirection));
  if (normal === undefined) return undefined;
  return {
    origin,
    rowDirection,
    columnDirection,
    normal,
    xSpacing: spacing.column,
    ySpacing: spacing.row,
    columns: frame.columns,
    rows: frame.rows,
  };
}

/** The normal of an ImageOrientationPatient, or undefined if degenerate. */
export function normalOf(iop: readonly [number, number, number, number, number, number]): Vec3 | undefined {
  return unit(cross([iop[0], iop[1], iop[2]], [iop[3], iop[4], iop[5]]));
}

/** Patient point of an image point (x, y in pixels, corner convention) on `plane`. */
export function imageToPatient(plane: ImagePlane, x: number, y: number): Vec3 {
  return add(
    plane.origin,
    add(
      scale(plane.rowDirection, (x - 0.5) * plane.xSpacing),
      scale(plane.columnDirection, (y - 0.5) * plane.ySpacing),
    ),
  );
}

/** Image point of a patient point projected (along the normal) onto `plane`. */
export function patientToImage(plane: ImagePlane, p: Vec3): { x: number; y: number } {
  const d = sub(p, plane.origin);
  return {
    x: dot(d, plane.rowDirection) / plane.xSpacing + 0.5,
    y: dot(d, plane.columnDirection) / plane.ySpacing + 0.5,
  };
}

/** The patient point at the centre of the image rectangle. */
export function planeCenter(plane: ImagePlane): Vec3 {
  return imageToPatient(plane, plane.columns / 2, plane.rows / 2);
}

/** Signed distance of `p` from `plane`, along its normal. */
export function distanceToPlane(plane: ImagePlane, p: Vec3): number {
  return dot(sub(p, plane.origin), plane.normal);
}

/** |cos| of the angle between two normals: 1 for parallel planes, 0 for perpendicular ones. */
export function parallelism(a: Vec3, b: Vec3): number {
  return Math.abs(dot(a, b));
}

/** A line in patient space. */
export interface Line3 {
  point: Vec3;
  /** Unit vector. */
  direction: Vec3;
}

/**
 * Where two planes meet: undefined when they are parallel (|sin| of the angle between them below
 * `minSine`, about 0.6° by default), so nearly parallel slices give no wild line far outside both images.
 */
export function planeIntersection(a: ImagePlane, b: ImagePlane, minSine = 0.01): Line3 | undefined {
  const u = cross(a.normal, b.normal);
  const sine = norm(u);
  if (sine < minSine) return undefined;
  const direction = scale(u, 1 / sine);
  // The point of the line nearest the origin: p = (d1 (n2 × u) + d2 (u × n1)) / |u|², with di = ni · pi.
  const d1 = dot(a.normal, a.origin);
  const d2 = dot(b.normal, b.origin);
  const point = scale(add(scale(cross(b.normal, u), d1), scale(cross(u, a.normal), d2)), 1 / (sine * sine));
  return { point, direction };
}

/**
 * Clips the parameter range [t0, t1] of the line p(t) = p + t·d so that p(t) stays inside the image
 * rectangle of `plane` ([0, columns] × [0, rows] in image coordinates). Liang–Barsky; undefined when empty.
 */
function clipToRectangle(
  plane: ImagePlane,
  line: Line3,
  range: [number, number],
): [number, number] | undefined {
  const start = patientToImage(plane, line.point);
  const dx = dot(line.direction, plane.rowDirection) / plane.xSpacing;
  const dy = dot(line.direction, plane.columnDirection) / plane.ySpacing;
  let [t0, t1] = range;
  // Each edge as p + q·t ≥ 0.
  const edges: Array<[number, number]> = [
    [start.x, dx],
    [plane.columns - start.x, -dx],
    [start.y, dy],
    [plane.rows - start.y, -dy],
  ];
  for (const [p, q] of edges) {
    if (Math.abs(q) < 1e-12) {
      if (p < 0) return undefined;
      continue;
    }
    const t = -p / q;
    if (q > 0) t0 = Math.max(t0, t);
    else t1 = Math.min(t1, t);
    if (t0 > t1) return undefined;
  }
  return [t0, t1];
}

export interface Segment2 {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * The reference line of `source` on `target`: where the source slice's plane cuts the target image, in the
 * target's image coordinates, clipped to the target image rectangle and (unless `clipToSource` is false) to
 * the part of the line the source image itself covers. Undefined when the planes are parallel or the line
 * misses either image.
 */
export function referenceLine(
  source: ImagePlane,
  target: ImagePlane,
  options: { clipToSource?: boolean; minSine?: number } = {},
): Segment2 | undefined {
  const line = planeIntersection(source, target, options.minSine);
  if (line === undefined) return undefined;
  let range: [number, number] | undefined = [-Infinity, Infinity];
  range = clipToRectangle(target, line, range);
  if (range !== undefined && options.clipToSource !== false) range = clipToRectangle(source, line, range);
  if (range === undefined || !Number.isFinite(range[0]) || !Number.isFinite(range[1])) return undefined;
  const a = patientToImage(target, add(line.point, scale(line.direction, range[0])));
  const b = patientToImage(target, add(line.point, scale(line.direction, range[1])));
  return { x0: a.x, y0: a.y, x1: b.x, y1: b.y };
}
