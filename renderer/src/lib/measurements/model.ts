/**
 * Measurements and annotations in the viewer: what one is (its kind and points in image coordinates, as the
 * app API stores it), what it reads (mm, degrees, HU statistics — derived from the points and the frame
 * every time it is shown), and how a pointer finds it (handles and outline, in canvas units). Pure: the
 * frame's values come in through `MeasureContext`.
 */
import type { MeasurementKind } from "../../../../shared/api/measurements";
import { POINT_COUNT } from "../../../../shared/api/measurements";
import {
  type Calibration,
  type SpacingSource,
  angleAt,
  boxOf,
  calibrationOf,
  cobbAngle,
  distance,
  distanceToSegment,
  ellipseArea,
  ellipseContains,
  rectangleArea,
  rectangleContains,
} from "../../../../shared/geometry/measure";
import type { Point2 } from "../../../../shared/geometry/vector";
import { type RoiStatistics, roiStatistics } from "./stats";

export type { MeasurementKind };
export { POINT_COUNT };

/** One drawn object on one frame of one instance. */
export interface Annotation {
  id: string;
  sopInstanceUid: string;
  frameNumber: number;
  kind: MeasurementKind;
  points: Point2[];
  text?: string;
}

/** What a measurement needs from the frame it is drawn on. */
export interface MeasureContext {
  /** FrameInfo.spacing. */
  spacing?: SpacingSource;
  /** Units of the modality values: "HU" for CT; undefined when unknown. */
  units?: string;
  /** The modality value at a point; undefined outside the image (and for colour images). */
  valueAt(point: Point2): number | undefined;
  valuesIn(
    contains: (point: Point2) => boolean,
    bounds: { x0: number; y0: number; x1: number; y1: number },
  ): Float64Array;
}

export interface Reading {
  /** The lines to show beside the object, most important first. */
  lines: string[];
  /** Shown with the value when it is not mm at the patient ("not calibrated at patient", pixels). */
  notice?: string;
  /** The main number: mm (or px) for a length, degrees for angles, the mean for a region, the value for a probe. */
  value?: number;
  unit?: string;
  stats?: RoiStatistics & { area: number; areaUnit: string };
}

/** A random id (UUID v4 form). `crypto.randomUUID` exists only in secure contexts; plain HTTP on a LAN is not one. */
export function newId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A value in its units: integers as they are (CT HU), others to one decimal. */
export function formatValue(value: number, units?: string): string {
  const text = Number.isInteger(value) ? String(value) : value.toFixed(1);
  return units ? `${text} ${units}` : text;
}

function lengthUnit(calibration: Calibration): string {
  return calibration.unit === "mm" ? "mm" : "px";
}

function areaUnit(calibration: Calibration): string {
  return calibration.unit === "mm" ? "mm²" : "px²";
}

/** What the object reads on its frame. */
export function readingOf(annotation: Annotation, context: MeasureContext): Reading {
  const calibration = calibrationOf(context.spacing);
  const notice = calibration.notice;
  const p = annotation.points;
  const withNotice = (reading: Reading): Reading => (notice ? { ...reading, notice } : reading);
  switch (annotation.kind) {
    case "length": {
      const value = distance(p[0]!, p[1]!, calibration.spacing);
      const unit = lengthUnit(calibration);
      return withNotice({ lines: [`${value.toFixed(1)} ${unit}`], value, unit });
    }
    case "angle": {
      const value = angleAt(p[0]!, p[1]!, p[2] ?? p[1]!, calibration.spacing);
      return { lines: [Number.isNaN(value) ? "—°" : `${value.toFixed(1)}°`], value, unit: "°" };
    }
    case "cobb": {
      const value = cobbAngle([p[0]!, p[1]!], [p[2] ?? p[0]!, p[3] ?? p[1]!], calibration.spacing);
      return { lines: [Number.isNaN(value) ? "Cobb —°" : `Cobb ${value.toFixed(1)}°`], value, unit: "°" };
    }
    case "ellipse":
    case "rectangle": {
      const [a, b] = [p[0]!, p[1]!];
      const area = (annotation.kind === "ellipse" ? ellipseArea : rectangleArea)(a, b, calibration.spacing);
      const contains = (annotation.kind === "ellipse" ? ellipseContains : rectangleContains)(a, b);
      const stats = roiStatistics(context.valuesIn(contains, boxOf(a, b)));
      const unit = context.units;
      const areaText = `Area ${area.toFixed(1)} ${areaUnit(calibration)}`;
      if (!stats) return withNotice({ lines: [areaText] });
      return withNotice({
        lines: [
          `Mean ${formatMean(stats.mean)}${unit ? ` ${unit}` : ""}  SD ${stats.sd.toFixed(1)}`,
          `Min ${formatValue(stats.min)}  Max ${formatValue(stats.max)}`,
          areaText,
        ],
        value: stats.mean,
        ...(unit ? { unit } : {}),
        stats: { ...stats, area, areaUnit: areaUnit(calibration) },
      });
    }
    case "probe": {
      const value = context.valueAt(p[0]!);
      return value === undefined
        ? { lines: ["—"] }
        : {
            lines: [formatValue(value, context.units)],
            value,
            ...(context.units ? { unit: context.units } : {}),
          };
    }
    case "arrow":
    case "text":
      return { lines: annotation.text ? [annotation.text] : [] };
  }
}

function formatMean(mean: number): string {
  return mean.toFixed(1);
}

/** Where the object's label goes, in image coordinates. */
export function labelAnchor(annotation: Annotation): Point2 {
  const p = annotation.points;
  switch (annotation.kind) {
    case "length":
      return p[1]!.x >= p[0]!.x ? p[1]! : p[0]!;
    case "angle":
      return p[1]!;
    case "cobb":
      return midpoint(p[2] ?? p[0]!, p[3] ?? p[1]!);
    case "ellipse":
    case "rectangle": {
      const box = boxOf(p[0]!, p[1]!);
      return { x: box.x1, y: box.y0 };
    }
    case "arrow":
      return p[0]!;
    case "text":
    case "probe":
      return p[0]!;
  }
}

function midpoint(a: Point2, b: Point2): Point2 {
  return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
}

/** Every point of the object is a handle that can be dragged. */
export function handlesOf(annotation: Annotation): Point2[] {
  return annotation.points;
}

export type ToCanvas = (point: Point2) => Point2;

/** The index of the handle within `radius` canvas units of `at` (the nearest), or -1. */
export function handleAt(annotation: Annotation, toCanvas: ToCanvas, at: Point2, radius: number): number {
  let best = -1;
  let bestDistance = radius;
  handlesOf(annotation).forEach((point, index) => {
    const c = toCanvas(point);
    const d = Math.hypot(c.x - at.x, c.y - at.y);
    if (d <= bestDistance) {
      best = index;
      bestDistance = d;
    }
  });
  return best;
}

/** The object's outline as canvas polylines (what is drawn and what a pointer can pick). */
export function outlineOf(annotation: Annotation, toCanvas: ToCanvas): Point2[][] {
  const p = annotation.points;
  switch (annotation.kind) {
    case "length":
    case "arrow":
      return [[toCanvas(p[0]!), toCanvas(p[1]!)]];
    case "angle":
      return [p.slice(0, 3).map(toCanvas)];
    case "cobb":
      return [
        [toCanvas(p[0]!), toCanvas(p[1]!)],
        ...(p.length >= 4 ? [[toCanvas(p[2]!), toCanvas(p[3]!)]] : []),
      ];
    case "rectangle": {
      const box = boxOf(p[0]!, p[1]!);
      const corners = [
        { x: box.x0, y: box.y0 },
        { x: box.x1, y: box.y0 },
        { x: box.x1, y: box.y1 },
        { x: box.x0, y: box.y1 },
        { x: box.x0, y: box.y0 },
      ];
      return [corners.map(toCanvas)];
    }
    case "ellipse": {
      const box = boxOf(p[0]!, p[1]!);
      const cx = (box.x0 + box.x1) / 2;
      const cy = (box.y0 + box.y1) / 2;
      const rx = (box.x1 - box.x0) / 2;
      const ry = (box.y1 - box.y0) / 2;
      const steps = 72;
      const ring: Point2[] = [];
      for (let i = 0; i <= steps; i++) {
        const t = (2 * Math.PI * i) / steps;
        ring.push(toCanvas({ x: cx + rx * Math.cos(t), y: cy + ry * Math.sin(t) }));
      }
      return [ring];
    }
    case "text":
    case "probe":
      return [[toCanvas(p[0]!)]];
  }
}

/** Whether `at` lies within `tolerance` canvas units of the object's outline. */
export function hitsOutline(
  annotation: Annotation,
  toCanvas: ToCanvas,
  at: Point2,
  tolerance: number,
): boolean {
  for (const line of outlineOf(annotation, toCanvas)) {
    if (line.length === 1) {
      if (Math.hypot(line[0]!.x - at.x, line[0]!.y - at.y) <= tolerance) return true;
      continue;
    }
    for (let i = 1; i < line.length; i++) {
      if (distanceToSegment(at, line[i - 1]!, line[i]!) <= tolerance) return true;
    }
  }
  return false;
}

/** The object moved by (dx, dy) image units. */
export function translated(annotation: Annotation, dx: number, dy: number): Annotation {
  return { ...annotation, points: annotation.points.map((p) => ({ x: p.x + dx, y: p.y + dy })) };
}

/** The object with one handle moved to `to`. */
export function withHandle(annotation: Annotation, index: number, to: Point2): Annotation {
  return { ...annotation, points: annotation.points.map((p, i) => (i === index ? { x: to.x, y: to.y } : p)) };
}

/** Whether the object is complete and worth keeping (a click without a drag makes no length). */
export function isComplete(annotation: Annotation, minimumCanvasSize: number, toCanvas: ToCanvas): boolean {
  if (annotation.points.length !== POINT_COUNT[annotation.kind]) return false;
  if (annotation.kind === "text") return !!annotation.text?.trim();
  if (annotation.kind === "probe") return true;
  const c = annotation.points.map(toCanvas);
  const span = (a: Point2, b: Point2) => Math.hypot(a.x - b.x, a.y - b.y);
  if (annotation.kind === "cobb")
    return span(c[0]!, c[1]!) >= minimumCanvasSize && span(c[2]!, c[3]!) >= minimumCanvasSize;
  return span(c[0]!, c[1]!) >= minimumCanvasSize;
}
