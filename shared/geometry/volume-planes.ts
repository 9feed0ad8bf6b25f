/**
 * The planes of a multiplanar reformat: three views (axial, coronal, sagittal) through one crosshair point,
 * each with its screen axes in patient space. Rotating the crosshair in one view turns the other two planes
 * about that view's normal, so the three stay mutually perpendicular through any number of rotations
 * (oblique, double oblique). Pure, for the renderer and the unit tests.
 */
import { add, cross, dot, normalize, scale, sub, type Point2, type Vec3 } from "./vector.js";
import { orientationLabel } from "./orientation.js";

export type MprView = "axial" | "coronal" | "sagittal";

export const MPR_VIEWS: readonly MprView[] = ["axial", "coronal", "sagittal"];

/** A view's screen axes in patient space: right and down along the screen, normal = right × down (into the screen). */
export interface PlaneAxes {
  right: Vec3;
  down: Vec3;
  normal: Vec3;
}

function axes(right: Vec3, down: Vec3): PlaneAxes {
  return { right, down, normal: cross(right, down) };
}

/**
 * The radiological conventions: axial seen from the feet (patient's left on screen right, anterior up),
 * coronal from the front (left on the right, head up), sagittal from the patient's left (anterior on the left).
 */
export const STANDARD_AXES: Readonly<Record<MprView, PlaneAxes>> = {
  axial: axes([1, 0, 0], [0, 1, 0]),
  coronal: axes([1, 0, 0], [0, 0, -1]),
  sagittal: axes([0, 1, 0], [0, 0, -1]),
};

/** Rodrigues' rotation of v about the unit axis by `radians` (right-handed). */
export function rotateVector(v: Vec3, axis: Vec3, radians: number): Vec3 {
  const k = normalize(axis);
  const cos = Math.cos(radians);
  const sin = Math.sin(radians);
  const kv = cross(k, v);
  const along = dot(k, v) * (1 - cos);
  return [
    v[0] * cos + kv[0] * sin + k[0] * along,
    v[1] * cos + kv[1] * sin + k[1] * along,
    v[2] * cos + kv[2] * sin + k[2] * along,
  ];
}

export function rotateAxes(a: PlaneAxes, axis: Vec3, radians: number): PlaneAxes {
  return axes(rotateVector(a.right, axis, radians), rotateVector(a.down, axis, radians));
}

export interface MprPlanes {
  /** The crosshair: the one point every plane passes through. */
  center: Vec3;
  axes: Readonly<Record<MprView, PlaneAxes>>;
}

export function standardPlanes(center: Vec3): MprPlanes {
  return { center, axes: { ...STANDARD_AXES } };
}

/**
 * Turns the crosshair seen in `view` by `radians` (clockwise on that view's screen, as the y-down screen
 * shows it): the other planes rotate about the view's normal; the view itself stays.
 */
export function rotateCrosshair(planes: MprPlanes, view: MprView, radians: number): MprPlanes {
  const axis = planes.axes[view].normal;
  const next = { ...planes.axes };
  for (const other of MPR_VIEWS) if (other !== view) next[other] = rotateAxes(next[other], axis, radians);
  return { ...planes, axes: next };
}

/** The signed angle (radians, clockwise on screen) of a direction seen in a view. */
export function screenAngle(a: PlaneAxes, direction: Vec3): number {
  return Math.atan2(dot(direction, a.down), dot(direction, a.right));
}

/** The direction, in a view, of the line where another view's plane cuts it (unit, patient space). */
export function crosshairLine(planes: MprPlanes, view: MprView, other: MprView): Vec3 {
  return normalize(cross(planes.axes[view].normal, planes.axes[other].normal));
}

/** How a view maps to the screen: the patient point at the canvas centre and the zoom. */
export interface ViewCamera {
  /** Patient point shown at the centre of the canvas (on the view's plane). */
  focus: Vec3;
  /** mm per CSS pixel. */
  mmPerPixel: number;
  width: number;
  height: number;
}

export function screenToWorld(a: PlaneAxes, camera: ViewCamera, point: Point2): Vec3 {
  const x = (point.x - camera.width / 2) * camera.mmPerPixel;
  const y = (point.y - camera.height / 2) * camera.mmPerPixel;
  return add(camera.focus, add(scale(a.right, x), scale(a.down, y)));
}

export function worldToScreen(a: PlaneAxes, camera: ViewCamera, point: Vec3): Point2 {
  const d = sub(point, camera.focus);
  return {
    x: camera.width / 2 + dot(d, a.right) / camera.mmPerPixel,
    y: camera.height / 2 + dot(d, a.down) / camera.mmPerPixel,
  };
}

/** A point moved along `normal` onto the plane through `center`. */
export function ontoPlane(point: Vec3, center: Vec3, normal: Vec3): Vec3 {
  return add(point, scale(normal, dot(sub(center, point), normal)));
}

/** The patient directions the four edges of a view face (letters combined for oblique planes). */
export function viewMarkers(a: PlaneAxes): { left: string; right: string; top: string; bottom: string } {
  return {
    left: orientationLabel(scale(a.right, -1)),
    right: orientationLabel(a.right),
    top: orientationLabel(scale(a.down, -1)),
    bottom: orientationLabel(a.down),
  };
}

/** Moves the crosshair by `distance` mm along a view's normal (scrolling through that view). */
export function scrollPlanes(planes: MprPlanes, view: MprView, distance: number): MprPlanes {
  return { ...planes, center: add(planes.center, scale(planes.axes[view].normal, distance)) };
}
