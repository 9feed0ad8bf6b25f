/**
 * The VOI stage of the grayscale pipeline (PS3.3 C.11.2.1.2) in plain numbers — the shader in
 * gl-renderer.ts computes the same — and the default window of a frame. Output is 0…1 (ymin…ymax).
 */
import type { ResolvedLuts, Lut } from "../imaging/luts";
import { lookup } from "../imaging/luts";
import type { DecodedFrame } from "../imaging/pixels";
import type { FrameInfo, Voi } from "../viewer-contract";

/**
 * LINEAR (C.11.2.1.2.1): below c − 0.5 − (w − 1)/2 → 0, above c − 0.5 + (w − 1)/2 → 1, between
 * ((x − (c − 0.5)) / (w − 1) + 0.5). LINEAR_EXACT (C.11.2.1.3.2): below c − w/2 → 0, above c + w/2 → 1,
 * between (x − c)/w + 0.5. SIGMOID (C.11.2.1.3.1): 1 / (1 + exp(−4 (x − c) / w)).
 */
export function voiOutput(x: number, voi: Voi): number {
  const { center: c, width: w } = voi;
  switch (voi.fn) {
    case "LINEAR_EXACT":
      if (x <= c - w / 2) return 0;
      if (x > c + w / 2) return 1;
      return (x - c) / w + 0.5;
    case "SIGMOID":
      return 1 / (1 + Math.exp((-4 * (x - c)) / w));
    default: {
      if (x <= c - 0.5 - (w - 1) / 2) return 0;
      if (x > c - 0.5 + (w - 1) / 2) return 1;
      return (x - (c - 0.5)) / (w - 1) + 0.5;
    }
  }
}

/** A VOI LUT's output for a modality value, 0…1. */
export function voiLutOutput(x: number, lut: Lut): number {
  return lookup(lut, x) / (2 ** lut.bits - 1);
}

/** The smallest width a window may have with its function (LINEAR needs w ≥ 1, the others w > 0). */
export function minimumWidth(fn: Voi["fn"]): number {
  return fn === "LINEAR" ? 1 : 1e-6;
}

/** Modality value of a stored value for a frame (rescale, or the modality LUT). */
export function modalityValue(stored: number, info: Pick<FrameInfo, "rescale">, luts?: ResolvedLuts): number {
  return luts?.modality
    ? lookup(luts.modality, stored)
    : stored * info.rescale.slope + info.rescale.intercept;
}

/**
 * The window that spans [low, high] with LINEAR exactly: low → 0 and high → 1 (w = high − low + 1,
 * c = (low + high + 1)/2), as DCMTK's min-max window does.
 */
export function windowSpanning(low: number, high: number): Voi {
  return { center: (low + high + 1) / 2, width: Math.max(high - low + 1, 1), fn: "LINEAR" };
}

/** What a frame shows until the user windows: its first stored window, else its VOI LUT, else its full range. */
export function defaultVoi(
  info: Pick<FrameInfo, "windows" | "rescale">,
  frame: Pick<DecodedFrame, "min" | "max" | "kind">,
  luts?: ResolvedLuts,
): { voi: Voi; lut?: Lut } {
  const stored = info.windows[0];
  if (stored) return { voi: { center: stored.center, width: stored.width, fn: stored.fn } };
  const lut = luts?.voi[0];
  if (lut) {
    // The window the table spans, for the W/L readout and for dragging from.
    return { voi: windowSpanning(lut.firstMapped, lut.firstMapped + lut.data.length - 1), lut };
  }
  let low = modalityValue(frame.min, info, luts);
  let high = modalityValue(frame.max, info, luts);
  if (luts?.modality && frame.max - frame.min <= 1 << 16) {
    for (let v = frame.min; v <= frame.max; v++) {
      const m = lookup(luts.modality, v);
      if (m < low) low = m;
      if (m > high) high = m;
    }
  }
  if (low > high) [low, high] = [high, low];
  return { voi: windowSpanning(low, high) };
}

export interface WindowPreset {
  /** The number key that selects it. */
  key: string;
  name: string;
  center: number;
  width: number;
}

/** Window presets by modality (number keys 1–7 for CT). */
export const WINDOW_PRESETS: Readonly<Record<string, readonly WindowPreset[]>> = {
  CT: [
    { key: "1", name: "Brain", center: 40, width: 80 },
    { key: "2", name: "Subdural", center: 75, width: 215 },
    { key: "3", name: "Lung", center: -600, width: 1500 },
    { key: "4", name: "Mediastinum", center: 50, width: 350 },
    { key: "5", name: "Bone", center: 400, width: 1800 },
    { key: "6", name: "Abdomen", center: 40, width: 400 },
    { key: "7", name: "Liver", center: 60, width: 160 },
  ],
};

/** The presets for a modality (none for modalities without calibrated units). */
export function presetsFor(modality: string | undefined): readonly WindowPreset[] {
  return WINDOW_PRESETS[(modality ?? "").toUpperCase()] ?? [];
}
