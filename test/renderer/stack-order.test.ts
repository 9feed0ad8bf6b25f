/** Sorting a series into a stack, and the middle-first loading order. */
import { describe, expect, it } from "vitest";
import { middleIndex, middleOutOrder, stackOrder } from "../../renderer/src/lib/imaging/order.js";

const AXIAL = [1, 0, 0, 0, 1, 0] as const;
const CORONAL = [1, 0, 0, 0, 0, -1] as const;

function frame(
  z: number | undefined,
  instanceNumber: number | undefined,
  extra: Record<string, unknown> = {},
) {
  return {
    sopInstanceUid: `1.2.${instanceNumber ?? 0}.${z ?? 0}`,
    frameNumber: 1,
    ...(instanceNumber !== undefined ? { instanceNumber } : {}),
    ...(z !== undefined ? { imagePositionPatient: [0, 0, z] as const, imageOrientationPatient: AXIAL } : {}),
    ...extra,
  };
}

describe("stack order", () => {
  it("sorts by position along the normal, not by InstanceNumber, keeping InstanceNumber's direction", () => {
    // Head first (z falling as InstanceNumber rises), one instance numbered out of place.
    const frames = [frame(-10, 2), frame(0, 1), frame(-30, 3), frame(-20, 4)];
    const order = stackOrder(frames);
    expect(order.map((i) => frames[i]!.imagePositionPatient![2])).toEqual([0, -10, -20, -30]);
  });

  it("runs feet first when InstanceNumber does", () => {
    const frames = [frame(20, 3), frame(0, 1), frame(10, 2)];
    expect(stackOrder(frames).map((i) => frames[i]!.instanceNumber)).toEqual([1, 2, 3]);
  });

  it("sorts along an oblique normal", () => {
    // Coronal: normal = row × column = (1,0,0) × (0,0,−1) = (0,1,0).
    const at = (y: number, n: number) => ({
      sopInstanceUid: `c${n}`,
      frameNumber: 1,
      instanceNumber: n,
      imagePositionPatient: [0, y, 0] as const,
      imageOrientationPatient: CORONAL,
    });
    const frames = [at(5, 3), at(-5, 1), at(0, 2)];
    expect(stackOrder(frames).map((i) => frames[i]!.imagePositionPatient[1])).toEqual([-5, 0, 5]);
  });

  it("falls back to InstanceNumber, then frame number, when a frame has no position", () => {
    const frames = [frame(0, 3), frame(undefined, 1), frame(5, 2)];
    expect(stackOrder(frames).map((i) => frames[i]!.instanceNumber)).toEqual([1, 2, 3]);
  });

  it("falls back to InstanceNumber when orientations differ (a localizer among axials)", () => {
    const frames = [frame(0, 2), frame(10, 1, { imageOrientationPatient: CORONAL }), frame(5, 3)];
    expect(stackOrder(frames).map((i) => frames[i]!.instanceNumber)).toEqual([1, 2, 3]);
  });

  it("expands a multi-frame instance in frame order and breaks position ties by InstanceNumber", () => {
    const multi = [1, 2, 3].map((f) => ({ sopInstanceUid: "9.9", frameNumber: f, instanceNumber: 1 }));
    expect(
      stackOrder([multi[2]!, multi[0]!, multi[1]!]).map(
        (i) => [multi[2], multi[0], multi[1]][i]!.frameNumber,
      ),
    ).toEqual([1, 2, 3]);
    const tied = [frame(0, 2), frame(0, 1)];
    expect(stackOrder(tied).map((i) => tied[i]!.instanceNumber)).toEqual([1, 2]);
  });
});

describe("middle-first order", () => {
  it("starts at the centre and alternates outward", () => {
    expect(middleIndex(9)).toBe(4);
    expect(middleOutOrder(9)).toEqual([4, 5, 3, 6, 2, 7, 1, 8, 0]);
    expect(middleOutOrder(4)).toEqual([1, 2, 0, 3]);
    expect(middleOutOrder(1)).toEqual([0]);
    expect(middleOutOrder(0)).toEqual([]);
  });

  it("continues on the remaining side when one runs out", () => {
    expect(middleOutOrder(6, 1)).toEqual([1, 2, 0, 3, 4, 5]);
    expect(middleOutOrder(5, 4)).toEqual([4, 3, 2, 1, 0]);
  });

  it("visits every index once", () => {
    const order = middleOutOrder(500);
    expect(order[0]).toBe(249);
    expect(new Set(order).size).toBe(500);
    expect(Math.min(...order)).toBe(0);
    expect(Math.max(...order)).toBe(499);
  });
});
