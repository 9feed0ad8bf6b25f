import { describe, expect, it } from "vitest";
import {
  type SliceInput,
  VolumeError,
  directionOf,
  indexToWorld,
  planVolume,
  splitStacks,
  volumeCenter,
  vtkSpacingOf,
  worldToIndex,
} from "../../shared/geometry/volume.js";
import type { Vec3 } from "../../shared/geometry/vector.js";

const AXIAL = [1, 0, 0, 0, 1, 0] as const;
const SAGITTAL = [0, 1, 0, 0, 0, -1] as const;

function slice(position: Vec3, orientation: readonly number[] = AXIAL, extra: Partial<SliceInput> = {}) {
  return { position, orientation, rows: 64, columns: 48, spacing: { row: 0.8, column: 0.7 }, ...extra };
}

/** Axial slices at these z (in the order given). */
const axialAt = (zs: number[]) => zs.map((z) => slice([-10, -20, z]));

function close(a: readonly number[], b: readonly number[], digits = 6) {
  expect(a.length).toBe(b.length);
  a.forEach((value, i) => expect(value).toBeCloseTo(b[i]!, digits));
}

describe("volume plan", () => {
  it("sorts by position along the normal and measures the spacing from the positions", () => {
    const plan = planVolume(axialAt([4, -2, 1, 7, -5]));
    expect(plan.order).toEqual([4, 1, 2, 0, 3]);
    expect(plan.slices.map((s) => s.from)).toEqual([4, 1, 2, 0, 3]);
    expect(plan.geometry.dimensions).toEqual([48, 64, 5]);
    close(plan.geometry.spacing, [0.7, 0.8, 3]);
    close(plan.geometry.origin, [-10, -20, -5]);
    close(plan.geometry.sliceStep, [0, 0, 3]);
    expect(plan.resampled).toBe(false);
    expect(plan.tiltDegrees).toBe(0);
    expect(plan.warnings).toEqual([]);
  });

  it("orders sagittal slices along their normal (row × column points right)", () => {
    const plan = planVolume([0, 1.5, 3].map((x) => slice([x, -50, 60], SAGITTAL)));
    close(plan.geometry.normal, [-1, 0, 0]);
    close(plan.geometry.sliceStep, [-1.5, 0, 0]);
    close(indexToWorld(plan.geometry, [2, 3, 2]), [0, -50 + 2 * 0.7, 60 - 3 * 0.8]);
  });

  it("maps voxels to patient points and back", () => {
    const plan = planVolume(axialAt([0, 2, 4, 6]));
    const g = plan.geometry;
    const p = indexToWorld(g, [10.5, 3.25, 2]);
    close(p, [-10 + 10.5 * 0.7, -20 + 3.25 * 0.8, 4]);
    close(worldToIndex(g, p), [10.5, 3.25, 2]);
    close(volumeCenter(g), indexToWorld(g, [23.5, 31.5, 1.5]));
    close(directionOf(g), [1, 0, 0, 0, 1, 0, 0, 0, 1]);
    close(vtkSpacingOf(g), [0.7, 0.8, 2]);
  });

  it("finds gantry tilt and shears the slice axis instead of moving pixels", () => {
    const tilt = (20 * Math.PI) / 180;
    // A tilted acquisition: every 2 mm along z, the slice moves tan(20°)·2 mm along y.
    const slices = [0, 1, 2, 3, 4, 5].map((k) => slice([-10, -20 + Math.tan(tilt) * 2 * k, 2 * k]));
    const plan = planVolume(slices);
    expect(plan.tiltDegrees).toBeCloseTo(20, 6);
    expect(plan.resampled).toBe(false);
    expect(plan.warnings.join()).toMatch(/gantry tilt of 20°/);
    close(plan.geometry.sliceStep, [0, Math.tan(tilt) * 2, 2]);
    close(plan.geometry.spacing, [0.7, 0.8, 2]);
    // Voxel (i, j, k) is pixel (i, j) of slice k exactly where that slice puts it.
    close(indexToWorld(plan.geometry, [3, 4, 5]), [-10 + 3 * 0.7, slices[5]!.position[1] + 4 * 0.8, 10]);
    close(worldToIndex(plan.geometry, indexToWorld(plan.geometry, [3, 4, 5])), [3, 4, 5]);
  });

  it("resamples uneven spacing to the typical gap, and says so", () => {
    const plan = planVolume(axialAt([0, 1, 2, 3, 4.5, 5.5, 6.5]));
    expect(plan.resampled).toBe(true);
    expect(plan.warnings.join()).toMatch(/uneven slice spacing \(1 mm to 1\.5 mm\): resampled to 0\.93 mm/);
    expect(plan.geometry.dimensions[2]).toBe(8);
    close([plan.geometry.spacing[2]], [6.5 / 7]);
    // Slice 4 of the volume sits at 3.714 mm: between the stored 3 (index 3) and 4.5 (index 4).
    const s = plan.slices[4]!;
    expect([s.from, s.to]).toEqual([3, 4]);
    expect(s.weight).toBeCloseTo(((6.5 / 7) * 4 - 3) / 1.5, 6);
    expect(plan.slices[0]).toEqual({ from: 0, to: 0, weight: 0 });
    expect(plan.slices[7]).toEqual({ from: 6, to: 6, weight: 0 });
  });

  it("warns about missing slices and interpolates across the gap", () => {
    const plan = planVolume(axialAt([0, 2, 4, 10, 12]));
    expect(plan.warnings).toEqual(["2 slices missing: the gaps are interpolated"]);
    expect(plan.geometry.dimensions[2]).toBe(7);
    expect(plan.slices.map((s) => [s.from, s.to])).toEqual([
      [0, 0],
      [1, 1],
      [2, 2],
      [2, 3],
      [2, 3],
      [3, 3],
      [4, 4],
    ]);
    expect(plan.slices[3]!.weight).toBeCloseTo(1 / 3, 6);
  });

  it("refuses mixed stacks and duplicate positions", () => {
    expect(() => planVolume([slice([0, 0, 0]), slice([0, 0, 1], SAGITTAL)])).toThrow(VolumeError);
    expect(() => planVolume(axialAt([0, 0, 1]))).toThrow(/share the position/);
  });

  it("plans one slice as a one-voxel-thick volume", () => {
    const plan = planVolume(axialAt([3]));
    expect(plan.geometry.dimensions).toEqual([48, 64, 1]);
  });
});

describe("splitting a series into stacks", () => {
  it("groups by orientation and matrix, largest stack first", () => {
    const slices = [
      slice([0, 0, 0], SAGITTAL),
      ...axialAt([0, 1, 2]),
      slice([0, 0, 5], AXIAL, { rows: 32 }),
      slice([1, 0, 0], SAGITTAL),
    ];
    expect(splitStacks(slices)).toEqual([[1, 2, 3], [0, 5], [4]]);
  });

  it("splits repeated positions (several acquisitions) and keeps stack keys apart", () => {
    const twice = axialAt([0, 1, 2, 0, 1, 2]);
    expect(splitStacks(twice)).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    const keyed = axialAt([0, 1, 2, 3]).map((s, i) => ({ ...s, stackKey: i % 2 ? "b" : "a" }));
    expect(splitStacks(keyed)).toEqual([
      [0, 2],
      [1, 3],
    ]);
  });
});
