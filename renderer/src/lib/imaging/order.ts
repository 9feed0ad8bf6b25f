/**
 * The order of a stack and the order it loads in. Pure, for the unit tests.
 *
 * Sorting: when every frame has ImagePositionPatient and all share one orientation, by distance along the
 * normal (row × column), turned to run the way InstanceNumber runs when that says anything (so a head-first
 * CT keeps its head first), ties by InstanceNumber then frame number; otherwise by InstanceNumber, then
 * frame number, then SOP Instance UID (so the order never depends on the server's).
 */
import type { FrameInfo } from "../viewer-contract";
import { normal } from "./descriptor";

type Sortable = Pick<
  FrameInfo,
  "imagePositionPatient" | "imageOrientationPatient" | "instanceNumber" | "frameNumber" | "sopInstanceUid"
>;

function sameOrientation(a: readonly number[], b: readonly number[]): boolean {
  return a.every((value, i) => Math.abs(value - b[i]!) < 1e-3);
}

function byInstance(a: Sortable, b: Sortable): number {
  const ia = a.instanceNumber ?? Number.MAX_SAFE_INTEGER;
  const ib = b.instanceNumber ?? Number.MAX_SAFE_INTEGER;
  if (ia !== ib) return ia - ib;
  if (a.sopInstanceUid !== b.sopInstanceUid) return a.sopInstanceUid < b.sopInstanceUid ? -1 : 1;
  return a.frameNumber - b.frameNumber;
}

/** The permutation that sorts `frames` (indices into it, in display order). */
export function stackOrder(frames: readonly Sortable[]): number[] {
  const indices = frames.map((_, i) => i);
  const first = frames[0];
  const iop = first?.imageOrientationPatient;
  const geometric =
    iop !== undefined &&
    frames.every(
      (f) =>
        f.imagePositionPatient !== undefined &&
        f.imageOrientationPatient !== undefined &&
        sameOrientation(f.imageOrientationPatient, iop),
    );
  if (!geometric) return indices.sort((a, b) => byInstance(frames[a]!, frames[b]!));
  const n = normal(iop);
  const distance = frames.map((f) => {
    const p = f.imagePositionPatient!;
    return p[0] * n[0] + p[1] * n[1] + p[2] * n[2];
  });
  indices.sort((a, b) => {
    const d = distance[a]! - distance[b]!;
    return Math.abs(d) > 1e-4 ? d : byInstance(frames[a]!, frames[b]!);
  });
  // Run the way InstanceNumber runs: compare where the lowest and highest numbered frames landed.
  let low = -1;
  let high = -1;
  for (const [position, index] of indices.entries()) {
    const number = frames[index]!.instanceNumber;
    if (number === undefined) continue;
    if (low < 0 || number < frames[indices[low]!]!.instanceNumber!) low = position;
    if (high < 0 || number > frames[indices[high]!]!.instanceNumber!) high = position;
  }
  if (low >= 0 && high >= 0 && low > high) {
    // Reverse, keeping the tie order (InstanceNumber, frame) within equal positions.
    indices.sort((a, b) => {
      const d = distance[b]! - distance[a]!;
      return Math.abs(d) > 1e-4 ? d : byInstance(frames[a]!, frames[b]!);
    });
  }
  return indices;
}

/** The middle index of a stack of `length`. */
export function middleIndex(length: number): number {
  return Math.max(0, Math.floor((length - 1) / 2));
}

/**
 * Indices 0…length−1 from `start` outward, alternating: start, start+1, start−1, start+2, start−2, …;
 * when one side runs out, the other continues.
 */
export function middleOutOrder(length: number, start = middleIndex(length)): number[] {
  const out: number[] = [];
  if (length <= 0) return out;
  const s = Math.min(Math.max(Math.round(start), 0), length - 1);
  out.push(s);
  for (let step = 1; out.length < length; step++) {
    if (s + step < length) out.push(s + step);
    if (s - step >= 0) out.push(s - step);
  }
  return out;
}
