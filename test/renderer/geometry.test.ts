/**
 * shared/geometry: orientation letters for axial, coronal, sagittal and oblique planes, before and after
 * rotation and flips; lengths, areas, angles and the Cobb angle; the calibration fallback.
 */
import { describe, expect, it } from "vitest";
import {
  NOT_CALIBRATED_AT_PATIENT,
  UNCALIBRATED,
  angleAt,
  calibrationOf,
  cobbAngle,
  distance,
  ellipseArea,
  ellipseContains,
  pathLength,
  polygonArea,
  rectangleArea,
  rectangleContains,
} from "../../shared/geometry/measure.js";
import {
  edgeLabels,
  orientationLabel,
  planeName,
  viewMatrix,
  type ViewOrientation,
} from "../../shared/geometry/orientation.js";
import { imagePointToPatient } from "../../shared/geometry/vector.js";

const AXIAL = [1, 0, 0, 0, 1, 0];
const CORONAL = [1, 0, 0, 0, 0, -1];
const SAGITTAL = [0, 1, 0, 0, 0, -1];
const c30 = Math.cos(Math.PI / 6);
const s30 = Math.sin(Math.PI / 6);
const c20 = Math.cos(Math.PI / 9);
const s20 = Math.sin(Math.PI / 9);
/** 30° about the feet–head axis, then tilted 20° toward the feet (the e2e phantom's oblique plane). */
const OBLIQUE = [c30, s30, 0, -s30 * c20, c30 * c20, -s20];

const view = (rotation: number, flipHorizontal = false, flipVertical = false): ViewOrientation => ({
  rotation,
  flipHorizontal,
  flipVertical,
});
const labels = (iop: number[], v: ViewOrientation = view(0)) => edgeLabels(iop, viewMatrix(v));

describe("orientation letters", () => {
  it("names single directions by LPS", () => {
    expect(orientationLabel([1, 0, 0])).toBe("L");
    expect(orientationLabel([-1, 0, 0])).toBe("R");
    expect(orientationLabel([0, 1, 0])).toBe("P");
    expect(orientationLabel([0, -1, 0])).toBe("A");
    expect(orientationLabel([0, 0, 1])).toBe("H");
    expect(orientationLabel([0, 0, -1])).toBe("F");
  });

  it("combines the dominant components of an oblique direction, largest first", () => {
    expect(orientationLabel([0.8, -0.6, 0])).toBe("LA");
    expect(orientationLabel([-0.6, -0.8, 0])).toBe("AR");
    expect(orientationLabel([0.6, 0.6, -0.53])).toMatch(/^(LP|PL)F$/);
    // Within ~11.5° of an axis: one letter.
    expect(orientationLabel([Math.cos(0.15), Math.sin(0.15), 0])).toBe("L");
    expect(orientationLabel([Math.cos(0.25), 0, -Math.sin(0.25)])).toBe("LF");
  });

  it("reads a standard axial image (patient's right on the screen's left, anterior up)", () => {
    expect(labels(AXIAL)).toEqual({ top: "A", right: "L", bottom: "P", left: "R" });
    expect(planeName(AXIAL)).toBe("axial");
  });

  it("reads coronal and sagittal images (head up)", () => {
    expect(labels(CORONAL)).toEqual({ top: "H", right: "L", bottom: "F", left: "R" });
    expect(labels(SAGITTAL)).toEqual({ top: "H", right: "P", bottom: "F", left: "A" });
    expect(planeName(CORONAL)).toBe("coronal");
    expect(planeName(SAGITTAL)).toBe("sagittal");
  });

  it("reads a double-oblique image with combined letters", () => {
    expect(labels(OBLIQUE)).toEqual({ top: "ALH", right: "LP", bottom: "PRF", left: "RA" });
    expect(planeName(OBLIQUE)).toBe("oblique");
  });

  it("follows a 90° clockwise turn: what was on top comes to the right", () => {
    expect(labels(AXIAL, view(90))).toEqual({ top: "R", right: "A", bottom: "L", left: "P" });
    expect(labels(CORONAL, view(90))).toEqual({ top: "R", right: "H", bottom: "L", left: "F" });
    expect(labels(SAGITTAL, view(180))).toEqual({ top: "F", right: "A", bottom: "H", left: "P" });
    expect(labels(OBLIQUE, view(270))).toEqual({ top: "LP", right: "PRF", bottom: "RA", left: "ALH" });
  });

  it("follows flips about the image axes", () => {
    expect(labels(AXIAL, view(0, true))).toEqual({ top: "A", right: "R", bottom: "P", left: "L" });
    expect(labels(AXIAL, view(0, false, true))).toEqual({ top: "P", right: "L", bottom: "A", left: "R" });
    expect(labels(SAGITTAL, view(0, true, true))).toEqual({ top: "F", right: "A", bottom: "H", left: "P" });
    expect(labels(OBLIQUE, view(0, true))).toEqual({ top: "ALH", right: "RA", bottom: "PRF", left: "LP" });
    // Flip first, then turn: the flipped axial turned clockwise.
    expect(labels(AXIAL, view(90, true))).toEqual({ top: "L", right: "A", bottom: "R", left: "P" });
  });

  it("weighs the image axes by pixel spacing at angles other than 90°", () => {
    // 45° on square pixels: the screen's right is half row, half column: "LP" or "PL".
    expect(edgeLabels(AXIAL, viewMatrix(view(45))).right).toHaveLength(2);
    // The same turn on pixels 10× taller than wide: the column direction dominates.
    const tall = edgeLabels(AXIAL, viewMatrix(view(45)), { row: 10, column: 1 });
    expect(tall.right[0]).toBe("A");
  });

  it("maps image points to patient positions (pixel centres at half-integers)", () => {
    const position = [-10, -20, 30] as const;
    expect(imagePointToPatient({ x: 0.5, y: 0.5 }, position, AXIAL, { row: 2, column: 1 })).toEqual([
      -10, -20, 30,
    ]);
    expect(imagePointToPatient({ x: 10.5, y: 5.5 }, position, CORONAL, { row: 2, column: 1 })).toEqual([
      0, -20, 20,
    ]);
  });
});

describe("measurement maths", () => {
  const mm = { row: 0.5, column: 0.25 };

  it("measures lengths in physical units, each axis with its own spacing", () => {
    expect(distance({ x: 0, y: 0 }, { x: 3, y: 4 })).toBe(5);
    expect(distance({ x: 0, y: 0 }, { x: 100, y: 0 }, mm)).toBe(25);
    expect(distance({ x: 0, y: 0 }, { x: 0, y: 100 }, mm)).toBe(50);
    expect(distance({ x: 10, y: 10 }, { x: 22, y: 18 }, { row: 0.5, column: 0.5 })).toBeCloseTo(
      Math.hypot(6, 4),
      12,
    );
    expect(
      pathLength([
        { x: 0, y: 0 },
        { x: 3, y: 4 },
        { x: 3, y: 10 },
      ]),
    ).toBe(11);
  });

  it("measures areas of polygons, rectangles and ellipses", () => {
    const square = [
      { x: 0, y: 0 },
      { x: 10, y: 0 },
      { x: 10, y: 10 },
      { x: 0, y: 10 },
    ];
    expect(polygonArea(square)).toBe(100);
    expect(polygonArea([...square].reverse(), mm)).toBe(12.5);
    expect(
      polygonArea([
        { x: 0, y: 0 },
        { x: 4, y: 0 },
        { x: 0, y: 3 },
      ]),
    ).toBe(6);
    expect(rectangleArea({ x: 10, y: 20 }, { x: 0, y: 0 }, mm)).toBe(25);
    expect(ellipseArea({ x: 0, y: 0 }, { x: 20, y: 10 })).toBeCloseTo(Math.PI * 10 * 5, 12);
    expect(ellipseArea({ x: 0, y: 0 }, { x: 20, y: 10 }, mm)).toBeCloseTo(Math.PI * 2.5 * 2.5, 12);
  });

  it("tells which points an ellipse or rectangle contains", () => {
    const inEllipse = ellipseContains({ x: 0, y: 0 }, { x: 20, y: 10 });
    expect(inEllipse({ x: 10, y: 5 })).toBe(true);
    expect(inEllipse({ x: 19.9, y: 5 })).toBe(true);
    expect(inEllipse({ x: 1, y: 1 })).toBe(false);
    const inRect = rectangleContains({ x: 5, y: 5 }, { x: 1, y: 1 });
    expect(inRect({ x: 1, y: 5 })).toBe(true);
    expect(inRect({ x: 5.01, y: 3 })).toBe(false);
  });

  it("measures angles at a vertex in physical space", () => {
    expect(angleAt({ x: 10, y: 0 }, { x: 0, y: 0 }, { x: 0, y: 10 })).toBeCloseTo(90, 12);
    expect(angleAt({ x: 10, y: 0 }, { x: 0, y: 0 }, { x: 10, y: 10 })).toBeCloseTo(45, 12);
    expect(angleAt({ x: 10, y: 0 }, { x: 0, y: 0 }, { x: -10, y: 0 })).toBeCloseTo(180, 12);
    // Pixels twice as tall as wide: (10, 10) px is (10, 20) mm, 63.43° from the row.
    expect(angleAt({ x: 10, y: 0 }, { x: 0, y: 0 }, { x: 10, y: 10 }, { row: 2, column: 1 })).toBeCloseTo(
      (Math.atan2(20, 10) * 180) / Math.PI,
      12,
    );
    expect(angleAt({ x: 0, y: 0 }, { x: 0, y: 0 }, { x: 1, y: 1 })).toBeNaN();
  });

  it("measures the Cobb angle as the acute angle between two lines, whichever way they were drawn", () => {
    const tilt = (degrees: number, x0: number): [{ x: number; y: number }, { x: number; y: number }] => {
      const r = (degrees * Math.PI) / 180;
      return [
        { x: x0, y: 0 },
        { x: x0 + 100 * Math.cos(r), y: 100 * Math.sin(r) },
      ];
    };
    expect(cobbAngle(tilt(10, 0), tilt(-25, 0))).toBeCloseTo(35, 10);
    expect(cobbAngle(tilt(10, 0), [tilt(-25, 0)[1], tilt(-25, 0)[0]])).toBeCloseTo(35, 10);
    expect(cobbAngle(tilt(0, 0), tilt(120, 0))).toBeCloseTo(60, 10);
    expect(cobbAngle(tilt(5, 0), tilt(5, 50))).toBeCloseTo(0, 10);
  });

  it("falls back from PixelSpacing to ImagerPixelSpacing (with a notice) to pixels (saying so)", () => {
    expect(calibrationOf({ row: 0.5, column: 0.4, source: "PixelSpacing" })).toEqual({
      unit: "mm",
      spacing: { row: 0.5, column: 0.4 },
    });
    expect(calibrationOf({ row: 0.2, column: 0.2, source: "ImagerPixelSpacing" })).toEqual({
      unit: "mm",
      spacing: { row: 0.2, column: 0.2 },
      notice: NOT_CALIBRATED_AT_PATIENT,
    });
    expect(calibrationOf(undefined)).toEqual({
      unit: "px",
      spacing: { row: 1, column: 1 },
      notice: UNCALIBRATED,
    });
    expect(calibrationOf({ row: 0, column: 0.5, source: "PixelSpacing" }).unit).toBe("px");
  });
});
