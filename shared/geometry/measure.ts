/**
 * Measurement maths on image points (pixels; (0, 0) is the top-left corner of the first pixel): lengths,
 * angles, the Cobb angle and areas, in mm where the image is calibrated and in pixels where it is not.
 */
import type { Point2, Spacing } from "./vector.js";

/** Where a frame's pixel size comes from (FrameInfo.spacing in the renderer). */
export interface SpacingSource extends Spacing {
  source: "PixelSpacing" | "ImagerPixelSpacing";
}

export const NOT_CALIBRATED_AT_PATIENT = "not calibrated at patient";
export const UNCALIBRATED = "no pixel spacing: pixels";

/**
 * How to turn pixels into lengths: PixelSpacing gives mm at the patient; ImagerPixelSpacing only mm at the
 * detector (projection radiography: magnified by the source–object geometry), shown with a notice; without
 * either, lengths are in pixels and the notice says so.
 */
export interface Calibration {
  unit: "mm" | "px";
  /** mm (or 1 px) per pixel step along rows (vertical) and columns (horizontal). */
  spacing: Spacing;
  /** A notice to show beside every value, when the numbers are not mm at the patient. */
  notice?: string;
}

export function calibrationOf(spacing: SpacingSource | undefined): Calibration {
  if (spacing && spacing.row > 0 && spacing.column > 0 && Number.isFinite(spacing.row + spacing.column)) {
    const mm = { row: spacing.row, column: spacing.column };
    return spacing.source === "PixelSpacing"
      ? { unit: "mm", spacing: mm }
      : { unit: "mm", spacing: mm, notice: NOT_CALIBRATED_AT_PATIENT };
  }
  return { unit: "px", spacing: { row: 1, column: 1 }, notice: UNCALIBRATED };
}

/** The physical step between two image points: x along rows (column spacing), y down columns (row spacing). */
export function delta(a: Point2, b: Point2, spacing: Spacing): { dx: number; dy: number } {
  return { dx: (b.x - a.x) * spacing.column, dy: (b.y - a.y) * spacing.row };
}

export function distance(a: Point2, b: Point2, spacing: Spacing = { row: 1, column: 1 }): number {
  const { dx, dy } = delta(a, b, spacing);
  return Math.hypot(dx, dy);
}

/** Polyline length. */
export function pathLength(points: readonly Point2[], spacing?: Spacing): number {
  let total = 0;
  for (let i = 1; i < points.length; i++) total += distance(points[i - 1]!, points[i]!, spacing);
  return total;
}

function degrees(radians: number): number {
  return (radians * 180) / Math.PI;
}

/** The angle at `vertex` between the rays to `a` and `c`, 0–180°, in physical space; NaN if a ray is empty. */
export function angleAt(
  a: Point2,
  vertex: Point2,
  c: Point2,
  spacing: Spacing = { row: 1, column: 1 },
): number {
  const u = delta(vertex, a, spacing);
  const v = delta(vertex, c, spacing);
  const nu = Math.hypot(u.dx, u.dy);
  const nv = Math.hypot(v.dx, v.dy);
  if (nu === 0 || nv === 0) return NaN;
  // atan2 of cross and dot is exact near 0° and 180°, where acos loses digits.
  return degrees(Math.atan2(Math.abs(u.dx * v.dy - u.dy * v.dx), u.dx * v.dx + u.dy * v.dy));
}

/**
 * The Cobb angle: the angle between two lines (each given by two points, drawn along the end plates of the
 * end vertebrae), 0–90° — lines have no direction, so the acute angle between them. NaN for an empty line.
 */
export function cobbAngle(
  line1: readonly [Point2, Point2],
  line2: readonly [Point2, Point2],
  spacing: Spacing = { row: 1, column: 1 },
): number {
  const u = delta(line1[0], line1[1], spacing);
  const v = delta(line2[0], line2[1], spacing);
  if (Math.hypot(u.dx, u.dy) === 0 || Math.hypot(v.dx, v.dy) === 0) return NaN;
  const angle = degrees(Math.atan2(Math.abs(u.dx * v.dy - u.dy * v.dx), u.dx * v.dx + u.dy * v.dy));
  return angle > 90 ? 180 - angle : angle;
}

/** Area of a simple polygon (shoelace), in mm² (or px²). */
export function polygonArea(points: readonly Point2[], spacing: Spacing = { row: 1, column: 1 }): number {
  let twice = 0;
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    const q = points[(i + 1) % points.length]!;
    twice += p.x * q.y - q.x * p.y;
  }
  return (Math.abs(twice) / 2) * spacing.row * spacing.column;
}

/** The axis-aligned box spanned by two corner points (in either order). */
export function boxOf(a: Point2, b: Point2): { x0: number; y0: number; x1: number; y1: number } {
  return { x0: Math.min(a.x, b.x), y0: Math.min(a.y, b.y), x1: Math.max(a.x, b.x), y1: Math.max(a.y, b.y) };
}

/** Area of the rectangle with corners a and b. */
export function rectangleArea(a: Point2, b: Point2, spacing: Spacing = { row: 1, column: 1 }): number {
  return Math.abs(b.x - a.x) * spacing.column * Math.abs(b.y - a.y) * spacing.row;
}

/** Area of the axis-aligned ellipse inscribed in the box with corners a and b: π·a·b. */
export function ellipseArea(a: Point2, b: Point2, spacing: Spacing = { row: 1, column: 1 }): number {
  return (Math.PI / 4) * Math.abs(b.x - a.x) * spacing.column * Math.abs(b.y - a.y) * spacing.row;
}

/** Whether a point lies inside (or on) the axis-aligned ellipse inscribed in the box with corners a and b. */
export function ellipseContains(a: Point2, b: Point2): (point: Point2) => boolean {
  const cx = (a.x + b.x) / 2;
  const cy = (a.y + b.y) / 2;
  const rx = Math.abs(b.x - a.x) / 2;
  const ry = Math.abs(b.y - a.y) / 2;
  if (rx === 0 || ry === 0) return () => false;
  return (point) => {
    const u = (point.x - cx) / rx;
    const v = (point.y - cy) / ry;
    return u * u + v * v <= 1;
  };
}

/** Whether a point lies inside (or on) the rectangle with corners a and b. */
export function rectangleContains(a: Point2, b: Point2): (point: Point2) => boolean {
  const box = boxOf(a, b);
  return (point) => point.x >= box.x0 && point.x <= box.x1 && point.y >= box.y0 && point.y <= box.y1;
}

/** The shortest distance from p to the segment a–b (image units), for picking. */
export function distanceToSegment(p: Point2, a: Point2, b: Point2): number {
  const vx = b.x - a.x;
  const vy = b.y - a.y;
  const length2 = vx * vx + vy * vy;
  const t = length2 === 0 ? 0 : Math.max(0, Math.min(1, ((p.x - a.x) * vx + (p.y - a.y) * vy) / length2));
  return Math.hypot(p.x - (a.x + t * vx), p.y - (a.y + t * vy));
}
