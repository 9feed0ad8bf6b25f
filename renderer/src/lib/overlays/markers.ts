/**
 * Orientation markers for a viewport: the patient direction at each edge, from the frame's
 * ImageOrientationPatient and how the viewport actually maps the screen onto the image (its
 * canvasToImage), so rotation, flips and any future turn are accounted for exactly as drawn.
 */
import { type EdgeLabels, edgeLabels, type Mat2 } from "../../../../shared/geometry/orientation";
import type { FrameInfo, ImagePoint } from "../viewer-contract";

/** The linear part of image → screen, measured from the viewport's own canvas → image mapping. */
export function imageToScreenOf(canvasToImage: (point: { x: number; y: number }) => ImagePoint): Mat2 {
  const o = canvasToImage({ x: 0, y: 0 });
  const ex = canvasToImage({ x: 1, y: 0 });
  const ey = canvasToImage({ x: 0, y: 1 });
  // Columns of screen → image are the images of the screen axes; image → screen is its inverse.
  const a = ex.x - o.x;
  const b = ey.x - o.x;
  const c = ex.y - o.y;
  const d = ey.y - o.y;
  const det = a * d - b * c;
  if (det === 0 || !Number.isFinite(det)) return [1, 0, 0, 1];
  return [d / det, -b / det, -c / det, a / det];
}

/** The four edge labels, or undefined when the frame has no orientation (secondary captures, some CR). */
export function markersFor(
  frame: FrameInfo | undefined,
  canvasToImage: (point: { x: number; y: number }) => ImagePoint,
): EdgeLabels | undefined {
  const iop = frame?.imageOrientationPatient;
  if (!iop) return undefined;
  return edgeLabels(iop, imageToScreenOf(canvasToImage), frame.spacing ?? { row: 1, column: 1 });
}
