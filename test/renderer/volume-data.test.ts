/** The volume's voxels (native type, filled in place) and frames → volume slices, enhanced multi-frame included. */
import { describe, expect, it } from "vitest";
import { planVolume } from "../../shared/geometry/volume.js";
import { framesOfInstance } from "../../renderer/src/lib/imaging/descriptor.js";
import { sliceInput } from "../../renderer/src/lib/volume/from-stack.js";
import { VolumeData, sliceRuns, voxelType } from "../../renderer/src/lib/volume/volume.js";
import type { DicomJson } from "../../renderer/src/lib/viewer-contract.js";

const v = (vr: string, ...Value: unknown[]) => ({ vr, Value });

/** An enhanced CT of sagittal frames at these x, orientation and spacing shared, position per frame. */
function enhanced(xs: number[]): DicomJson {
  return {
    "0020000D": v("UI", "1.2.3"),
    "0020000E": v("UI", "1.2.3.4"),
    "00080018": v("UI", "1.2.3.4.5"),
    "00080060": v("CS", "CT"),
    "00280008": v("IS", xs.length),
    "00280002": v("US", 1),
    "00280004": v("CS", "MONOCHROME2"),
    "00280010": v("US", 4),
    "00280011": v("US", 3),
    "00280100": v("US", 16),
    "00280101": v("US", 16),
    "00280103": v("US", 1),
    "52009229": v("SQ", {
      "00209116": v("SQ", { "00200037": v("DS", 0, 1, 0, 0, 0, -1) }),
      "00289110": v("SQ", { "00280030": v("DS", 0.5, 0.5) }),
      "00289145": v("SQ", { "00281052": v("DS", -1024), "00281053": v("DS", 1) }),
    }),
    "52009230": v("SQ", ...xs.map((x) => ({ "00209113": v("SQ", { "00200032": v("DS", x, -10, 20) }) }))),
  };
}

describe("volume data", () => {
  it("keeps the native voxel type", () => {
    expect(voxelType(16, true)).toBe(Int16Array);
    expect(voxelType(16, false)).toBe(Uint16Array);
    expect(voxelType(8, false)).toBe(Uint8Array);
    expect(voxelType(32, true)).toBe(Int32Array);
  });

  it("fills slices in place, blends resampled ones, and reports each arrival", () => {
    const plan = planVolume(framesOfInstance(enhanced([0, 1, 2])).map((f) => sliceInput(f.info)!));
    const volume = new VolumeData(plan, new Int16Array(3 * 4 * 3), { slope: 1, intercept: -1024 });
    const arrived: number[] = [];
    volume.onSlice((k) => arrived.push(k));
    volume.write(2, new Int16Array(12).fill(100));
    volume.write(0, new Int16Array(12).fill(10), new Int16Array(12).fill(20), 0.25);
    expect(arrived).toEqual([2, 0]);
    expect(volume.fill.current).toEqual({ filled: 2, total: 3 });
    expect(volume.slice(0)[5]).toBe(13); // 10 + (20 − 10)·0.25, rounded
    expect(volume.slice(2).buffer).toBe(volume.voxels.buffer); // a view, not a copy
    expect(volume.valueAt(1, 1, 2)).toBe(100 - 1024);
    expect(volume.valueAt(1, 1, 1)).toBeUndefined(); // not in yet
    expect(volume.valueAt(9, 1, 2)).toBeUndefined(); // outside
  });

  it("groups arrived slices into runs for the texture upload", () => {
    expect(sliceRuns([])).toEqual([]);
    expect(sliceRuns([250, 249, 251, 248, 252, 252, 7])).toEqual([
      [7, 7],
      [248, 252],
    ]);
    expect(sliceRuns([3, 1, 2, 5])).toEqual([
      [1, 3],
      [5, 5],
    ]);
  });

  it("plans an enhanced multi-frame from its per-frame positions, resampling a missing frame", () => {
    const frames = framesOfInstance(enhanced([0, 0.5, 1, 2, 2.5]));
    const inputs = frames.map((f) => sliceInput(f.info));
    expect(inputs.every((input) => input !== undefined)).toBe(true);
    const plan = planVolume(inputs.map((input) => input!));
    expect(plan.geometry.dimensions).toEqual([3, 4, 6]);
    expect(plan.geometry.spacing).toEqual([0.5, 0.5, 0.5]);
    // Sagittal frames: the normal (row × column) points to −x, so the volume runs from x = 2.5 down to 0.
    expect(plan.geometry.origin).toEqual([2.5, -10, 20]);
    expect(plan.warnings).toEqual(["1 slice missing: the gaps are interpolated"]);
    expect(plan.slices[2]).toEqual({ from: 3, to: 2, weight: 0.5 });
  });

  it("leaves out frames a volume cannot use", () => {
    const [frame] = framesOfInstance(enhanced([0]));
    expect(sliceInput({ ...frame!.info, spacing: undefined })).toBeUndefined();
    expect(
      sliceInput({ ...frame!.info, samplesPerPixel: 3, photometricInterpretation: "RGB" }),
    ).toBeUndefined();
  });
});
