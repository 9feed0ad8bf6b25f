/**
 * Synchronised scrolling by position: the slice of another series nearest the active slice, measured
 * along that series' normal — not the same index, which means nothing across series of different
 * thickness, spacing or extent. Only stacks in the active slice's frame of reference whose planes are
 * (nearly) parallel to it follow; the others show a reference line instead.
 */
import {
  type ImagePlane,
  type PlaneSource,
  distanceToPlane,
  parallelism,
  planeCenter,
  planeOf,
} from "../../../../shared/geometry/planes";

/** Planes within this angle of the active slice's plane count as parallel (gantry tilt, slight obliques). */
export const PARALLEL_TOLERANCE_DEGREES = 30;
const MIN_PARALLELISM = Math.cos((PARALLEL_TOLERANCE_DEGREES * Math.PI) / 180);

/** What the position sync needs of a frame. */
export interface PositionedFrame extends PlaneSource {
  frameOfReferenceUid?: string;
}

export interface NearestSlice {
  index: number;
  /** |distance| in mm from the slice's plane to the centre of the source image. */
  distance: number;
}

/** Whether a stack of `target` frames can follow `source` by position: same frame of reference, parallel planes. */
export function canSyncByPosition(source: PositionedFrame, target: PositionedFrame): boolean {
  if (source.frameOfReferenceUid === undefined || source.frameOfReferenceUid !== target.frameOfReferenceUid) {
    return false;
  }
  const a = planeOf(source);
  const b = planeOf(target);
  return a !== undefined && b !== undefined && parallelism(a.normal, b.normal) >= MIN_PARALLELISM;
}

/**
 * The index of the frame in `stack` whose plane lies nearest the centre of the `source` frame (the
 * distance measured along each candidate's own normal), or undefined when no frame can follow (other
 * frame of reference, not parallel, no geometry). Beyond either end of the stack the end slice is nearest.
 */
export function nearestSliceByPosition(
  source: PositionedFrame,
  stack: ReadonlyArray<PositionedFrame | undefined>,
): NearestSlice | undefined {
  const sourcePlane = planeOf(source);
  if (sourcePlane === undefined || source.frameOfReferenceUid === undefined) return undefined;
  const point = planeCenter(sourcePlane);
  let best: NearestSlice | undefined;
  stack.forEach((frame, index) => {
    if (frame === undefined || frame.frameOfReferenceUid !== source.frameOfReferenceUid) return;
    const plane: ImagePlane | undefined = planeOf(frame);
    if (plane === undefined || parallelism(plane.normal, sourcePlane.normal) < MIN_PARALLELISM) return;
    const distance = Math.abs(distanceToPlane(plane, point));
    if (best === undefined || distance < best.distance) best = { index, distance };
  });
  return best;
}
