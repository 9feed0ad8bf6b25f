/**
 * The view operations the tools perform, as pure functions of the view state: turning and mirroring as the
 * user sees the screen, zoom about a point, pan, window/level from a drag, and stack navigation keys. Turns
 * and mirrors rely on the transform convention of the viewer contract (canvas = viewportCentre + scale ·
 * R(rotation) · F(flips) · A · (image − centre), A the pixel aspect); zoom and pan use the viewport's own
 * canvas → image mapping, so they hold for any transform.
 */
import type { ViewTransform, Voi } from "../viewer-contract";

function normalizeDegrees(degrees: number): number {
  return ((degrees % 360) + 360) % 360;
}

/** The picture on screen turned 90° clockwise (R(90)·R(θ)·F = R(θ+90)·F). */
export function rotateClockwise(t: ViewTransform): ViewTransform {
  return { ...t, rotation: normalizeDegrees(t.rotation + 90) };
}

export function rotateCounterClockwise(t: ViewTransform): ViewTransform {
  return { ...t, rotation: normalizeDegrees(t.rotation - 90) };
}

/**
 * The picture on screen mirrored left–right, whatever its rotation: a screen mirror M·R(θ) equals
 * R(−θ)·M, so the image-axis flip toggles and the rotation changes sign.
 */
export function flipScreenHorizontal(t: ViewTransform): ViewTransform {
  return { ...t, rotation: normalizeDegrees(-t.rotation), flipHorizontal: !t.flipHorizontal };
}

/** The picture on screen mirrored top–bottom, whatever its rotation. */
export function flipScreenVertical(t: ViewTransform): ViewTransform {
  return { ...t, rotation: normalizeDegrees(-t.rotation), flipVertical: !t.flipVertical };
}

export function toggleInvert(t: ViewTransform): ViewTransform {
  return { ...t, invert: !t.invert };
}

/** The viewport's canvas → image mapping for its current transform (ViewportApi.canvasToImage). */
export type CanvasToImage = (point: { x: number; y: number }) => { x: number; y: number };

/**
 * Zoom by `factor`, keeping the image point under `at` (canvas) where it is. Only the scale changes in
 * the mapping's linear part, so the offset from the centre shrinks by the same factor, whatever the
 * rotation, flips or pixel aspect.
 */
export function zoomAbout(
  t: ViewTransform,
  factor: number,
  at: { x: number; y: number },
  canvasToImage: CanvasToImage,
  limits: { min: number; max: number } = { min: 0.02, max: 64 },
): ViewTransform {
  const scale = Math.min(limits.max, Math.max(limits.min, t.scale * factor));
  const fixed = canvasToImage(at);
  const k = t.scale / scale;
  return {
    ...t,
    scale,
    center: { x: fixed.x - (fixed.x - t.center.x) * k, y: fixed.y - (fixed.y - t.center.y) * k },
  };
}

/** Moves the picture by (dx, dy) CSS pixels on screen. */
export function panBy(t: ViewTransform, dx: number, dy: number, canvasToImage: CanvasToImage): ViewTransform {
  const from = canvasToImage({ x: 0, y: 0 });
  const to = canvasToImage({ x: dx, y: dy });
  return { ...t, center: { x: t.center.x - (to.x - from.x), y: t.center.y - (to.y - from.y) } };
}

/** One image pixel per device pixel, about the same image centre. */
export function oneToOne(t: ViewTransform, devicePixelRatio: number): ViewTransform {
  return { ...t, scale: 1 / devicePixelRatio };
}

/** Zoom factor of a vertical drag: up zooms in, 200 CSS pixels double or halve. */
export function dragZoomFactor(dy: number): number {
  return Math.pow(2, -dy / 200);
}

/**
 * Window/level from a drag: right widens the window, down raises the centre (the image darkens), both in
 * steps proportional to the width, so a CT and an 8-bit image feel alike. The width stays at least 1.
 */
export function windowDrag(voi: Voi, dx: number, dy: number): Voi {
  const step = Math.max(1, voi.width / 256);
  return { ...voi, width: Math.max(1, voi.width + dx * step), center: voi.center + dy * step };
}

/** Where a navigation key takes the stack (0-based, clamped), or undefined for another key. */
export function navigate(key: string, index: number, length: number, page = 10): number | undefined {
  if (length === 0) return undefined;
  const clamp = (i: number) => Math.max(0, Math.min(length - 1, i));
  switch (key) {
    case "ArrowDown":
    case "ArrowRight":
      return clamp(index + 1);
    case "ArrowUp":
    case "ArrowLeft":
      return clamp(index - 1);
    case "PageDown":
      return clamp(index + page);
    case "PageUp":
      return clamp(index - page);
    case "Home":
      return 0;
    case "End":
      return length - 1;
    default:
      return undefined;
  }
}
