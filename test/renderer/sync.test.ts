import { describe, expect, it } from "vitest";
import {
  canSyncByPosition,
  nearestSliceByPosition,
  type PositionedFrame,
} from "../../renderer/src/lib/sync/position.js";
import { referenceSegment } from "../../renderer/src/lib/sync/reference-lines.js";
import { canSyncVoi } from "../../renderer/src/lib/sync/voi.js";

const FOR = "1.2.3.4";

function axialStack(count: number, zTop: number, step: number, frameOfReferenceUid = FOR): PositionedFrame[] {
  return Array.from({ length: count }, (_, i) => ({
    rows: 64,
    columns: 64,
    spacing: { row: 1, column: 1 },
    imagePositionPatient: [-31.5, -31.5, zTop - i * step] as const,
    imageOrientationPatient: [1, 0, 0, 0, 1, 0] as const,
    frameOfReferenceUid,
  }));
}

const coronal = (y: number): PositionedFrame => ({
  rows: 64,
  columns: 64,
  spacing: { row: 1, column: 1 },
  imagePositionPatient: [-31.5, y, 31.5],
  imageOrientationPatient: [1, 0, 0, 0, 0, -1],
  frameOfReferenceUid: FOR,
});

describe("scroll synchronised by position", () => {
  const thick = axialStack(10, 22.5, 5); // z = 22.5 … -22.5
  const thin = axialStack(40, 20, 1); // z = 20 … -19

  it("lands on the nearest slice by distance, not on the same index", () => {
    // thick[3] is z = 7.5: thin slices at z = 8 (index 12) and 7 (index 13) are both 0.5 mm away; the first wins.
    expect(nearestSliceByPosition(thick[3]!, thin)).toEqual({ index: 12, distance: 0.5 });
    // thin[30] is z = -10 → thick z = -7.5 (index 6) or -12.5 (index 7), 2.5 mm each; thick[6] first.
    expect(nearestSliceByPosition(thin[30]!, thick)).toEqual({ index: 6, distance: 2.5 });
    expect(nearestSliceByPosition(thin[33]!, thick)!.index).toBe(7); // z = -13
  });

  it("clamps beyond the end of the other stack", () => {
    expect(nearestSliceByPosition(thick[0]!, thin)).toEqual({ index: 0, distance: 2.5 });
    expect(nearestSliceByPosition(thick[9]!, thin)).toEqual({ index: 39, distance: 3.5 });
  });

  it("works whatever the order of the other stack", () => {
    const reversed = [...thin].reverse();
    expect(nearestSliceByPosition(thick[3]!, reversed)!.index).toBe(26); // z = 7 (thin[13]; ties go to the first met)
  });

  it("does not follow another frame of reference or a perpendicular stack", () => {
    const other = axialStack(40, 20, 1, "9.9.9");
    expect(nearestSliceByPosition(thick[3]!, other)).toBeUndefined();
    expect(canSyncByPosition(thick[3]!, other[0]!)).toBe(false);
    const coronals = [-10, 0, 10].map(coronal);
    expect(nearestSliceByPosition(thick[3]!, coronals)).toBeUndefined();
    expect(canSyncByPosition(thick[3]!, coronals[0]!)).toBe(false);
    expect(canSyncByPosition(thick[3]!, thin[0]!)).toBe(true);
    expect(nearestSliceByPosition({ ...thick[3]!, frameOfReferenceUid: undefined }, thin)).toBeUndefined();
  });

  it("follows a slightly tilted stack (gantry tilt)", () => {
    const c = Math.cos(0.2);
    const s = Math.sin(0.2);
    const tilted = thin.map((frame) => ({
      ...frame,
      imageOrientationPatient: [1, 0, 0, 0, c, s] as const,
    }));
    expect(nearestSliceByPosition(thick[3]!, tilted)).toBeDefined();
  });
});

describe("synchronised window/level", () => {
  it("applies between like units only", () => {
    expect(canSyncVoi({ modality: "CT", units: "HU" }, { modality: "CT", units: "HU" })).toBe(true);
    expect(canSyncVoi({ modality: "CT", units: "HU" }, { modality: "PT", units: "BQML" })).toBe(false);
    expect(canSyncVoi({ modality: "MR" }, { modality: "MR" })).toBe(true);
    expect(canSyncVoi({ modality: "MR" }, { modality: "CT", units: "HU" })).toBe(false);
    expect(canSyncVoi({}, {})).toBe(false);
  });
});

describe("reference lines between frames", () => {
  it("draws an axial slice on a coronal image at its z", () => {
    const slice = axialStack(1, -4, 1)[0]!;
    const segment = referenceSegment(slice, coronal(0))!;
    // Coronal rows: z = 31.5 at y = 0.5, 1 mm per row → z = -4 at y = 36.
    expect(segment.y0).toBeCloseTo(36);
    expect(segment.y1).toBeCloseTo(36);
  });

  it("draws nothing across frames of reference or between parallel slices", () => {
    const slice = axialStack(1, -4, 1, "7.7")[0]!;
    expect(referenceSegment(slice, coronal(0))).toBeUndefined();
    expect(referenceSegment(axialStack(1, 0, 1)[0]!, axialStack(1, 5, 1)[0]!)).toBeUndefined();
  });
});
