/**
 * The measurement model on synthetic frames: ROI statistics against a direct computation, what each kind
 * reads (mm, degrees, HU, area) with the calibration fallback, and picking handles and outlines.
 */
import { describe, expect, it } from "vitest";
import {
  type Annotation,
  handleAt,
  hitsOutline,
  isComplete,
  type MeasureContext,
  newId,
  readingOf,
  translated,
  withHandle,
} from "../../renderer/src/lib/measurements/model.js";
import { roiStatistics, valuesInRegion } from "../../renderer/src/lib/measurements/stats.js";
import { ellipseContains, rectangleContains } from "../../shared/geometry/measure.js";
import { prng } from "../fixtures/random.js";

/** A 64×48 frame: −1000 HU air with a 20×10 block of 120 HU at columns 20–39, rows 10–19, plus noise where asked. */
function frame(noise = 0, seed = 7): Float64Array {
  const random = prng(seed);
  const pixels = new Float64Array(64 * 48).fill(-1000);
  for (let r = 10; r < 20; r++) {
    for (let c = 20; c < 40; c++) pixels[r * 64 + c] = 120 + Math.round((random() - 0.5) * 2 * noise);
  }
  return pixels;
}

function contextOf(pixels: Float64Array, spacing?: MeasureContext["spacing"], units = "HU"): MeasureContext {
  return {
    spacing,
    units,
    valueAt: (p) =>
      p.x < 0 || p.y < 0 || p.x >= 64 || p.y >= 48
        ? undefined
        : pixels[Math.floor(p.y) * 64 + Math.floor(p.x)],
    valuesIn: (contains, bounds) => valuesInRegion(pixels, 64, 48, contains, bounds),
  };
}

const MM = { row: 0.5, column: 0.5, source: "PixelSpacing" as const };
const at = (kind: Annotation["kind"], points: Array<[number, number]>, text?: string): Annotation => ({
  id: "a",
  sopInstanceUid: "1.2.3",
  frameNumber: 1,
  kind,
  points: points.map(([x, y]) => ({ x, y })),
  ...(text === undefined ? {} : { text }),
});

describe("ROI statistics", () => {
  it("matches a direct two-pass computation on noisy values with a large offset", () => {
    const random = prng(42);
    const values = Float64Array.from({ length: 5000 }, () => -1024 + Math.round(random() * 4000));
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
    const stats = roiStatistics(values)!;
    expect(stats.count).toBe(5000);
    expect(stats.mean).toBeCloseTo(mean, 9);
    expect(stats.sd).toBeCloseTo(sd, 9);
    expect(stats.min).toBe(Math.min(...values));
    expect(stats.max).toBe(Math.max(...values));
    expect(roiStatistics([])).toBeUndefined();
    expect(roiStatistics([7, 7, 7])).toEqual({ count: 3, mean: 7, sd: 0, min: 7, max: 7 });
  });

  it("takes the pixels whose centres lie inside the region", () => {
    const pixels = frame();
    // Box edges on pixel edges: exactly the 20×10 block.
    const inside = valuesInRegion(pixels, 64, 48, rectangleContains({ x: 20, y: 10 }, { x: 40, y: 20 }), {
      x0: 20,
      y0: 10,
      x1: 40,
      y1: 20,
    });
    expect(inside.length).toBe(200);
    expect(new Set(inside)).toEqual(new Set([120]));
    // An ellipse inscribed in an 8×8 box holds the 52 pixels whose centres are inside it (a rasterised disc).
    const disc = valuesInRegion(pixels, 64, 48, ellipseContains({ x: 24, y: 10 }, { x: 32, y: 18 }), {
      x0: 24,
      y0: 10,
      x1: 32,
      y1: 18,
    });
    expect(disc.length).toBe(52);
  });
});

describe("readings", () => {
  it("reads a length in mm from PixelSpacing, in mm with a notice from ImagerPixelSpacing, else in pixels", () => {
    const line = at("length", [
      [20, 15],
      [120, 15],
    ]);
    const calibrated = readingOf(line, contextOf(frame(), MM));
    expect(calibrated).toMatchObject({ value: 50, unit: "mm", lines: ["50.0 mm"] });
    expect(calibrated.notice).toBeUndefined();
    const detector = readingOf(line, contextOf(frame(), { ...MM, source: "ImagerPixelSpacing" }));
    expect(detector).toMatchObject({ value: 50, unit: "mm", notice: "not calibrated at patient" });
    const pixels = readingOf(line, contextOf(frame(), undefined));
    expect(pixels).toMatchObject({ value: 100, unit: "px", lines: ["100.0 px"] });
    expect(pixels.notice).toMatch(/pixels/);
  });

  it("reads angles and the Cobb angle in degrees", () => {
    const angle = readingOf(
      at("angle", [
        [10, 0],
        [0, 0],
        [10, 10],
      ]),
      contextOf(frame(), MM),
    );
    expect(angle.value).toBeCloseTo(45, 10);
    expect(angle.lines).toEqual(["45.0°"]);
    const cobb = readingOf(
      at("cobb", [
        [0, 0],
        [100, 0],
        [0, 50],
        [100, 50 - 100 * Math.tan((20 * Math.PI) / 180)],
      ]),
      contextOf(frame(), MM),
    );
    expect(cobb.value).toBeCloseTo(20, 10);
    expect(cobb.lines).toEqual(["Cobb 20.0°"]);
  });

  it("reads a rectangle ROI's HU statistics and its area in mm²", () => {
    const noisy = frame(30);
    const roi = at("rectangle", [
      [22, 12],
      [38, 18],
    ]);
    const reading = readingOf(roi, contextOf(noisy, MM));
    const direct: number[] = [];
    for (let r = 12; r < 18; r++) for (let c = 22; c < 38; c++) direct.push(noisy[r * 64 + c]!);
    const expected = roiStatistics(direct)!;
    expect(reading.stats).toMatchObject({
      count: 96,
      min: expected.min,
      max: expected.max,
      area: 24,
      areaUnit: "mm²",
    });
    expect(reading.stats!.mean).toBeCloseTo(expected.mean, 10);
    expect(reading.stats!.sd).toBeCloseTo(expected.sd, 10);
    expect(reading.unit).toBe("HU");
    expect(reading.lines[0]).toBe(`Mean ${expected.mean.toFixed(1)} HU  SD ${expected.sd.toFixed(1)}`);
    expect(reading.lines[2]).toBe("Area 24.0 mm²");
  });

  it("reads an ellipse ROI over the block edge as the mix of air and tissue it covers", () => {
    const roi = at("ellipse", [
      [10, 10],
      [30, 20],
    ]);
    const reading = readingOf(roi, contextOf(frame(), MM));
    expect(reading.stats!.min).toBe(-1000);
    expect(reading.stats!.max).toBe(120);
    expect(reading.stats!.area).toBeCloseTo((Math.PI / 4) * 10 * 5, 10);
    expect(readingOf(roi, contextOf(frame(), undefined)).lines[2]).toMatch(/px²$/);
  });

  it("reads the value under a probe, and nothing outside the image", () => {
    expect(readingOf(at("probe", [[25.5, 12.5]]), contextOf(frame(), MM))).toMatchObject({
      value: 120,
      lines: ["120 HU"],
    });
    expect(readingOf(at("probe", [[-3, 2]]), contextOf(frame(), MM)).lines).toEqual(["—"]);
    expect(readingOf(at("probe", [[2, 2]]), contextOf(frame(), MM, "")).lines).toEqual(["-1000"]);
  });

  it("shows the text of text and arrow annotations", () => {
    expect(readingOf(at("text", [[1, 1]], "cyst?"), contextOf(frame())).lines).toEqual(["cyst?"]);
    expect(
      readingOf(
        at(
          "arrow",
          [
            [1, 1],
            [5, 5],
          ],
          "here",
        ),
        contextOf(frame()),
      ).lines,
    ).toEqual(["here"]);
  });
});

describe("picking and editing", () => {
  const identity = (p: { x: number; y: number }) => p;
  const double = (p: { x: number; y: number }) => ({ x: 2 * p.x, y: 2 * p.y });
  const line = at("length", [
    [10, 10],
    [50, 10],
  ]);

  it("finds the handle nearest the pointer within the radius, in canvas units", () => {
    expect(handleAt(line, identity, { x: 12, y: 11 }, 5)).toBe(0);
    expect(handleAt(line, identity, { x: 48, y: 10 }, 5)).toBe(1);
    expect(handleAt(line, identity, { x: 30, y: 10 }, 5)).toBe(-1);
    expect(handleAt(line, double, { x: 100, y: 22 }, 5)).toBe(1);
  });

  it("hits outlines of lines, rectangles and ellipses", () => {
    expect(hitsOutline(line, identity, { x: 30, y: 12 }, 3)).toBe(true);
    expect(hitsOutline(line, identity, { x: 30, y: 14 }, 3)).toBe(false);
    const rect = at("rectangle", [
      [10, 10],
      [30, 20],
    ]);
    expect(hitsOutline(rect, identity, { x: 30, y: 15 }, 2)).toBe(true);
    expect(hitsOutline(rect, identity, { x: 20, y: 15 }, 2)).toBe(false);
    const ellipse = at("ellipse", [
      [10, 10],
      [30, 20],
    ]);
    expect(hitsOutline(ellipse, identity, { x: 20, y: 10 }, 1)).toBe(true);
    expect(hitsOutline(ellipse, identity, { x: 10, y: 10 }, 1)).toBe(false);
  });

  it("moves a handle or the whole object, and knows a click from a drawing", () => {
    expect(withHandle(line, 1, { x: 60, y: 20 }).points).toEqual([
      { x: 10, y: 10 },
      { x: 60, y: 20 },
    ]);
    expect(translated(line, 5, -5).points).toEqual([
      { x: 15, y: 5 },
      { x: 55, y: 5 },
    ]);
    expect(isComplete(line, 3, identity)).toBe(true);
    expect(
      isComplete(
        at("length", [
          [10, 10],
          [11, 10],
        ]),
        3,
        identity,
      ),
    ).toBe(false);
    expect(
      isComplete(
        at("angle", [
          [10, 10],
          [11, 10],
        ]),
        3,
        identity,
      ),
    ).toBe(false);
    expect(isComplete(at("text", [[10, 10]], " "), 3, identity)).toBe(false);
  });

  it("makes ids the server accepts", () => {
    const ids = new Set(Array.from({ length: 100 }, newId));
    expect(ids.size).toBe(100);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
