/**
 * `globalThis.hilumMpr`: what the end-to-end tests and the benchmark read and drive in the MPR/3D workspace
 * (as `globalThis.hilumViewer` is for the 2D viewer). Pixels come back as base64 RGBA of one view's cell.
 */
import { type MprView, viewMarkers } from "../../../../shared/geometry/volume-planes";
import type { Vec3 } from "../../../../shared/geometry/vector";
import { worldToIndex } from "../../../../shared/geometry/volume";
import type { CellName, ClipBox, MprController, MprTool, WorkspaceMode } from "./controller";
import type { Preset3d } from "./presets";
import type { SlabMode } from "./scene";

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export interface MprTimings {
  /** performance.now() when the workspace was asked for, when its first draw showed data, when the volume was full. */
  opened: number;
  interactive?: number;
  filled?: number;
}

export function mprDiagnostics(
  controller: MprController,
  seriesInstanceUid: string,
  timings: MprTimings,
  warnings: readonly string[],
) {
  const g = controller.data.plan.geometry;
  return {
    seriesInstanceUid,
    timings,
    warnings,
    geometry: g,
    fill: () => controller.data.fill.current,
    state: () => ({
      center: controller.planes.center,
      centerIndex: worldToIndex(g, controller.planes.center),
      axes: controller.planes.axes,
      voi: controller.voi,
      slab: controller.slab,
      mode: controller.mode,
      tool: controller.tool,
      draws: controller.draws,
      quality: controller.scene.quality,
      measurements: controller.measurements.map((m) => {
        const reading = controller.reading(m);
        return {
          view: m.view,
          kind: m.kind,
          points: m.points,
          lines: reading.lines,
          value: reading.value,
          stats: reading.stats,
          ...(m.kind === "length" ? { length: reading.value } : {}),
        };
      }),
    }),
    camera: (view: MprView) => controller.camera(view),
    markers: (view: MprView) => viewMarkers(controller.planes.axes[view]),
    rect: (view: CellName) => controller.rect(view),
    screenOf: (view: MprView, point: Vec3) => controller.screenOf(view, point),
    worldAt: (view: MprView, x: number, y: number) => controller.worldAt(view, { x, y }),
    setCenter: (point: Vec3) => controller.setCenter(point),
    rotate: (view: MprView, radians: number) => controller.rotate(view, radians),
    setZoom: (view: MprView, mmPerPixel: number) => controller.setZoom(view, mmPerPixel),
    setSlab: (mode: SlabMode, thickness: number) => controller.setSlab(mode, thickness),
    setVoi: (center: number, width: number) => controller.setVoi({ center, width, fn: "LINEAR" }),
    setTool: (tool: MprTool) => controller.setTool(tool),
    setMode: (mode: WorkspaceMode) => controller.setMode(mode),
    setPreset: (preset: Preset3d) => controller.setPreset(preset),
    setClip: (box: ClipBox) => controller.setClip(box),
    valueAt: (point: Vec3) => {
      const [i, j, k] = worldToIndex(g, point);
      return controller.data.valueAt(i, j, k);
    },
    /** Draws now; the view's pixels, top row first. */
    pixels: (name: CellName) => {
      controller.draw();
      const rect = controller.rect(name);
      if (!rect) return undefined;
      const { width, height, data } = controller.scene.readPixels(rect);
      return { width, height, rgba: base64(data) };
    },
    /** Draws `count` times, moving the crosshair one step along `view`'s normal each time: draws per second. */
    dragFps: (view: MprView, count: number) => {
      const started = performance.now();
      for (let i = 0; i < count; i++) {
        controller.scroll(view, i % 40 < 20 ? 1 : -1);
        controller.draw();
        controller.scene.readPixels({ x: 0, y: 0, width: 1, height: 1 });
      }
      return count / ((performance.now() - started) / 1000);
    },
    memory: () => ({ volumeBytes: controller.data.byteLength, gpuBytes: controller.scene.gpuBytes }),
    /** Slices written into the volume texture after it was made, by the scene itself or through vtk.js. */
    uploads: () => ({ ...controller.scene.uploaded }),
  };
}

export type MprDiagnostics = ReturnType<typeof mprDiagnostics>;

declare global {
  var hilumMpr: MprDiagnostics | undefined;
}
