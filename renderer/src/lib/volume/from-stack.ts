/**
 * A series' volume, filled from the frames its stack streams in (the same loads the 2D viewer makes: a frame
 * in flight or in the cache is never fetched again), the slices nearest the crosshair first.
 *
 * Memory: when a volume slice is one stored frame as is, the frame cache's entry for it is replaced by a
 * view into the volume, so the page holds one copy of the pixels however the series is viewed. Resampled
 * volumes (uneven or missing slices) blend two frames per slice and leave the cache as it was.
 */
import { type SliceInput, VolumeError, planVolume, splitStacks } from "../../../../shared/geometry/volume";
import type { LruCache } from "../imaging/cache";
import { numberOf } from "../imaging/dicom-json";
import { middleOutOrder } from "../imaging/order";
import type { DecodedFrame } from "../imaging/pixels";
import { frameCache, frameCacheKey, type SeriesStack } from "../imaging/series";
import type { FrameInfo } from "../viewer-contract";
import { VolumeData, voxelType } from "./volume";

const ACQUISITION_NUMBER = 0x00200012;
const TEMPORAL_POSITION_IDENTIFIER = 0x00200100;

/** A frame as a volume slice: only grey images with position, orientation and PixelSpacing qualify. */
export function sliceInput(frame: FrameInfo, stackKey = ""): SliceInput | undefined {
  const { imagePositionPatient, imageOrientationPatient, spacing } = frame;
  if (!imagePositionPatient || !imageOrientationPatient || spacing?.source !== "PixelSpacing")
    return undefined;
  if (frame.samplesPerPixel !== 1 || !frame.photometricInterpretation.startsWith("MONOCHROME"))
    return undefined;
  return {
    position: imagePositionPatient,
    orientation: imageOrientationPatient,
    rows: frame.rows,
    columns: frame.columns,
    spacing,
    stackKey,
  };
}

export interface VolumeSource {
  volume: VolumeData;
  /** Stack frame index of each planned slice (VolumeSlice.from/to index this). */
  frames: number[];
  /** Stacks in the series that were left out (other orientations, acquisitions). */
  otherStacks: number;
}

/** Plans the volume of the stack holding frame `near` (default: the largest stack) and allocates it. */
export function volumeSource(stack: SeriesStack, near?: number): VolumeSource {
  const candidates: Array<{ index: number; input: SliceInput }> = [];
  for (const [index, frame] of stack.frames.entries()) {
    const instance = stack.instance(index);
    const key = [ACQUISITION_NUMBER, TEMPORAL_POSITION_IDENTIFIER]
      .map((t) => numberOf(instance, t) ?? "")
      .join("/");
    const input = sliceInput(frame, frame.numberOfFrames > 1 ? "" : key);
    if (input) candidates.push({ index, input });
  }
  if (candidates.length < 2) {
    throw new VolumeError(
      "the series has no stack of positioned grey images (two or more) to build a volume from",
    );
  }
  const stacks = splitStacks(candidates.map((c) => c.input));
  const chosen = stacks.find((members) => members.some((m) => candidates[m]!.index === near)) ?? stacks[0]!;
  if (chosen.length < 2)
    throw new VolumeError("the chosen stack has a single image: there is no volume to build");
  const frames = chosen.map((m) => candidates[m]!.index);
  const plan = planVolume(chosen.map((m) => candidates[m]!.input));
  const infos = frames.map((i) => stack.frames[i]!);
  const first = infos[0]!;
  if (infos.some((f) => f.modalityLut))
    throw new VolumeError("slices with a modality lookup table are not supported in MPR");
  const rescale = first.rescale;
  if (infos.some((f) => f.rescale.slope !== rescale.slope || f.rescale.intercept !== rescale.intercept)) {
    throw new VolumeError("the slices are rescaled differently: MPR needs one rescale slope and intercept");
  }
  const [columns, rows, slices] = plan.geometry.dimensions;
  const Type = voxelType(first.bitsAllocated, first.pixelRepresentation === 1);
  const volume = new VolumeData(plan, new Type(columns * rows * slices), rescale);
  return { volume, frames, otherStacks: stacks.length - 1 };
}

export interface StreamOptions {
  /** Volume slice to start from (default the middle): the rest follow outward from it. */
  start?: number;
  /** Frames loading at once for the volume (the stack's own background loading runs beside). */
  concurrency?: number;
  cache?: LruCache<DecodedFrame>;
  signal?: AbortSignal;
}

/** Fills the volume from the stack; resolves when every slice is in (slices whose frames fail stay empty). */
export async function streamVolume(
  stack: SeriesStack,
  source: VolumeSource,
  options: StreamOptions = {},
): Promise<{ failed: number }> {
  const { volume, frames } = source;
  const cache = options.cache ?? frameCache();
  const plan = volume.plan;
  const queue = middleOutOrder(plan.slices.length, options.start);
  let failed = 0;
  const fillOne = async (k: number) => {
    const slice = plan.slices[k]!;
    const a = frames[slice.from]!;
    const b = frames[slice.to]!;
    const [from, to] = await Promise.all([stack.load(a), slice.weight > 0 ? stack.load(b) : undefined]);
    if (options.signal?.aborted) return;
    volume.write(k, from.pixels, to?.pixels, slice.weight);
    if (!plan.resampled) {
      // The cache keeps a view into the volume instead of its own copy.
      const info = stack.frames[a]!;
      cache.set(frameCacheKey(info), { ...from, pixels: volume.slice(k) }, from.pixels.byteLength);
    }
  };
  const worker = async () => {
    for (let k = queue.shift(); k !== undefined && !options.signal?.aborted; k = queue.shift()) {
      if (volume.has(k)) continue;
      try {
        await fillOne(k);
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 6) }, worker));
  return { failed };
}
