import { describe, expect, it } from "vitest";
import {
  type PlaneSource,
  imageToPatient,
  patientToImage,
  planeIntersection,
  planeOf,
  referenceLine,
} from "../../shared/geometry/planes.js";

/** 100 × 200 axial image, 0.5 mm pixels, at z. */
const axial = (z: number): PlaneSource => ({
  rows: 100,
  columns: 200,
  spacing: { row: 0.5, column: 0.5 },
  imagePositionPatient: [-49.75, -24.75, z],
  imageOrientationPatient: [1, 0, 0, 0, 1, 0],
});

/** 80 × 200 coronal image at y, 1 mm rows (z going down from +20), 0.5 mm columns. */
const coronal = (y: number): PlaneSource => ({
  rows: 80,
  columns: 200,
  spacing: { row: 1, column: 0.5 },
  imagePositionPatient: [-49.75, y, 19.5],
  imageOrientationPatient: [1, 0, 0, 0, 0, -1],
});

describe("image planes", () => {
  it("maps image points to patient points and back with the corner convention", () => {
    const plane = planeOf(axial(7))!;
    expect(imageToPatient(plane, 0.5, 0.5)).toEqual([-49.75, -24.75, 7]);
    expect(imageToPatient(plane, 100, 50)).toEqual([0, 0, 7]);
    const back = patientToImage(plane, [10, -5, 42]);
    expect(back.x).toBeCloseTo(120);
    expect(back.y).toBeCloseTo(40);
  });

  it("has no plane without geometry", () => {
    expect(planeOf({ rows: 2, columns: 2 })).toBeUndefined();
    expect(planeOf({ ...axial(0), imageOrientationPatient: [1, 0, 0, 1, 0, 0] })).toBeUndefined();
    expect(planeOf({ ...axial(0), spacing: { row: 0, column: 1 } })).toBeUndefined();
  });

  it("intersects two planes, and parallel planes not at all", () => {
    const line = planeIntersection(planeOf(axial(5))!, planeOf(coronal(3))!)!;
    expect(Math.abs(line.direction[0])).toBeCloseTo(1);
    expect(line.point[1]).toBeCloseTo(3);
    expect(line.point[2]).toBeCloseTo(5);
    expect(planeIntersection(planeOf(axial(5))!, planeOf(axial(9))!)).toBeUndefined();
  });
});

describe("reference lines", () => {
  it("draws an axial slice on a coronal image as the row at its z, across the whole width", () => {
    const segment = referenceLine(planeOf(axial(-10.5))!, planeOf(coronal(0))!)!;
    // Row centres: z = 19.5 at y = 0.5, 1 mm per row down → z = -10.5 is y = 30.5.
    expect(segment.y0).toBeCloseTo(30.5);
    expect(segment.y1).toBeCloseTo(30.5);
    expect(Math.min(segment.x0, segment.x1)).toBeCloseTo(0);
    expect(Math.max(segment.x0, segment.x1)).toBeCloseTo(200);
  });

  it("draws a coronal slice on an axial image as the row at its y", () => {
    const segment = referenceLine(planeOf(coronal(5))!, planeOf(axial(0))!)!;
    // y = 5 mm: (5 + 24.75) / 0.5 + 0.5.
    expect(segment.y0).toBeCloseTo(60);
    expect(segment.y1).toBeCloseTo(60);
  });

  it("clips to the part the source image covers", () => {
    // A sagittal source 20 mm tall (z 10 … -10) on the coronal target (z 19.5 … -59.5).
    const sagittal: PlaneSource = {
      rows: 40,
      columns: 40,
      spacing: { row: 0.5, column: 0.5 },
      imagePositionPatient: [0, -10, 10],
      imageOrientationPatient: [0, 1, 0, 0, 0, -1],
    };
    const segment = referenceLine(planeOf(sagittal)!, planeOf(coronal(0))!)!;
    expect(segment.x0).toBeCloseTo(100);
    expect(segment.x1).toBeCloseTo(100);
    const ys = [segment.y0, segment.y1].sort((a, b) => a - b);
    // Source edges z = 10.25 and z = -9.75 (rows × 0.5 mm = 20 mm); on the target y = 20 - z.
    expect(ys[0]).toBeCloseTo(9.75);
    expect(ys[1]).toBeCloseTo(29.75);
    const unclipped = referenceLine(planeOf(sagittal)!, planeOf(coronal(0))!, { clipToSource: false })!;
    expect(Math.abs(unclipped.y1 - unclipped.y0)).toBeCloseTo(80);
  });

  it("misses when the source slice lies outside the target image", () => {
    expect(referenceLine(planeOf(axial(100))!, planeOf(coronal(0))!)).toBeUndefined();
    expect(referenceLine(planeOf(coronal(80))!, planeOf(axial(0))!)).toBeUndefined();
  });

  it("handles an oblique plane", () => {
    const c = Math.SQRT1_2;
    const oblique: PlaneSource = {
      rows: 400,
      columns: 400,
      spacing: { row: 0.5, column: 0.5 },
      imagePositionPatient: [-99.75, -99.75 * c, 99.75 * c],
      imageOrientationPatient: [1, 0, 0, 0, c, -c],
    };
    // It crosses z = 0 at y = 0: on the axial image at z = 0 that is the row y = 50 (centre), full width.
    const segment = referenceLine(planeOf(oblique)!, planeOf(axial(0))!)!;
    expect(segment.y0).toBeCloseTo(50);
    expect(segment.y1).toBeCloseTo(50);
    expect(Math.abs(segment.x1 - segment.x0)).toBeCloseTo(200);
  });
});
