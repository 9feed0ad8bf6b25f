/** The VOI stage (PS3.3 C.11.2.1.2) at known points, the default window, and the presets. */
import { describe, expect, it } from "vitest";
import {
  WINDOW_PRESETS,
  defaultVoi,
  presetsFor,
  voiLutOutput,
  voiOutput,
  windowSpanning,
} from "../../renderer/src/lib/display/voi.js";

describe("VOI functions", () => {
  it("LINEAR: c − 0.5 ± (w − 1)/2 are the edges, and the centre of the ramp is c − 0.5", () => {
    const voi = { center: 40, width: 80, fn: "LINEAR" as const };
    // Edges: 40 − 0.5 − 39.5 = 0 and 40 − 0.5 + 39.5 = 79.
    expect(voiOutput(-1000, voi)).toBe(0);
    expect(voiOutput(0, voi)).toBe(0);
    expect(voiOutput(39.5, voi)).toBe(0.5);
    expect(voiOutput(79, voi)).toBe(1);
    expect(voiOutput(79.5, voi)).toBe(1);
    expect(voiOutput(1, voi)).toBeCloseTo((1 - 39.5) / 79 + 0.5, 12);
  });

  it("LINEAR with width 1 is a threshold at c − 0.5", () => {
    const voi = { center: 100, width: 1, fn: "LINEAR" as const };
    expect(voiOutput(99.5, voi)).toBe(0);
    expect(voiOutput(99.50001, voi)).toBe(1);
  });

  it("LINEAR_EXACT: c ± w/2 are the edges, c is the middle", () => {
    const voi = { center: 40, width: 80, fn: "LINEAR_EXACT" as const };
    expect(voiOutput(0, voi)).toBe(0);
    expect(voiOutput(40, voi)).toBe(0.5);
    expect(voiOutput(60, voi)).toBe(0.75);
    expect(voiOutput(80, voi)).toBe(1);
    expect(voiOutput(80.01, voi)).toBe(1);
  });

  it("LINEAR and LINEAR_EXACT differ by the half-pixel offset", () => {
    const linear = { center: 40, width: 80, fn: "LINEAR" as const };
    const exact = { ...linear, fn: "LINEAR_EXACT" as const };
    expect(voiOutput(40, linear)).toBeCloseTo(0.5 + 0.5 / 79, 12);
    expect(voiOutput(40, exact)).toBe(0.5);
    expect(voiOutput(79.5, linear)).toBe(1);
    expect(voiOutput(79.5, exact)).toBeCloseTo(0.99375, 12);
    expect(voiOutput(0.5, linear)).toBeCloseTo(0.5 / 79, 12);
    expect(voiOutput(0.5, exact)).toBeCloseTo(0.00625, 12);
  });

  it("SIGMOID: 1 / (1 + exp(−4 (x − c) / w)), 0.5 at the centre", () => {
    const voi = { center: 40, width: 80, fn: "SIGMOID" as const };
    expect(voiOutput(40, voi)).toBe(0.5);
    expect(voiOutput(80, voi)).toBeCloseTo(1 / (1 + Math.exp(-2)), 12); // 0.8808
    expect(voiOutput(0, voi)).toBeCloseTo(1 / (1 + Math.exp(2)), 12); // 0.1192
    expect(voiOutput(80, voi) + voiOutput(0, voi)).toBeCloseTo(1, 12);
    // It never clips: far outside the window it only approaches 0 and 1.
    expect(voiOutput(400, voi)).toBeLessThan(1);
    expect(voiOutput(400, voi)).toBeGreaterThan(0.9999);
  });

  it("a VOI LUT maps through its table, clamping below the first and above the last entry", () => {
    const lut = { firstMapped: -10, bits: 8, data: Uint16Array.from([0, 51, 102, 255]) };
    expect(voiLutOutput(-100, lut)).toBe(0);
    expect(voiLutOutput(-9, lut)).toBe(0.2);
    expect(voiLutOutput(-8, lut)).toBe(0.4);
    expect(voiLutOutput(1000, lut)).toBe(1);
  });
});

describe("the default window", () => {
  it("is the first stored window", () => {
    const info = {
      windows: [
        { center: 40, width: 400, fn: "SIGMOID" as const, explanation: "ABDOMEN" },
        { center: 600, width: 2000, fn: "SIGMOID" as const },
      ],
      rescale: { slope: 1, intercept: -1024 },
    };
    expect(defaultVoi(info, { min: 0, max: 4095, kind: "gray" }).voi).toEqual({
      center: 40,
      width: 400,
      fn: "SIGMOID",
    });
  });

  it("else spans the frame's modality values exactly with LINEAR: min → 0, max → 1", () => {
    const info = { windows: [], rescale: { slope: 2, intercept: -1024 } };
    const { voi } = defaultVoi(info, { min: 10, max: 110, kind: "gray" });
    // Modality range −1004 … −804.
    expect(voiOutput(-1004, voi)).toBe(0);
    expect(voiOutput(-804, voi)).toBe(1);
    expect(voiOutput(-1003, voi)).toBeGreaterThan(0);
    expect(voi).toEqual(windowSpanning(-1004, -804));
  });

  it("uses the VOI LUT Sequence when there is no window, reporting the window it spans", () => {
    const lut = { firstMapped: 100, bits: 12, data: new Uint16Array(1000) };
    const chosen = defaultVoi(
      { windows: [], rescale: { slope: 1, intercept: 0 } },
      { min: 0, max: 10, kind: "gray" },
      {
        voi: [lut],
      },
    );
    expect(chosen.lut).toBe(lut);
    expect(chosen.voi).toEqual({ center: 600, width: 1000, fn: "LINEAR" });
  });

  it("with a negative slope, still low → 0 and high → 1", () => {
    const { voi } = defaultVoi(
      { windows: [], rescale: { slope: -1, intercept: 0 } },
      { min: 0, max: 100, kind: "gray" },
    );
    expect(voiOutput(-100, voi)).toBe(0);
    expect(voiOutput(0, voi)).toBe(1);
  });
});

describe("window presets", () => {
  it("CT presets on keys 1–7 with the clinical values", () => {
    expect(presetsFor("ct").map((p) => [p.key, p.name, p.center, p.width])).toEqual([
      ["1", "Brain", 40, 80],
      ["2", "Subdural", 75, 215],
      ["3", "Lung", -600, 1500],
      ["4", "Mediastinum", 50, 350],
      ["5", "Bone", 400, 1800],
      ["6", "Abdomen", 40, 400],
      ["7", "Liver", 60, 160],
    ]);
    expect(presetsFor("MR")).toEqual([]);
    expect(presetsFor(undefined)).toEqual([]);
    expect(Object.keys(WINDOW_PRESETS)).toEqual(["CT"]);
  });
});
