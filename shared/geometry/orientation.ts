/**
 * Orientation markers: the patient direction each edge of a viewport faces, from ImageOrientationPatient
 * and how the image is turned on screen. Letters follow DICOM's patient coordinate system (LPS): +x is the
 * patient's Left, +y Posterior, +z Head; their opposites Right, Anterior, Feet.
 */
import { normalize, orientationAxes, type Spacing, type Vec3 } from "./vector.js";

/**
 * A component of a direction takes part in its label when it is at least this large (unit vector): 0.2,
 * about 11.5° off the main axis. A direction within that of an axis reads as one letter; beyond it, as two
 * or three letters by decreasing size ("LA" is mostly left, somewhat anterior).
 */
export const OBLIQUE_THRESHOLD = 0.2;

/** The letters of a patient direction (any length): its components at or above the threshold, largest first. */
export function orientationLabel(direction: Vec3, threshold = OBLIQUE_THRESHOLD): string {
  const unit = normalize(direction);
  const letters: Array<{ size: number; letter: string }> = [
    { size: Math.abs(unit[0]), letter: unit[0] < 0 ? "R" : "L" },
    { size: Math.abs(unit[1]), letter: unit[1] < 0 ? "A" : "P" },
    { size: Math.abs(unit[2]), letter: unit[2] < 0 ? "F" : "H" },
  ];
  return letters
    .filter((entry) => entry.size > 0 && entry.size >= threshold - 1e-9)
    .sort((a, b) => b.size - a.size)
    .map((entry) => entry.letter)
    .join("");
}

/**
 * A 2×2 matrix, row-major: (x, y) ↦ (m[0]·x + m[1]·y, m[2]·x + m[3]·y). Screen and image axes both point
 * right (x) and down (y).
 */
export type Mat2 = readonly [number, number, number, number];

export const IDENTITY2: Mat2 = [1, 0, 0, 1];

export function multiply2(a: Mat2, b: Mat2): Mat2 {
  return [
    a[0] * b[0] + a[1] * b[2],
    a[0] * b[1] + a[1] * b[3],
    a[2] * b[0] + a[3] * b[2],
    a[2] * b[1] + a[3] * b[3],
  ];
}

export function invert2(m: Mat2): Mat2 {
  const det = m[0] * m[3] - m[1] * m[2];
  if (det === 0) throw new Error("singular 2×2 matrix");
  return [m[3] / det, -m[1] / det, -m[2] / det, m[0] / det];
}

export function apply2(m: Mat2, x: number, y: number): [number, number] {
  return [m[0] * x + m[1] * y, m[2] * x + m[3] * y];
}

/** Rotation by `degrees` clockwise as seen on a y-down screen; exact for multiples of 90°. */
export function rotation2(degrees: number): Mat2 {
  const turns = (((degrees % 360) + 360) % 360) / 90;
  if (Number.isInteger(turns)) {
    const table: Mat2[] = [
      [1, 0, 0, 1],
      [0, -1, 1, 0],
      [-1, 0, 0, -1],
      [0, 1, -1, 0],
    ];
    return table[turns]!;
  }
  const r = (degrees * Math.PI) / 180;
  const c = Math.cos(r);
  const s = Math.sin(r);
  return [c, -s, s, c];
}

export interface ViewOrientation {
  /** Degrees clockwise on screen. */
  rotation: number;
  flipHorizontal: boolean;
  flipVertical: boolean;
}

/**
 * How image directions turn into screen directions for a view: the flips mirror the image about its own
 * axes first, then it is rotated clockwise — `rotation2(rotation) · flips`. (This is the order the image
 * core applies; `ViewTransform` in renderer/src/lib/viewer-contract.ts.)
 */
export function viewMatrix(view: ViewOrientation): Mat2 {
  const flips: Mat2 = [view.flipHorizontal ? -1 : 1, 0, 0, view.flipVertical ? -1 : 1];
  return multiply2(rotation2(view.rotation), flips);
}

export interface EdgeLabels {
  top: string;
  right: string;
  bottom: string;
  left: string;
}

/**
 * The patient direction at each edge of the viewport. `imageToScreen` maps an image direction (pixels) to
 * the screen direction it is drawn in (any scale); the edge faces the patient direction of the image
 * direction drawn towards it. Spacing weighs the image axes, so that a turn other than 90° on non-square
 * pixels still reads right.
 */
export function edgeLabels(
  imageOrientationPatient: readonly number[],
  imageToScreen: Mat2,
  spacing: Spacing = { row: 1, column: 1 },
  threshold = OBLIQUE_THRESHOLD,
): EdgeLabels {
  const { row, column } = orientationAxes(imageOrientationPatient);
  const screenToImage = invert2(imageToScreen);
  const label = (sx: number, sy: number) => {
    const [ix, iy] = apply2(screenToImage, sx, sy);
    const a = ix * spacing.column;
    const b = iy * spacing.row;
    return orientationLabel(
      [a * row[0] + b * column[0], a * row[1] + b * column[1], a * row[2] + b * column[2]],
      threshold,
    );
  };
  return { top: label(0, -1), right: label(1, 0), bottom: label(0, 1), left: label(-1, 0) };
}

/** The conventional name of an acquisition plane, from the normal's dominant axis; "oblique" past the threshold. */
export function planeName(
  imageOrientationPatient: readonly number[],
  threshold = OBLIQUE_THRESHOLD,
): "axial" | "coronal" | "sagittal" | "oblique" {
  const { normal } = orientationAxes(imageOrientationPatient);
  const sizes = normal.map(Math.abs);
  const sorted = [...sizes].sort((a, b) => b - a);
  if ((sorted[1] ?? 0) >= threshold) return "oblique";
  const axis = sizes.indexOf(sorted[0]!);
  return axis === 2 ? "axial" : axis === 1 ? "coronal" : "sagittal";
}
