/**
 * Reference lines: the active slice's plane drawn on the other viewports where it cuts their image, as a
 * segment in the target's image coordinates (clipped to the target image and to the extent of the source
 * image). Only within one frame of reference: positions in two frames of reference are unrelated.
 */
import { type PlaneSource, type Segment2, planeOf, referenceLine } from "../../../../shared/geometry/planes";

export interface ReferenceFrame extends PlaneSource {
  frameOfReferenceUid?: string;
}

export function referenceSegment(source: ReferenceFrame, target: ReferenceFrame): Segment2 | undefined {
  if (source.frameOfReferenceUid === undefined || source.frameOfReferenceUid !== target.frameOfReferenceUid) {
    return undefined;
  }
  const a = planeOf(source);
  const b = planeOf(target);
  if (a === undefined || b === undefined) return undefined;
  return referenceLine(a, b);
}
