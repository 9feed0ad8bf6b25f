/**
 * The view transform as a 2D affine map between image pixels and viewport CSS pixels (pure, for the unit
 * tests): canvas = viewportCentre + scale · R(rotation) · F(flips) · A · (image − center), where A
 * stretches rows by the pixel aspect ratio (row spacing / column spacing), so non-square pixels show at
 * their true shape, F mirrors about the image's own axes and R turns clockwise on the y-down screen.
 */
import type { CanvasPoint, ImagePoint, ViewTransform } from "../viewer-contract";

/** x' = a·x + c·y + e, y' = b·x + d·y + f (the layout of DOMMatrix's 2D part). */
export interface Affine {
  a: number;
  b: number;
  c: number;
  d: number;
  e: number;
  f: number;
}

export interface Size {
  width: number;
  height: number;
}

/** cos and sin of a clockwise turn, exact for multiples of 90°. */
function turn(degrees: number): [number, number] {
  const quarter = (((degrees % 360) + 360) % 360) / 90;
  if (Number.isInteger(quarter))
    return (
      [
        [1, 0],
        [0, 1],
        [-1, 0],
        [0, -1],
      ] as const
    )[quarter]! as [number, number];
  const r = (degrees * Math.PI) / 180;
  return [Math.cos(r), Math.sin(r)];
}

export function imageToCanvasMatrix(t: ViewTransform, viewport: Size, aspect = 1): Affine {
  const [cos, sin] = turn(t.rotation);
  const fx = t.flipHorizontal ? -1 : 1;
  const fy = t.flipVertical ? -aspect : aspect;
  // M = s · R · diag(fx, fy); R = [[cos, −sin], [sin, cos]] (clockwise on a y-down screen).
  const a = t.scale * cos * fx;
  const b = t.scale * sin * fx;
  const c = -t.scale * sin * fy;
  const d = t.scale * cos * fy;
  return {
    a,
    b,
    c,
    d,
    e: viewport.width / 2 - (a * t.center.x + c * t.center.y),
    f: viewport.height / 2 - (b * t.center.x + d * t.center.y),
  };
}

export function applyAffine(m: Affine, p: { x: number; y: number }): { x: number; y: number } {
  return { x: m.a * p.x + m.c * p.y + m.e, y: m.b * p.x + m.d * p.y + m.f };
}

export function invertAffine(m: Affine): Affine {
  const det = m.a * m.d - m.b * m.c;
  if (det === 0) throw new Error("the view transform is singular (scale 0)");
  return {
    a: m.d / det,
    b: -m.b / det,
    c: -m.c / det,
    d: m.a / det,
    e: (m.c * m.f - m.d * m.e) / det,
    f: (m.b * m.e - m.a * m.f) / det,
  };
}

export function imageToCanvas(t: ViewTransform, viewport: Size, point: ImagePoint, aspect = 1): CanvasPoint {
  return applyAffine(imageToCanvasMatrix(t, viewport, aspect), point);
}

export function canvasToImage(t: ViewTransform, viewport: Size, point: CanvasPoint, aspect = 1): ImagePoint {
  return applyAffine(invertAffine(imageToCanvasMatrix(t, viewport, aspect)), point);
}

/** The transform that shows the whole image as large as fits, centred, keeping rotation and flips. */
export function fitTransform(
  image: { columns: number; rows: number },
  viewport: Size,
  base: Pick<ViewTransform, "rotation" | "flipHorizontal" | "flipVertical" | "invert">,
  aspect = 1,
): ViewTransform {
  const [cos, sin] = turn(base.rotation);
  const w = image.columns;
  const h = image.rows * aspect;
  const boxWidth = Math.abs(w * cos) + Math.abs(h * sin);
  const boxHeight = Math.abs(w * sin) + Math.abs(h * cos);
  const scale =
    viewport.width > 0 && viewport.height > 0
      ? Math.min(viewport.width / boxWidth, viewport.height / boxHeight)
      : 1;
  return { ...base, scale, center: { x: image.columns / 2, y: image.rows / 2 } };
}

/** Column-major 3×3 for WebGL: image pixels → clip space, for a drawing buffer of `device` pixels showing `viewport` CSS pixels. */
export function clipMatrix(m: Affine, viewport: Size): Float32Array {
  // clip.x = 2·x/width − 1, clip.y = 1 − 2·y/height (CSS pixels; the buffer covers the same area).
  const sx = 2 / viewport.width;
  const sy = -2 / viewport.height;
  return new Float32Array([m.a * sx, m.b * sy, 0, m.c * sx, m.d * sy, 0, m.e * sx - 1, m.f * sy + 1, 1]);
}

/** Device pixels per image pixel along the smaller axis (nearest sampling at ≥ 1, bilinear below). */
export function devicePixelsPerImagePixel(t: ViewTransform, devicePixelRatio: number, aspect = 1): number {
  return t.scale * devicePixelRatio * Math.min(1, aspect);
}
