/**
 * The vtk.js side of MPR and 3D: one WebGL2 render window on one canvas, one renderer per view placed over
 * its cell, and one vtkImageData whose scalars are the volume's own typed array (native type, no copy). All
 * views live in the same render window, so vtk.js keeps one GPU texture for the volume (its graphics
 * resources are keyed by the data array) that every reslice and the ray caster sample.
 *
 * Streaming: slices that arrive after the texture exists are written into vtk.js's texture directly
 * (texSubImage3D of the z-ranges that arrived, converted the way vtk.js converts the whole volume), so the
 * upload work over a whole fill is linear in the volume. vtk.js's own "updated extents" would convert the
 * whole volume to floats on every update where the GPU lacks filterable 16-bit textures (SwiftShader).
 */
import "@kitware/vtk.js/Rendering/Profiles/Volume";
import "@kitware/vtk.js/Rendering/OpenGL/RenderWindow";
import vtkDataArray from "@kitware/vtk.js/Common/Core/DataArray";
import HalfFloat from "@kitware/vtk.js/Common/Core/HalfFloat";
import vtkImageData from "@kitware/vtk.js/Common/DataModel/ImageData";
import vtkPlane from "@kitware/vtk.js/Common/DataModel/Plane";
import vtkPolyData from "@kitware/vtk.js/Common/DataModel/PolyData";
import vtkImageResliceMapper from "@kitware/vtk.js/Rendering/Core/ImageResliceMapper";
import vtkImageSlice from "@kitware/vtk.js/Rendering/Core/ImageSlice";
import vtkRenderWindow from "@kitware/vtk.js/Rendering/Core/RenderWindow";
import vtkRenderWindowInteractor from "@kitware/vtk.js/Rendering/Core/RenderWindowInteractor";
import vtkRenderer from "@kitware/vtk.js/Rendering/Core/Renderer";
import vtkVolume from "@kitware/vtk.js/Rendering/Core/Volume";
import vtkVolumeMapper from "@kitware/vtk.js/Rendering/Core/VolumeMapper";
import vtkOpenGLRenderWindow from "@kitware/vtk.js/Rendering/OpenGL/RenderWindow";
import { directionOf, vtkSpacingOf } from "../../../../shared/geometry/volume";
import type { PlaneAxes, ViewCamera } from "../../../../shared/geometry/volume-planes";
import { scale, sub, type Vec3 } from "../../../../shared/geometry/vector";
import { sliceRuns, type VolumeData, type VoxelArray } from "../volume/volume";
import { applyPreset, type Preset3d } from "./presets";

export type SlabMode = "MIP" | "MinIP" | "Average";

/** vtk.js SlabTypes: MIN 0, MAX 1, MEAN 2. */
const SLAB_TYPE: Record<SlabMode, number> = { MinIP: 0, MIP: 1, Average: 2 };

/** A view's rectangle in CSS pixels, relative to the scene's host. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Slices that arrived are uploaded together at most this often (fewer, larger texSubImage3D calls). */
const UPLOAD_INTERVAL_MS = 400;

/** Slices converted and uploaded per texSubImage3D call: bounds the temporary (float) copy. */
const UPLOAD_CHUNK_SLICES = 16;

/** What this file uses of vtk.js's OpenGL texture (vtkOpenGLTexture; its typings omit these getters). */
interface VolumeTexture {
  getHandle(): WebGLTexture | null;
  getTarget(): number;
  getWidth(): number;
  getHeight(): number;
  getComponents(): number;
  getVolumeInfo(): { scale: number[]; offset: number[]; depth?: number } | undefined;
  getOpenGLDataType(vtkType?: string, forceUpdate?: boolean): number;
  activate(): void;
  deactivate(): void;
}

/** How far the camera stands off the plane it looks at (mm); the clipping range brackets the plane. */
const CAMERA_DISTANCE = 2000;

interface SliceView {
  renderer: vtkRenderer;
  mapper: vtkImageResliceMapper;
  actor: vtkImageSlice;
  /** The quad the reslice is drawn on: the view's whole rectangle on its plane. */
  quad: vtkPolyData;
}

/**
 * vtk.js cuts its own slice polygon out of the volume's box, and takes a plane for "axis-aligned" when its
 * normal, mapped through the inverse direction matrix, is — right only for orthonormal directions. A gantry
 * tilt's sheared volume would be cut along its tilted slices. So each view draws on a quad of its own: the
 * view's rectangle on its plane; the shader samples by world position and leaves what is outside the
 * volume black.
 */
function viewQuad(quad: vtkPolyData, axes: PlaneAxes, camera: ViewCamera): void {
  const halfWidth = (camera.width / 2) * camera.mmPerPixel;
  const halfHeight = (camera.height / 2) * camera.mmPerPixel;
  const points = new Float32Array(12);
  const normals = new Float32Array(12);
  [
    [-1, -1],
    [1, -1],
    [1, 1],
    [-1, 1],
  ].forEach(([x, y], i) => {
    for (let a = 0; a < 3; a++) {
      points[i * 3 + a] =
        camera.focus[a]! + axes.right[a]! * x! * halfWidth + axes.down[a]! * y! * halfHeight;
      normals[i * 3 + a] = axes.normal[a]!;
    }
  });
  quad.getPoints().setData(points, 3);
  quad.getPolys().setData(new Uint16Array([3, 0, 1, 2, 3, 0, 2, 3]));
  quad
    .getPointData()
    .setNormals(vtkDataArray.newInstance({ name: "Normals", numberOfComponents: 3, values: normals }));
  quad.modified();
}

export class VolumeScene {
  readonly image: vtkImageData;
  readonly #host: HTMLElement;
  readonly #renderWindow = vtkRenderWindow.newInstance();
  readonly #gl = vtkOpenGLRenderWindow.newInstance();
  readonly #interactor = vtkRenderWindowInteractor.newInstance();
  readonly #slices = new Map<string, SliceView>();
  #volume3d: { renderer: vtkRenderer; mapper: vtkVolumeMapper; actor: vtkVolume } | undefined;
  readonly #data: VolumeData;
  #textured = false;
  /** Slices uploaded after the texture was made: by #uploadRuns, and through vtk.js (the fallback). */
  readonly uploaded = { direct: 0, vtk: 0 };
  #pending: number[] = [];
  #uploadedAt = 0;

  constructor(host: HTMLElement, data: VolumeData) {
    this.#host = host;
    this.#data = data;
    const g = data.plan.geometry;
    this.image = vtkImageData.newInstance();
    this.image.setDimensions(g.dimensions[0], g.dimensions[1], g.dimensions[2]);
    this.image.setSpacing(vtkSpacingOf(g));
    this.image.setOrigin([...g.origin]);
    this.image.setDirection(Float32Array.from(directionOf(g)));
    const scalars = vtkDataArray.newInstance({ name: "voxels", numberOfComponents: 1, values: data.voxels });
    this.image.getPointData().setScalars(scalars);
    this.#renderWindow.addView(this.#gl);
    this.#gl.setContainer(host);
    // The volume mapper asks the window's interactor whether the user is interacting: there must be one.
    this.#interactor.setView(this.#gl);
    this.#interactor.initialize();
    this.resize();
  }

  /** Matches the drawing buffer to the host's size (device pixels). */
  resize(): void {
    const ratio = window.devicePixelRatio || 1;
    const { width, height } = this.#host.getBoundingClientRect();
    this.#gl.setSize(Math.max(1, Math.floor(width * ratio)), Math.max(1, Math.floor(height * ratio)));
  }

  get canvas(): HTMLCanvasElement | null {
    return this.#gl.getCanvas();
  }

  #viewport(renderer: vtkRenderer, rect: Rect): void {
    const host = this.#host.getBoundingClientRect();
    const w = host.width || 1;
    const h = host.height || 1;
    renderer.setViewport(
      rect.x / w,
      1 - (rect.y + rect.height) / h,
      (rect.x + rect.width) / w,
      1 - rect.y / h,
    );
  }

  #renderer(): vtkRenderer {
    const renderer = vtkRenderer.newInstance({ background: [0, 0, 0] });
    this.#renderWindow.addRenderer(renderer);
    return renderer;
  }

  /** Adds (or finds) a reslice view. */
  slice(name: string): SliceView {
    const found = this.#slices.get(name);
    if (found) return found;
    const renderer = this.#renderer();
    const quad = vtkPolyData.newInstance();
    const mapper = vtkImageResliceMapper.newInstance();
    mapper.setInputData(this.image);
    mapper.setSlicePolyData(quad);
    const actor = vtkImageSlice.newInstance();
    actor.setMapper(mapper);
    actor.getProperty().setInterpolationTypeToLinear();
    renderer.addActor(actor);
    renderer.getActiveCamera().setParallelProjection(true);
    const view = { renderer, mapper, actor, quad };
    this.#slices.set(name, view);
    return view;
  }

  /** Places a reslice view: its cell, plane (the camera's focus lies on it), camera, window and slab. */
  updateSlice(
    name: string,
    state: {
      rect: Rect;
      axes: PlaneAxes;
      camera: ViewCamera;
      window: { width: number; level: number };
      slab: { mode: SlabMode; thickness: number };
      visible: boolean;
    },
  ): void {
    const view = this.slice(name);
    view.renderer.setDraw(state.visible);
    this.#viewport(view.renderer, state.rect);
    viewQuad(view.quad, state.axes, state.camera);
    view.mapper.setSlabThickness(state.slab.thickness);
    view.mapper.setSlabType(SLAB_TYPE[state.slab.mode]);
    view.actor.getProperty().setColorWindow(state.window.width);
    view.actor.getProperty().setColorLevel(state.window.level);
    const camera = view.renderer.getActiveCamera();
    const focus = state.camera.focus;
    camera.setFocalPoint(focus[0], focus[1], focus[2]);
    const eye = sub(focus, scale(state.axes.normal, CAMERA_DISTANCE));
    camera.setPosition(eye[0], eye[1], eye[2]);
    camera.setViewUp(-state.axes.down[0], -state.axes.down[1], -state.axes.down[2]);
    camera.setParallelScale((state.camera.height / 2) * state.camera.mmPerPixel);
    camera.setClippingRange(CAMERA_DISTANCE - 1000, CAMERA_DISTANCE + 1000);
  }

  /** The 3D view (built on first use). */
  volume3d(): { renderer: vtkRenderer; mapper: vtkVolumeMapper; actor: vtkVolume } {
    if (this.#volume3d) return this.#volume3d;
    const renderer = this.#renderer();
    const mapper = vtkVolumeMapper.newInstance();
    mapper.setInputData(this.image);
    mapper.setAutoAdjustSampleDistances(false);
    const actor = vtkVolume.newInstance();
    actor.setMapper(mapper);
    renderer.addVolume(actor);
    this.#volume3d = { renderer, mapper, actor };
    this.setQuality("still");
    return this.#volume3d;
  }

  place3d(rect: Rect, visible: boolean): void {
    const view = this.volume3d();
    view.renderer.setDraw(visible);
    this.#viewport(view.renderer, rect);
  }

  setPreset(preset: Preset3d): void {
    const { actor, mapper } = this.volume3d();
    applyPreset(actor.getProperty(), mapper, preset, this.#data.rescale);
  }

  /** Coarser rays while the user drags the 3D view; full quality when still. */
  quality: "interactive" | "still" = "still";

  setQuality(quality: "interactive" | "still"): void {
    this.quality = quality;
    const mapper = this.volume3d().mapper;
    const finest = Math.min(...vtkSpacingOf(this.#data.plan.geometry));
    mapper.setSampleDistance(quality === "still" ? finest : finest * 2);
    mapper.setImageSampleDistance(quality === "still" ? 1 : 2);
  }

  /** Clipping planes of the 3D view (the clipping box and crop planes), as origin + inward normal. */
  setClipping(planes: Array<{ origin: Vec3; normal: Vec3 }>): void {
    const { mapper } = this.volume3d();
    mapper.removeAllClippingPlanes();
    for (const p of planes)
      mapper.addClippingPlane(vtkPlane.newInstance({ origin: [...p.origin], normal: [...p.normal] }));
  }

  /** Queues slice k of the volume for upload (after it arrived in the typed array). */
  sliceArrived(k: number): void {
    if (this.#textured) this.#pending.push(k);
  }

  /** Slices arrived but not uploaded yet (the caller draws again later). */
  get uploadPending(): boolean {
    return this.#pending.length > 0;
  }

  /** Draws every visible view now. */
  render(): void {
    const full = this.#data.fill.current.filled === this.#data.fill.current.total;
    if (this.#pending.length > 0 && (full || performance.now() - this.#uploadedAt >= UPLOAD_INTERVAL_MS)) {
      this.#uploadedAt = performance.now();
      this.#upload(sliceRuns(this.#pending));
      this.#pending = [];
    }
    this.#renderWindow.render();
    this.#textured = true;
  }

  /** Puts slices that arrived into the volume's texture. */
  #upload(runs: ReadonlyArray<[number, number]>): void {
    const texture = this.#texture();
    // No texture yet: vtk.js makes it from the whole array (these slices included) when a view first draws.
    if (!texture) return;
    const count = runs.reduce((sum, [first, last]) => sum + last - first + 1, 0);
    if (this.#uploadRuns(texture, runs)) this.uploaded.direct += count;
    else {
      this.#uploadThroughVtk(runs);
      this.uploaded.vtk += count;
    }
  }

  /** The GPU texture vtk.js made for the volume's scalars, once it exists. */
  #texture(): VolumeTexture | undefined {
    const resource = this.#gl.getGraphicsResourceForObject(this.image.getPointData().getScalars()) as
      { oglObject?: VolumeTexture | null } | undefined;
    const texture = resource?.oglObject ?? undefined;
    return texture?.getHandle() ? texture : undefined;
  }

  /**
   * Writes the slices of `runs` into vtk.js's texture (texSubImage3D per run, UPLOAD_CHUNK_SLICES at a time),
   * converting them as vtk.js's create3DFromRaw converts the whole volume: raw for 8-bit and norm16 textures,
   * half floats for a half-float texture, (value − offset) / scale as 32-bit floats for a float texture.
   * False (nothing uploaded) when the texture is not one of those.
   */
  #uploadRuns(texture: VolumeTexture, runs: ReadonlyArray<[number, number]>): boolean {
    // vtk.js's typings omit the render window's WebGL context getter.
    const gl = (this.#gl as unknown as { getContext(): WebGL2RenderingContext | null }).getContext();
    if (!gl) return false;
    const [nx, ny, nz] = this.#data.plan.geometry.dimensions;
    const info = texture.getVolumeInfo();
    if (texture.getWidth() !== nx || texture.getHeight() !== ny || texture.getComponents() !== 1)
      return false;
    if (texture.getTarget() !== gl.TEXTURE_3D || (info?.depth !== undefined && info.depth !== nz))
      return false;
    const voxels = this.#data.voxels;
    const type = texture.getOpenGLDataType();
    const raw =
      (type === gl.SHORT && voxels instanceof Int16Array) ||
      (type === gl.UNSIGNED_SHORT && voxels instanceof Uint16Array) ||
      (type === gl.UNSIGNED_BYTE && voxels instanceof Uint8Array) ||
      (type === gl.BYTE && voxels instanceof Int8Array);
    if (!raw && type !== gl.FLOAT && type !== gl.HALF_FLOAT) return false;
    const scale = info?.scale[0] ?? 1;
    const offset = info?.offset[0] ?? 0;
    const sliceLength = nx * ny;
    const convert = (from: VoxelArray): ArrayBufferView => {
      if (raw) return from;
      if (type === gl.HALF_FLOAT) {
        const out = new Uint16Array(from.length);
        for (let i = 0; i < from.length; i++) out[i] = HalfFloat.toHalf(from[i]!);
        return out;
      }
      const out = new Float32Array(from.length);
      if (scale === 1 && offset === 0) out.set(from);
      else for (let i = 0; i < from.length; i++) out[i] = (from[i]! - offset) / scale;
      return out;
    };
    texture.activate();
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    for (const [first, last] of runs) {
      for (let z = first; z <= last; z += UPLOAD_CHUNK_SLICES) {
        const depth = Math.min(UPLOAD_CHUNK_SLICES, last - z + 1);
        const pixels = convert(voxels.subarray(z * sliceLength, (z + depth) * sliceLength));
        gl.texSubImage3D(gl.TEXTURE_3D, 0, 0, 0, z, nx, ny, depth, gl.RED, type, pixels);
      }
    }
    texture.deactivate();
    return true;
  }

  /** vtk.js's own partial update (its "updated extents"), where the texture is not one #uploadRuns knows. */
  #uploadThroughVtk(runs: ReadonlyArray<[number, number]>): void {
    const [nx, ny] = this.#data.plan.geometry.dimensions;
    const extents = runs.map(([first, last]): [number, number, number, number, number, number] => [
      0,
      nx - 1,
      0,
      ny - 1,
      first,
      last,
    ]);
    // One property per mapper uploads: the texture is shared, so the first drawn view is enough.
    const view = [...this.#slices.values()].find((v) => v.renderer.getDraw());
    if (view) view.actor.getProperty().setUpdatedExtents(extents);
    else this.#volume3d?.actor.getProperty().setUpdatedExtents(extents);
  }

  /** RGBA of a rectangle of the drawing buffer (CSS pixels, top-left origin); call in the task that rendered. */
  readPixels(rect: Rect): { width: number; height: number; data: Uint8Array } {
    const ratio = window.devicePixelRatio || 1;
    const [, bufferHeight] = this.#gl.getSize();
    const x0 = Math.round(rect.x * ratio);
    const x1 = Math.round((rect.x + rect.width) * ratio) - 1;
    const y1 = bufferHeight - 1 - Math.round(rect.y * ratio);
    const y0 = bufferHeight - Math.round((rect.y + rect.height) * ratio);
    const raw = this.#gl.getPixelData(x0, y0, x1, y1);
    const width = x1 - x0 + 1;
    const height = y1 - y0 + 1;
    // GL rows run bottom-up; flip to top-down.
    const data = new Uint8Array(width * height * 4);
    for (let row = 0; row < height; row++) {
      data.set(raw.subarray((height - 1 - row) * width * 4, (height - row) * width * 4), row * width * 4);
    }
    return { width, height, data };
  }

  /** Bytes vtk.js allocated on the GPU for the volume's texture. */
  get gpuBytes(): number {
    const resource = this.#gl.getGraphicsResourceForObject(this.image.getPointData().getScalars()) as
      { oglObject?: { getAllocatedGPUMemoryInBytes?: () => number } } | undefined;
    return resource?.oglObject?.getAllocatedGPUMemoryInBytes?.() ?? 0;
  }

  destroy(): void {
    this.#interactor.delete();
    this.#gl.delete();
    this.#renderWindow.delete();
  }
}
