/**
 * 3D volume rendering presets: colour and opacity transfer functions written in modality units (HU) and
 * mapped to the volume's stored values, so they hold whatever the rescale. "MIP" is a maximum intensity
 * projection instead of compositing.
 */
import vtkColorTransferFunction from "@kitware/vtk.js/Rendering/Core/ColorTransferFunction";
import vtkPiecewiseFunction from "@kitware/vtk.js/Common/DataModel/PiecewiseFunction";
import type vtkVolumeMapper from "@kitware/vtk.js/Rendering/Core/VolumeMapper";
import type vtkVolumeProperty from "@kitware/vtk.js/Rendering/Core/VolumeProperty";

export type Preset3d = "CT bone" | "CT soft tissue" | "CT lung" | "CT angio" | "MIP";

export const PRESETS_3D: readonly Preset3d[] = ["CT bone", "CT soft tissue", "CT lung", "CT angio", "MIP"];

interface Curve {
  /** HU, red, green, blue (0–1). */
  colors: Array<[number, number, number, number]>;
  /** HU, opacity. */
  opacity: Array<[number, number]>;
  shade: boolean;
}

const CURVES: Record<Exclude<Preset3d, "MIP">, Curve> = {
  "CT bone": {
    colors: [
      [-1000, 0, 0, 0],
      [150, 0.55, 0.25, 0.15],
      [300, 0.9, 0.8, 0.6],
      [1500, 1, 1, 0.95],
    ],
    opacity: [
      [-1000, 0],
      [150, 0],
      [300, 0.4],
      [1500, 0.9],
    ],
    shade: true,
  },
  "CT soft tissue": {
    colors: [
      [-1000, 0, 0, 0],
      [-100, 0.7, 0.45, 0.35],
      [60, 0.85, 0.55, 0.45],
      [300, 1, 0.95, 0.85],
    ],
    opacity: [
      [-1000, 0],
      [-200, 0],
      [-50, 0.15],
      [100, 0.3],
      [300, 0.6],
    ],
    shade: true,
  },
  "CT lung": {
    colors: [
      [-1000, 0.3, 0.5, 0.9],
      [-600, 0.8, 0.85, 1],
      [-300, 0.9, 0.6, 0.5],
      [200, 1, 0.9, 0.8],
    ],
    opacity: [
      [-1000, 0],
      [-900, 0],
      [-700, 0.08],
      [-400, 0.02],
      [-100, 0],
    ],
    shade: true,
  },
  "CT angio": {
    colors: [
      [-1000, 0, 0, 0],
      [100, 0.6, 0.1, 0.1],
      [250, 0.95, 0.35, 0.25],
      [600, 1, 0.95, 0.9],
    ],
    opacity: [
      [-1000, 0],
      [120, 0],
      [220, 0.5],
      [600, 0.85],
    ],
    shade: true,
  },
};

/** Sets the property and blend mode of a 3D view to a preset. */
export function applyPreset(
  property: vtkVolumeProperty,
  mapper: vtkVolumeMapper,
  preset: Preset3d,
  rescale: { slope: number; intercept: number },
): void {
  const stored = (hu: number) => (hu - rescale.intercept) / rescale.slope;
  const colors = vtkColorTransferFunction.newInstance();
  const opacity = vtkPiecewiseFunction.newInstance();
  property.setInterpolationTypeToLinear();
  if (preset === "MIP") {
    mapper.setBlendModeToMaximumIntensity();
    colors.addRGBPoint(stored(-200), 0, 0, 0);
    colors.addRGBPoint(stored(1000), 1, 1, 1);
    opacity.addPoint(stored(-1000), 1);
    opacity.addPoint(stored(3000), 1);
    property.setShade(false);
  } else {
    mapper.setBlendModeToComposite();
    const curve = CURVES[preset];
    for (const [hu, r, g, b] of curve.colors) colors.addRGBPoint(stored(hu), r, g, b);
    for (const [hu, a] of curve.opacity) opacity.addPoint(stored(hu), a);
    property.setShade(curve.shade);
    property.setAmbient(0.2);
    property.setDiffuse(0.7);
    property.setSpecular(0.3);
    property.setSpecularPower(8);
  }
  property.setRGBTransferFunction(0, colors);
  property.setScalarOpacity(0, opacity);
}
