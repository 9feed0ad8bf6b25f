/**
 * A volume in its native voxel type (Int16/Uint16, or 8/32-bit as stored): one typed array, slice k at
 * offset k·columns·rows, filled in place as slices arrive. Knows which slices are in and tells listeners.
 */
import type { VolumePlan } from "../../../../shared/geometry/volume";
import type { GrayArray } from "../imaging/pixels";
import { Value } from "../imaging/observable";

export type VoxelArray = GrayArray;

/** The constructor of a voxel type, from Bits Allocated and Pixel Representation. */
export function voxelType(
  bitsAllocated: number,
  signed: boolean,
):
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor {
  if (bitsAllocated <= 8) return signed ? Int8Array : Uint8Array;
  if (bitsAllocated === 16) return signed ? Int16Array : Uint16Array;
  return signed ? Int32Array : Uint32Array;
}

/** Runs of consecutive slice indices, [first, last] each, in order. */
export function sliceRuns(slices: readonly number[]): Array<[number, number]> {
  const sorted = [...new Set(slices)].sort((a, b) => a - b);
  const runs: Array<[number, number]> = [];
  for (const k of sorted) {
    const last = runs[runs.length - 1];
    if (last && k === last[1] + 1) last[1] = k;
    else runs.push([k, k]);
  }
  return runs;
}

export interface VolumeFill {
  filled: number;
  total: number;
}

export class VolumeData {
  readonly plan: VolumePlan;
  readonly voxels: VoxelArray;
  /** Rescale of every slice: modality value = slope · voxel + intercept. */
  readonly rescale: { slope: number; intercept: number };
  readonly fill: Value<VolumeFill>;
  readonly #filled: Uint8Array;
  readonly #sliceListeners = new Set<(k: number) => void>();
  #count = 0;

  constructor(plan: VolumePlan, voxels: VoxelArray, rescale: { slope: number; intercept: number }) {
    const [columns, rows, slices] = plan.geometry.dimensions;
    if (voxels.length !== columns * rows * slices)
      throw new RangeError("the voxel array does not fit the plan");
    this.plan = plan;
    this.voxels = voxels;
    this.rescale = rescale;
    this.#filled = new Uint8Array(slices);
    this.fill = new Value({ filled: 0, total: slices });
  }

  get sliceLength(): number {
    return this.plan.geometry.dimensions[0] * this.plan.geometry.dimensions[1];
  }

  get byteLength(): number {
    return this.voxels.byteLength;
  }

  /** Slice k's voxels: a view, not a copy. */
  slice(k: number): VoxelArray {
    return this.voxels.subarray(k * this.sliceLength, (k + 1) * this.sliceLength);
  }

  has(k: number): boolean {
    return this.#filled[k] === 1;
  }

  /** Copies a slice in (or, weighted, the blend of two) and tells the listeners. */
  write(k: number, from: ArrayLike<number>, to?: ArrayLike<number>, weight = 0): void {
    const target = this.slice(k);
    if (to === undefined || weight === 0) target.set(from);
    else
      for (let i = 0; i < target.length; i++) target[i] = Math.round(from[i]! + (to[i]! - from[i]!) * weight);
    if (this.#filled[k] === 1) return;
    this.#filled[k] = 1;
    this.#count++;
    for (const listener of this.#sliceListeners) listener(k);
    this.fill.set({ filled: this.#count, total: this.#filled.length });
  }

  /** Called with k each time slice k arrives. */
  onSlice(listener: (k: number) => void): () => void {
    this.#sliceListeners.add(listener);
    return () => this.#sliceListeners.delete(listener);
  }

  /** The modality value (e.g. HU) at a voxel index (nearest voxel), undefined outside or not yet loaded. */
  valueAt(i: number, j: number, k: number): number | undefined {
    const [nx, ny, nz] = this.plan.geometry.dimensions;
    const [x, y, z] = [Math.round(i), Math.round(j), Math.round(k)];
    if (x < 0 || y < 0 || z < 0 || x >= nx || y >= ny || z >= nz || !this.has(z)) return undefined;
    return this.voxels[(z * ny + y) * nx + x]! * this.rescale.slope + this.rescale.intercept;
  }
}
