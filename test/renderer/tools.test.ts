/**
 * The interaction layer's pure parts against the image core's own transform maths
 * (renderer/src/lib/viewport/transform.ts): screen turns and mirrors, zoom about a point and pan (with
 * non-square pixels), window/level drags, navigation keys; the overlays' corner text, scale bar and
 * orientation markers as the viewport maps the screen.
 */
import { describe, expect, it } from "vitest";
import { cornerText, formatPersonName } from "../../renderer/src/lib/overlays/text.js";
import { markersFor } from "../../renderer/src/lib/overlays/markers.js";
import { mmPerScreenPixel, scaleBar } from "../../renderer/src/lib/overlays/scale-bar.js";
import {
  dragZoomFactor,
  flipScreenHorizontal,
  flipScreenVertical,
  navigate,
  oneToOne,
  panBy,
  rotateClockwise,
  rotateCounterClockwise,
  windowDrag,
  zoomAbout,
} from "../../renderer/src/lib/tools/view-ops.js";
import type { DicomJson, FrameInfo, ViewTransform } from "../../renderer/src/lib/viewer-contract.js";
import {
  canvasToImage,
  imageToCanvas,
  imageToCanvasMatrix,
} from "../../renderer/src/lib/viewport/transform.js";

const SIZE = { width: 400, height: 300 };
const base: ViewTransform = {
  scale: 1.5,
  center: { x: 128, y: 100 },
  rotation: 0,
  flipHorizontal: false,
  flipVertical: false,
  invert: false,
};

/** The linear part of image → canvas, rounded (signs and swaps are what matter). */
function linear(t: ViewTransform, aspect = 1): number[] {
  const m = imageToCanvasMatrix(t, SIZE, aspect);
  return [m.a, m.b, m.c, m.d].map((v) => Math.round(v * 1e9) / 1e9 + 0);
}

/** Screen mirror applied after the current mapping: rows (a, c) / (b, d) of the 2×2. */
function mirrored(values: number[], axis: "x" | "y"): number[] {
  const [a, b, c, d] = values as [number, number, number, number];
  return axis === "x" ? [-a, b, -c, d].map((v) => v + 0) : [a, -b, c, -d].map((v) => v + 0);
}

describe("view operations", () => {
  const turns = [0, 90, 180, 270];

  it("turns the picture as seen on screen", () => {
    for (const rotation of turns) {
      for (const flipHorizontal of [false, true]) {
        const t = { ...base, rotation, flipHorizontal };
        const [a, b, c, d] = linear(t) as [number, number, number, number];
        // A clockwise quarter turn on a y-down screen: (x, y) → (−y, x).
        expect(linear(rotateClockwise(t))).toEqual([-b, a, -d, c].map((v) => v + 0));
        expect(rotateCounterClockwise(rotateClockwise(t))).toEqual(t);
      }
    }
  });

  it("mirrors the picture left–right and top–bottom on screen, whatever its rotation and flips", () => {
    for (const rotation of turns) {
      for (const flipHorizontal of [false, true]) {
        for (const flipVertical of [false, true]) {
          const t = { ...base, rotation, flipHorizontal, flipVertical };
          expect(linear(flipScreenHorizontal(t), 2)).toEqual(mirrored(linear(t, 2), "x"));
          expect(linear(flipScreenVertical(t), 2)).toEqual(mirrored(linear(t, 2), "y"));
          expect(flipScreenHorizontal(flipScreenHorizontal(t))).toEqual(t);
        }
      }
    }
  });

  it("zooms about the pointer: the image point under it stays under it", () => {
    for (const rotation of turns) {
      const t = { ...base, rotation, flipVertical: true };
      const aspect = 2;
      const at = { x: 310, y: 40 };
      const under = canvasToImage(t, SIZE, at, aspect);
      const zoomed = zoomAbout(t, dragZoomFactor(-200), at, (p) => canvasToImage(t, SIZE, p, aspect));
      expect(zoomed.scale).toBeCloseTo(3, 12);
      const after = imageToCanvas(zoomed, SIZE, under, aspect);
      expect(after.x).toBeCloseTo(at.x, 9);
      expect(after.y).toBeCloseTo(at.y, 9);
    }
    expect(zoomAbout(base, 1e6, { x: 0, y: 0 }, (p) => canvasToImage(base, SIZE, p)).scale).toBe(64);
  });

  it("pans by exactly the pointer's motion", () => {
    for (const rotation of turns) {
      const t = { ...base, rotation, flipHorizontal: true };
      const point = { x: 50, y: 60 };
      const before = imageToCanvas(t, SIZE, point, 0.5);
      const panned = panBy(t, 25, -10, (p) => canvasToImage(t, SIZE, p, 0.5));
      const after = imageToCanvas(panned, SIZE, point, 0.5);
      expect(after.x - before.x).toBeCloseTo(25, 9);
      expect(after.y - before.y).toBeCloseTo(-10, 9);
    }
  });

  it("shows one image pixel per device pixel at 1:1", () => {
    expect(oneToOne(base, 2).scale).toBe(0.5);
    expect(oneToOne(base, 1).center).toEqual(base.center);
  });

  it("windows by dragging: right widens, down raises the centre, in steps that follow the width", () => {
    expect(windowDrag({ center: 40, width: 400, fn: "LINEAR" }, 10, -20)).toEqual({
      center: 40 - 20 * (400 / 256),
      width: 400 + 10 * (400 / 256),
      fn: "LINEAR",
    });
    expect(windowDrag({ center: 128, width: 100, fn: "LINEAR" }, 5, 5)).toEqual({
      center: 133,
      width: 105,
      fn: "LINEAR",
    });
    expect(windowDrag({ center: 0, width: 10, fn: "SIGMOID" }, -500, 0).width).toBe(1);
  });

  it("moves through the stack with arrows, PageUp/PageDown, Home and End, clamped", () => {
    expect(navigate("ArrowDown", 5, 20)).toBe(6);
    expect(navigate("ArrowUp", 0, 20)).toBe(0);
    expect(navigate("PageDown", 15, 20)).toBe(19);
    expect(navigate("PageUp", 15, 20)).toBe(5);
    expect(navigate("Home", 15, 20)).toBe(0);
    expect(navigate("End", 3, 20)).toBe(19);
    expect(navigate("x", 3, 20)).toBeUndefined();
    expect(navigate("End", 0, 0)).toBeUndefined();
  });
});

describe("overlays", () => {
  it("picks a 5 cm scale bar when it fits, else 10 mm", () => {
    expect(scaleBar(0.5, 200)).toEqual({ mm: 50, pixels: 100, label: "5 cm" });
    expect(scaleBar(0.05, 300)).toEqual({ mm: 10, pixels: 200, label: "10 mm" });
    expect(scaleBar(0.001, 300)).toMatchObject({ mm: 1, label: "1 mm" });
    expect(scaleBar(0, 300)).toBeUndefined();
    expect(mmPerScreenPixel({ x: 0, y: 0 }, { x: 0.5, y: 0 }, { row: 1, column: 0.8 })).toBeCloseTo(0.4, 12);
  });

  it("writes the corners from the instance's own attributes and the view", () => {
    const json: DicomJson = {
      "00100010": { vr: "PN", Value: [{ Alphabetic: "Doe^Jane^Q^Dr" }] },
      "00100020": { vr: "LO", Value: ["PID-77"] },
      "00100030": { vr: "DA", Value: ["19800215"] },
      "00100040": { vr: "CS", Value: ["F"] },
      "00080020": { vr: "DA", Value: ["20240301"] },
      "00080030": { vr: "TM", Value: ["091512.5"] },
      "00081030": { vr: "LO", Value: ["CT CHEST"] },
      "0008103E": { vr: "LO", Value: ["AXIAL 2.5"] },
    };
    const frame = {
      seriesNumber: 3,
      instanceNumber: 42,
      frameNumber: 1,
      numberOfFrames: 1,
      sliceLocation: -12.5,
      sliceThickness: 2.5,
    } as FrameInfo;
    const text = cornerText(json, frame, {
      voi: { center: 40, width: 400, fn: "LINEAR" },
      transform: { ...base, scale: 0.75 },
      index: 41,
      length: 120,
      devicePixelRatio: 2,
    });
    expect(text).toEqual({
      topLeft: ["Doe, Dr Jane Q", "PID-77", "1980-02-15 F"],
      topRight: ["CT CHEST", "2024-03-01 09:15", "Se 3 AXIAL 2.5"],
      bottomLeft: ["Im 42 (42/120)", "Loc -12.5 mm", "Thick 2.5 mm"],
      bottomRight: ["W 400 L 40", "Zoom 150%"],
    });
    expect(formatPersonName("Smith^John=スミス^ジョン")).toBe("Smith, John");
  });

  it("places orientation markers as the viewport maps the screen, through turns and flips", () => {
    const frame = {
      imageOrientationPatient: [1, 0, 0, 0, 1, 0],
      spacing: { row: 0.7, column: 0.7, source: "PixelSpacing" },
    } as unknown as FrameInfo;
    const markers = (t: ViewTransform) => markersFor(frame, (p) => canvasToImage(t, SIZE, p));
    expect(markers(base)).toEqual({ top: "A", right: "L", bottom: "P", left: "R" });
    expect(markers(rotateClockwise(base))).toEqual({ top: "R", right: "A", bottom: "L", left: "P" });
    expect(markers(flipScreenHorizontal(base))).toEqual({ top: "A", right: "R", bottom: "P", left: "L" });
    // Turned, then mirrored on screen: left and right swap from the turned view.
    expect(markers(flipScreenHorizontal(rotateClockwise(base)))).toEqual({
      top: "R",
      right: "P",
      bottom: "L",
      left: "A",
    });
    expect(markers(flipScreenVertical(rotateClockwise(base)))).toEqual({
      top: "L",
      right: "A",
      bottom: "R",
      left: "P",
    });
    expect(
      markersFor({ ...frame, imageOrientationPatient: undefined } as FrameInfo, (p) => p),
    ).toBeUndefined();
  });
});
