/**
 * Synchronised window/level: the active viewport's window applies to the others showing values in the
 * same units (HU to HU); a CT window on an MR or a PET series would be meaningless, so those keep theirs.
 */
import type { Voi } from "../viewer-contract";

export interface VoiFrame {
  modality?: string;
  units?: string;
}

export function canSyncVoi(source: VoiFrame, target: VoiFrame): boolean {
  if (source.units !== undefined || target.units !== undefined) return source.units === target.units;
  return source.modality !== undefined && source.modality === target.modality;
}

export function sameVoi(a: Voi, b: Voi): boolean {
  return a.center === b.center && a.width === b.width && a.fn === b.fn;
}
