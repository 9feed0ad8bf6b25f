/**
 * Small vector maths for patient space (DICOM LPS, mm) and image space (pixels). Pure, allocation-light,
 * no dependencies: the renderer and the core both use it.
 */

export type Vec3 = readonly [number, number, number];

export interface Point2 {
  x: number;
  y: number;
}

/** Pixel spacing in mm: `row` between the centres of adjacent rows (vertical), `column` between adjacent columns (horizontal). */
export interface Spacing {
  row: number;
  column: number;
}

export function add(a: Vec3, b: Vec3): Vec3 {
  return [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
}

export function sub(a: Vec3, b: Vec3): Vec3 {
  return [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
}

export function scale(a: Vec3, k: number): Vec3 {
  return [a[0] * k, a[1] * k, a[2] * k];
}

export function dot(a: Vec3, b: Vec3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

export function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

export function norm(a: Vec3): number {
  return Math.hypot(a[0], a[1], a[2]);
}

/** The unit vector along a; the zero vector stays zero. */
export function normalize(a: Vec3): Vec3 {
  const n = norm(a);
  return n === 0 ? [0, 0, 0] : [a[0] / n, a[1] / n, a[2] / n];
}

/** Row and column direction cosines of ImageOrientationPatient, normalised (files often carry 5–6 digits). */
export function orientationAxes(iop: readonly number[]): { row: Vec3; column: Vec3; normal: Vec3 } {
  const row = normalize([iop[0] ?? 0, iop[1] ?? 0, iop[2] ?? 0]);
  const column = normalize([iop[3] ?? 0, iop[4] ?? 0, iop[5] ?? 0]);
  return { row, column, normal: normalize(cross(row, column)) };
}

/**
 * Patient position (mm) of an image point, where (0, 0) is the top-left corner of the first pixel and pixel
 * centres are at half-integers: the centre of pixel (column c, row r) is ImagePositionPatient.
 */
export function imagePointToPatient(
  point: Point2,
  position: Vec3,
  iop: readonly number[],
  spacing: Spacing,
): Vec3 {
  const { row, column } = orientationAxes(iop);
  const c = (point.x - 0.5) * spacing.column;
  const r = (point.y - 0.5) * spacing.row;
  return [
    position[0] + row[0] * c + column[0] * r,
    position[1] + row[1] * c + column[1] * r,
    position[2] + row[2] * c + column[2] * r,
  ];
}
