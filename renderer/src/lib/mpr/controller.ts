/**
 * The MPR and 3D workspace's state and interaction: the crosshair (a point and three perpendicular
 * planes), each view's camera, the window, the slab, measurements (length, angle, ellipse and rectangle ROIs
 * in HU, read by the 2D viewer's measurement model on the view's plane), and the 3D view's camera,
 * preset and clipping box. Pointer input on each view's cell changes the state; a change asks for one draw
 * on the next animation frame, where the vtk.js scene and the overlays (crosshair lines, orientation
 * markers, measurements, text) are drawn together.
 *
 * Left button: the tool (crosshair: click or drag moves the point in all views, dragging a crosshair line
 * away from its centre turns the planes; window; length; angle: drag one arm, then click the end of the
 * other; ellipse and rectangle: drag the box). Right button zooms, middle pans, the wheel moves
 * through the view's plane (Shift: five slices). In 3D: left turns, right zooms, middle pans.
 */
import { indexToWorld, volumeCenter, worldToIndex } from "../../../../shared/geometry/volume";
import {
  MPR_VIEWS,
  type MprPlanes,
  type MprView,
  type ViewCamera,
  crosshairLine,
  ontoPlane,
  rotateCrosshair,
  screenAngle,
  screenToWorld,
  scrollPlanes,
  standardPlanes,
  viewMarkers,
  worldToScreen,
} from "../../../../shared/geometry/volume-planes";
import {
  add,
  cross,
  dot,
  norm,
  normalize,
  scale,
  sub,
  type Point2,
  type Vec3,
} from "../../../../shared/geometry/vector";
import { drawAnnotation } from "../measurements/draw";
import { type Annotation, POINT_COUNT, type Reading, labelAnchor, readingOf } from "../measurements/model";
import type { Voi } from "../viewer-contract";
import type { VolumeData } from "../volume/volume";
import { type Preset3d } from "./presets";
import { type Rect, type SlabMode, VolumeScene } from "./scene";

export type MeasureTool = "length" | "angle" | "ellipse" | "rectangle";
export type MprTool = "crosshair" | "window" | MeasureTool;

const MEASURE_TOOLS: readonly MprTool[] = ["length", "angle", "ellipse", "rectangle"];
const isMeasureTool = (tool: MprTool): tool is MeasureTool => MEASURE_TOOLS.includes(tool);
export type WorkspaceMode = "mpr" | "3d";
export type CellName = MprView | "3d";

const LINE_COLORS: Record<MprView, string> = { axial: "#ff5c5c", coronal: "#4cd964", sagittal: "#ffd23f" };
/** Grab a crosshair line within this many CSS pixels; nearer the centre than ROTATE_MIN moves the point instead. */
const GRAB = 8;
const ROTATE_MIN = 28;
/** Still this long after the last 3D drag: draw at full quality. */
const REFINE_AFTER_MS = 150;

interface Cell {
  element: HTMLElement;
  overlay: HTMLCanvasElement;
}

/**
 * A measurement on one view's plane: its points in patient mm (length: from, to; angle: arm, vertex, arm;
 * ellipse and rectangle: two opposite corners of the box), read in the plane's in-plane axes as they were
 * when it was drawn (the ROI box is aligned with them).
 */
export interface MprMeasurement {
  view: MprView;
  kind: MeasureTool;
  points: Vec3[];
  right: Vec3;
  down: Vec3;
}

type Drag =
  | { kind: "crosshair"; view: MprView }
  | { kind: "rotate"; view: MprView; angle: number }
  | { kind: "window"; x: number; y: number; voi: Voi }
  | { kind: "zoom"; view: CellName; y: number }
  | { kind: "pan"; view: CellName; x: number; y: number }
  | { kind: "measure"; measurement: MprMeasurement }
  | { kind: "turn3d"; x: number; y: number };

/** Clipping box of the 3D view: fractions of the volume along i, j, k. */
export interface ClipBox {
  i: [number, number];
  j: [number, number];
  k: [number, number];
}

export const FULL_BOX: ClipBox = { i: [0, 1], j: [0, 1], k: [0, 1] };

export class MprController {
  readonly data: VolumeData;
  readonly scene: VolumeScene;
  planes: MprPlanes;
  voi: Voi;
  slab: { mode: SlabMode; thickness: number } = { mode: "MIP", thickness: 0 };
  tool: MprTool = "crosshair";
  mode: WorkspaceMode;
  preset: Preset3d = "CT bone";
  clip: ClipBox = FULL_BOX;
  readonly measurements: MprMeasurement[] = [];
  /** Draws done (tests and the benchmark count them). */
  draws = 0;
  readonly #host: HTMLElement;
  readonly #cells = new Map<CellName, Cell>();
  readonly #cameras = new Map<MprView, { focus: Vec3; mmPerPixel: number } | undefined>();
  readonly #defaultVoi: Voi;
  readonly #listeners = new Set<() => void>();
  #drag: Drag | undefined;
  #frame = 0;
  #refine: ReturnType<typeof setTimeout> | undefined;
  /** An angle whose first arm is drawn: its last point follows the pointer until a click places it. */
  #placing: MprMeasurement | undefined;
  readonly #units: string | undefined;
  #presetApplied = false;
  #camera3dReset = false;

  constructor(
    host: HTMLElement,
    data: VolumeData,
    options: { voi: Voi; mode: WorkspaceMode; center?: Vec3; units?: string },
  ) {
    this.#host = host;
    this.data = data;
    this.scene = new VolumeScene(host, data);
    this.planes = standardPlanes(options.center ?? volumeCenter(data.plan.geometry));
    this.voi = options.voi;
    this.#defaultVoi = options.voi;
    this.mode = options.mode;
    this.#units = options.units;
  }

  /** Registers a view's cell (its element and overlay canvas) and its pointer input. */
  attach(name: CellName, element: HTMLElement, overlay: HTMLCanvasElement): () => void {
    this.#cells.set(name, { element, overlay });
    const down = (e: PointerEvent) => this.#down(name, e);
    const move = (e: PointerEvent) => this.#move(name, e);
    const up = (e: PointerEvent) => this.#up(e);
    const wheel = (e: WheelEvent) => this.#wheel(name, e);
    const menu = (e: Event) => e.preventDefault();
    element.addEventListener("pointerdown", down);
    element.addEventListener("pointermove", move);
    element.addEventListener("pointerup", up);
    element.addEventListener("pointercancel", up);
    element.addEventListener("wheel", wheel, { passive: false });
    element.addEventListener("contextmenu", menu);
    this.invalidate();
    return () => {
      element.removeEventListener("pointerdown", down);
      element.removeEventListener("pointermove", move);
      element.removeEventListener("pointerup", up);
      element.removeEventListener("pointercancel", up);
      element.removeEventListener("wheel", wheel);
      element.removeEventListener("contextmenu", menu);
      this.#cells.delete(name);
    };
  }

  /** Called after every change of state (the page's toolbar mirrors it). */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
    this.invalidate();
  }

  /** Asks for a draw on the next animation frame. */
  invalidate(): void {
    if (this.#frame) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      this.draw();
    });
  }

  /** The rectangle of a cell in the host, CSS pixels. */
  rect(name: CellName): Rect | undefined {
    const cell = this.#cells.get(name);
    if (!cell || cell.element.offsetParent === null) return undefined;
    const host = this.#host.getBoundingClientRect();
    const box = cell.element.getBoundingClientRect();
    return { x: box.left - host.left, y: box.top - host.top, width: box.width, height: box.height };
  }

  /** A view's camera: where it looks and its zoom (fitted to the volume the first time). */
  camera(view: MprView): ViewCamera | undefined {
    const rect = this.rect(view);
    if (!rect || rect.width === 0 || rect.height === 0) return undefined;
    const axes = this.planes.axes[view];
    let state = this.#cameras.get(view);
    if (!state) {
      state = {
        focus: ontoPlane(volumeCenter(this.data.plan.geometry), this.planes.center, axes.normal),
        mmPerPixel: 1,
      };
      state.mmPerPixel = this.#fitScale(view, rect);
      this.#cameras.set(view, state);
    }
    // The view always looks at its plane through the crosshair.
    state.focus = ontoPlane(state.focus, this.planes.center, axes.normal);
    return { focus: state.focus, mmPerPixel: state.mmPerPixel, width: rect.width, height: rect.height };
  }

  #fitScale(view: MprView, rect: Rect): number {
    const g = this.data.plan.geometry;
    const axes = this.planes.axes[view];
    const [nx, ny, nz] = g.dimensions;
    let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
    for (const i of [-0.5, nx - 0.5])
      for (const j of [-0.5, ny - 0.5])
        for (const k of [-0.5, nz - 0.5]) {
          const p = indexToWorld(g, [i, j, k]);
          x0 = Math.min(x0, dot(p, axes.right));
          x1 = Math.max(x1, dot(p, axes.right));
          y0 = Math.min(y0, dot(p, axes.down));
          y1 = Math.max(y1, dot(p, axes.down));
        }
    return Math.max((x1 - x0) / rect.width, (y1 - y0) / rect.height) * 1.05;
  }

  /** Sets a view's zoom (mm per CSS pixel). */
  setZoom(view: MprView, mmPerPixel: number): void {
    const camera = this.camera(view);
    if (!camera) return;
    this.#cameras.set(view, { focus: camera.focus, mmPerPixel });
    this.invalidate();
  }

  /** Moves the crosshair to a patient point. */
  setCenter(point: Vec3): void {
    this.planes = { ...this.planes, center: point };
    this.#changed();
  }

  rotate(view: MprView, radians: number): void {
    this.planes = rotateCrosshair(this.planes, view, radians);
    this.#changed();
  }

  scroll(view: MprView, slices: number): void {
    this.planes = scrollPlanes(this.planes, view, slices * this.#step(view));
    this.#changed();
  }

  /** One voxel along a view's normal, in mm. */
  #step(view: MprView): number {
    const n = this.planes.axes[view].normal;
    const g = this.data.plan.geometry;
    const d = worldToIndex(g, add(g.origin, n));
    const perMm = norm(sub(d, worldToIndex(g, g.origin)));
    return perMm > 0 ? 1 / perMm : 1;
  }

  setVoi(voi: Voi): void {
    this.voi = voi;
    this.#changed();
  }

  setSlab(mode: SlabMode, thickness: number): void {
    this.slab = { mode, thickness: Math.max(0, thickness) };
    this.#changed();
  }

  setTool(tool: MprTool): void {
    this.#dropPlacing();
    this.tool = tool;
    this.#changed();
  }

  setMode(mode: WorkspaceMode): void {
    this.mode = mode;
    this.#changed();
  }

  setPreset(preset: Preset3d): void {
    this.preset = preset;
    this.scene.setPreset(preset);
    this.#presetApplied = true;
    this.#changed();
  }

  setClip(box: ClipBox): void {
    this.clip = box;
    const g = this.data.plan.geometry;
    const [nx, ny, nz] = g.dimensions;
    const at = (i: number, j: number, k: number) =>
      indexToWorld(g, [i * (nx - 1), j * (ny - 1), k * (nz - 1)]);
    const steps: Vec3[] = [scale(g.row, g.spacing[0]), scale(g.column, g.spacing[1]), g.sliceStep];
    // A box face of axis a has the normal of the plane spanned by the other two axes, turned to point inward.
    const planes = [0, 1, 2].flatMap((axis) => {
      const [u, v] = steps.filter((_, index) => index !== axis) as [Vec3, Vec3];
      let n = normalize(cross(u, v));
      if (dot(n, steps[axis]!) < 0) n = scale(n, -1);
      const range = [box.i, box.j, box.k][axis]!;
      const low = [0, 0, 0] as [number, number, number];
      const high = [0, 0, 0] as [number, number, number];
      low[axis] = range[0];
      high[axis] = range[1];
      return [
        { origin: at(...low), normal: n },
        { origin: at(...high), normal: scale(n, -1) },
      ];
    });
    this.scene.setClipping(planes);
    this.#changed();
  }

  /** Back to the standard planes through the volume's centre, fitted views and the default window. */
  reset(): void {
    this.planes = standardPlanes(volumeCenter(this.data.plan.geometry));
    this.#cameras.clear();
    this.voi = this.#defaultVoi;
    this.slab = { mode: this.slab.mode, thickness: 0 };
    this.measurements.length = 0;
    this.#placing = undefined;
    this.#camera3dReset = false;
    if (this.mode === "3d") this.setClip(FULL_BOX);
    this.#changed();
  }

  /** Draws the visible views and their overlays now. */
  draw(): void {
    this.scene.resize();
    const window = {
      width: this.voi.width / this.data.rescale.slope,
      level: (this.voi.center - this.data.rescale.intercept) / this.data.rescale.slope,
    };
    for (const view of MPR_VIEWS) {
      const rect = this.rect(view);
      const camera = this.camera(view);
      const visible = this.mode === "mpr" && rect !== undefined && camera !== undefined;
      this.scene.updateSlice(view, {
        rect: rect ?? { x: 0, y: 0, width: 1, height: 1 },
        axes: this.planes.axes[view],
        camera: camera ?? { focus: this.planes.center, mmPerPixel: 1, width: 1, height: 1 },
        window,
        slab: this.slab,
        visible,
      });
    }
    const rect3d = this.rect("3d");
    if (this.mode === "3d" && rect3d) {
      if (!this.#presetApplied) this.setPreset(this.preset);
      this.scene.place3d(rect3d, true);
      if (!this.#camera3dReset) this.#reset3dCamera();
    } else if (this.#presetApplied) {
      this.scene.place3d({ x: 0, y: 0, width: 1, height: 1 }, false);
    }
    this.scene.render();
    this.draws++;
    if (this.scene.uploadPending) setTimeout(() => this.invalidate(), 100);
    for (const view of MPR_VIEWS) this.#drawOverlay(view);
  }

  #reset3dCamera(): void {
    const { renderer } = this.scene.volume3d();
    const camera = renderer.getActiveCamera();
    const c = volumeCenter(this.data.plan.geometry);
    // Seen from the front (anterior), head up.
    camera.setFocalPoint(c[0], c[1], c[2]);
    camera.setPosition(c[0], c[1] - 1000, c[2]);
    camera.setViewUp(0, 0, 1);
    renderer.resetCamera();
    this.#camera3dReset = true;
  }

  /** Turns, zooms or pans the 3D camera (pixels of drag). */
  #camera3d(kind: "turn" | "zoom" | "pan", dx: number, dy: number): void {
    const { renderer } = this.scene.volume3d();
    const camera = renderer.getActiveCamera();
    if (kind === "turn") {
      camera.azimuth(-dx * 0.4);
      camera.elevation(dy * 0.4);
      camera.orthogonalizeViewUp();
    } else if (kind === "zoom") {
      camera.dolly(Math.pow(1.005, -dy));
    } else {
      const rect = this.rect("3d");
      const focus = camera.getFocalPoint() as unknown as Vec3;
      const position = camera.getPosition() as unknown as Vec3;
      const distance = norm(sub(position, focus));
      const perPixel =
        (2 * distance * Math.tan((camera.getViewAngle() * Math.PI) / 360)) / (rect?.height ?? 1);
      const up = normalize(camera.getViewUp() as unknown as Vec3);
      const right = normalize(cross(sub(focus, position), up));
      const shift = add(scale(right, -dx * perPixel), scale(up, dy * perPixel));
      camera.setFocalPoint(...add(focus, shift));
      camera.setPosition(...add(position, shift));
    }
    renderer.resetCameraClippingRange();
    this.#interacting();
  }

  /** Coarse rays now; a full-quality draw once the view has been still for a moment. */
  #interacting(): void {
    this.scene.setQuality("interactive");
    clearTimeout(this.#refine);
    this.#refine = setTimeout(() => {
      this.scene.setQuality("still");
      this.invalidate();
    }, REFINE_AFTER_MS);
    this.invalidate();
  }

  #local(name: CellName, e: { clientX: number; clientY: number }): Point2 {
    const box = this.#cells.get(name)!.element.getBoundingClientRect();
    return { x: e.clientX - box.left, y: e.clientY - box.top };
  }

  /** The patient point under a CSS pixel of a view (on its plane). */
  worldAt(view: MprView, point: Point2): Vec3 | undefined {
    const camera = this.camera(view);
    return camera ? screenToWorld(this.planes.axes[view], camera, point) : undefined;
  }

  screenOf(view: MprView, point: Vec3): Point2 | undefined {
    const camera = this.camera(view);
    return camera ? worldToScreen(this.planes.axes[view], camera, point) : undefined;
  }

  /** Which crosshair line (the other view it belongs to) is under a point, if any, away from the centre. */
  #lineAt(view: MprView, p: Point2): MprView | undefined {
    const c = this.screenOf(view, this.planes.center);
    if (!c || Math.hypot(p.x - c.x, p.y - c.y) < ROTATE_MIN) return undefined;
    for (const other of MPR_VIEWS) {
      if (other === view) continue;
      const angle = screenAngle(this.planes.axes[view], crosshairLine(this.planes, view, other));
      const distance = Math.abs(-(p.x - c.x) * Math.sin(angle) + (p.y - c.y) * Math.cos(angle));
      if (distance <= GRAB) return other;
    }
    return undefined;
  }

  #down(name: CellName, e: PointerEvent): void {
    if (this.#drag) return;
    const p = this.#local(name, e);
    (e.currentTarget as HTMLElement).setPointerCapture?.(e.pointerId);
    e.preventDefault();
    if (e.button === 2) this.#drag = { kind: "zoom", view: name, y: p.y };
    else if (e.button === 1) this.#drag = { kind: "pan", view: name, x: p.x, y: p.y };
    else if (name === "3d") this.#drag = { kind: "turn3d", x: p.x, y: p.y };
    else if (this.tool === "window") this.#drag = { kind: "window", x: p.x, y: p.y, voi: this.voi };
    else if (isMeasureTool(this.tool)) this.#measureDown(name, this.tool, p);
    else if (this.#lineAt(name, p) !== undefined) {
      const c = this.screenOf(name, this.planes.center)!;
      this.#drag = { kind: "rotate", view: name, angle: Math.atan2(p.y - c.y, p.x - c.x) };
    } else {
      this.#drag = { kind: "crosshair", view: name };
      this.#moveCrosshair(name, p);
    }
  }

  /** Starts a measurement at p, or places the last point of the angle being drawn. */
  #measureDown(view: MprView, tool: MeasureTool, p: Point2): void {
    const at = this.worldAt(view, p);
    if (!at) return;
    const placing = this.#placing;
    this.#placing = undefined;
    if (placing?.view === view) {
      placing.points[2] = at;
      this.#changed();
      return;
    }
    if (placing) this.#remove(placing);
    const axes = this.planes.axes[view];
    const measurement: MprMeasurement = {
      view,
      kind: tool,
      points: Array.from({ length: POINT_COUNT[tool] }, () => at),
      right: axes.right,
      down: axes.down,
    };
    this.measurements.push(measurement);
    this.#drag = { kind: "measure", measurement };
  }

  #remove(measurement: MprMeasurement): void {
    const index = this.measurements.indexOf(measurement);
    if (index >= 0) this.measurements.splice(index, 1);
    this.#changed();
  }

  /** An angle left with one arm (another tool was chosen) is taken away. */
  #dropPlacing(): void {
    if (this.#placing) this.#remove(this.#placing);
    this.#placing = undefined;
  }

  #moveCrosshair(view: MprView, p: Point2): void {
    const point = this.worldAt(view, p);
    if (point) this.setCenter(point);
  }

  #move(name: CellName, e: PointerEvent): void {
    const drag = this.#drag;
    const placing = this.#placing;
    if (!drag && placing?.view === name) {
      placing.points[2] = this.worldAt(name, this.#local(name, e)) ?? placing.points[2]!;
      this.#changed();
    }
    if (!drag) return;
    const p = this.#local(name, e);
    switch (drag.kind) {
      case "crosshair":
        this.#moveCrosshair(drag.view, p);
        break;
      case "rotate": {
        const c = this.screenOf(drag.view, this.planes.center)!;
        const angle = Math.atan2(p.y - c.y, p.x - c.x);
        this.rotate(drag.view, angle - drag.angle);
        drag.angle = angle;
        break;
      }
      case "window": {
        const width = Math.max(1, drag.voi.width + (p.x - drag.x) * 4 * this.data.rescale.slope);
        this.setVoi({
          ...drag.voi,
          width,
          center: drag.voi.center + (p.y - drag.y) * 2 * this.data.rescale.slope,
        });
        break;
      }
      case "measure": {
        const m = drag.measurement;
        const at = this.worldAt(m.view, p) ?? m.points[1]!;
        // The angle's first arm ends at its vertex; the second arm starts there.
        if (m.kind === "angle") m.points.splice(1, 2, at, at);
        else m.points[1] = at;
        this.#changed();
        break;
      }
      case "zoom":
        if (drag.view === "3d") this.#camera3d("zoom", 0, p.y - drag.y);
        else {
          const camera = this.camera(drag.view);
          if (camera) this.setZoom(drag.view, camera.mmPerPixel * Math.pow(1.01, p.y - drag.y));
        }
        drag.y = p.y;
        break;
      case "pan":
        if (drag.view === "3d") this.#camera3d("pan", p.x - drag.x, p.y - drag.y);
        else {
          const camera = this.camera(drag.view);
          const axes = this.planes.axes[drag.view];
          if (camera) {
            const shift = add(
              scale(axes.right, -(p.x - drag.x) * camera.mmPerPixel),
              scale(axes.down, -(p.y - drag.y) * camera.mmPerPixel),
            );
            this.#cameras.set(drag.view, { focus: add(camera.focus, shift), mmPerPixel: camera.mmPerPixel });
            this.invalidate();
          }
        }
        drag.x = p.x;
        drag.y = p.y;
        break;
      case "turn3d":
        this.#camera3d("turn", p.x - drag.x, p.y - drag.y);
        drag.x = p.x;
        drag.y = p.y;
        break;
    }
  }

  #up(e: PointerEvent): void {
    (e.currentTarget as HTMLElement).releasePointerCapture?.(e.pointerId);
    const drag = this.#drag;
    this.#drag = undefined;
    if (drag?.kind !== "measure") return;
    const m = drag.measurement;
    // A click without a drag draws nothing.
    if (norm(sub(m.points[0]!, m.points[1]!)) < 0.5) this.#remove(m);
    else if (m.kind === "angle") this.#placing = m;
  }

  #wheel(name: CellName, e: WheelEvent): void {
    e.preventDefault();
    if (name === "3d") {
      this.#camera3d("zoom", 0, e.deltaY > 0 ? 20 : -20);
      return;
    }
    this.scroll(name, Math.sign(e.deltaY) * (e.shiftKey ? 5 : 1));
  }

  /**
   * A measurement on its plane as a 2D annotation of the measurement model (lib/measurements/model.ts):
   * points in steps of `step` mm along the plane's axes from the first point, and the plane sampled there
   * (nearest voxel, modality values) for the ROI statistics.
   */
  #planar(m: MprMeasurement): { annotation: Annotation; toWorld: (q: Point2) => Vec3; step: number } {
    const g = this.data.plan.geometry;
    const step = Math.min(g.spacing[0], g.spacing[1], g.spacing[2]);
    const origin = m.points[0]!;
    const toWorld = (q: Point2): Vec3 =>
      add(origin, add(scale(m.right, q.x * step), scale(m.down, q.y * step)));
    const points = m.points.map((p) => {
      const d = sub(p, origin);
      return { x: dot(d, m.right) / step, y: dot(d, m.down) / step };
    });
    return {
      annotation: { id: "", sopInstanceUid: "", frameNumber: 1, kind: m.kind, points },
      toWorld,
      step,
    };
  }

  /** What a measurement reads: mm, degrees, or mean/SD/min/max in the volume's units (HU) and area in mm². */
  reading(m: MprMeasurement): Reading {
    const { annotation, toWorld, step } = this.#planar(m);
    const g = this.data.plan.geometry;
    const valueAt = (q: Point2) => {
      const [i, j, k] = worldToIndex(g, toWorld(q));
      return this.data.valueAt(i, j, k);
    };
    return readingOf(annotation, {
      spacing: { row: step, column: step, source: "PixelSpacing" },
      ...(this.#units ? { units: this.#units } : {}),
      valueAt,
      valuesIn: (contains, bounds) => {
        const values: number[] = [];
        const q = { x: 0, y: 0 };
        for (let y = Math.floor(bounds.y0); y < Math.ceil(bounds.y1); y++) {
          q.y = y + 0.5;
          for (let x = Math.floor(bounds.x0); x < Math.ceil(bounds.x1); x++) {
            q.x = x + 0.5;
            if (!contains(q)) continue;
            const value = valueAt(q);
            if (value !== undefined) values.push(value);
          }
        }
        return Float64Array.from(values);
      },
    });
  }

  #drawOverlay(view: MprView): void {
    const cell = this.#cells.get(view);
    const camera = this.camera(view);
    if (!cell) return;
    const canvas = cell.overlay;
    const ratio = globalThis.devicePixelRatio || 1;
    const width = camera?.width ?? 0;
    const height = camera?.height ?? 0;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    const ctx = canvas.getContext("2d");
    if (!ctx || !camera) return;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const axes = this.planes.axes[view];
    const c = worldToScreen(axes, camera, this.planes.center);
    ctx.lineWidth = 1;
    for (const other of MPR_VIEWS) {
      if (other === view) continue;
      const angle = screenAngle(axes, crosshairLine(this.planes, view, other));
      const [dx, dy] = [Math.cos(angle), Math.sin(angle)];
      const far = width + height;
      ctx.strokeStyle = LINE_COLORS[other];
      ctx.beginPath();
      // A gap around the centre keeps the point itself visible.
      for (const sign of [-1, 1]) {
        ctx.moveTo(c.x + sign * dx * 12, c.y + sign * dy * 12);
        ctx.lineTo(c.x + sign * dx * far, c.y + sign * dy * far);
      }
      ctx.stroke();
    }
    ctx.font = "12px system-ui, sans-serif";
    ctx.fillStyle = "#f2f2f2";
    ctx.strokeStyle = "#000";
    const text = (value: string, x: number, y: number, align: CanvasTextAlign) => {
      ctx.textAlign = align;
      ctx.lineWidth = 3;
      ctx.strokeText(value, x, y);
      ctx.fillText(value, x, y);
    };
    const markers = viewMarkers(axes);
    text(markers.left, 6, height / 2, "left");
    text(markers.right, width - 6, height / 2, "right");
    text(markers.top, width / 2, 16, "center");
    text(markers.bottom, width / 2, height - 8, "center");
    const slab =
      this.slab.thickness > 0 ? ` · ${this.slab.mode} ${Number(this.slab.thickness.toFixed(1))} mm` : "";
    text(`${view[0]!.toUpperCase()}${view.slice(1)}${slab}`, 6, 16, "left");
    text(`W ${Math.round(this.voi.width)} L ${Math.round(this.voi.center)}`, 6, height - 8, "left");
    for (const m of this.measurements.filter((item) => item.view === view)) {
      const { annotation, toWorld } = this.#planar(m);
      const toCanvas = (q: Point2) => worldToScreen(axes, camera, toWorld(q));
      ctx.save();
      drawAnnotation(ctx, annotation, toCanvas, { selected: false, saveState: "saved" });
      ctx.restore();
      ctx.fillStyle = "#f2f2f2";
      ctx.strokeStyle = "#000";
      const anchor = toCanvas(labelAnchor(annotation));
      this.reading(m).lines.forEach((line, index) =>
        text(line, anchor.x + 6, anchor.y - 6 + index * 15, "left"),
      );
    }
  }

  destroy(): void {
    cancelAnimationFrame(this.#frame);
    clearTimeout(this.#refine);
    this.#listeners.clear();
    this.scene.destroy();
  }
}

export { LINE_COLORS };
