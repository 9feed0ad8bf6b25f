/**
 * The Viewport: one element showing one frame of an image stack at a time, through the WebGL2 pipeline,
 * with a 2D overlay canvas on top for the interaction layer. Implements `ViewportApi`
 * (lib/viewer-contract.ts).
 *
 * Sizes: the drawing buffers are sized in device pixels (ResizeObserver's device-pixel box when the browser
 * gives it), so the image is crisp at any devicePixelRatio; the overlay context is scaled so its unit is one
 * CSS pixel. Redraws happen on the next animation frame after a change.
 */
import "./viewport.css";
import { ImageRenderer, WebGlUnavailable } from "../display/gl-renderer";
import { defaultVoi, minimumWidth } from "../display/voi";
import { lookup } from "../imaging/luts";
import type { Lut, ResolvedLuts } from "../imaging/luts";
import { middleIndex } from "../imaging/order";
import type { DecodedFrame } from "../imaging/pixels";
import { SeriesStack } from "../imaging/series";
import type {
  CanvasPoint,
  FrameInfo,
  ImagePoint,
  ImageStack,
  Vec3,
  ViewTransform,
  ViewportApi,
  ViewportChange,
  Voi,
} from "../viewer-contract";
import {
  type Affine,
  applyAffine,
  clipMatrix,
  devicePixelsPerImagePixel,
  fitTransform,
  imageToCanvasMatrix,
  invertAffine,
} from "./transform";

interface Shown {
  index: number;
  frame: DecodedFrame;
  luts: ResolvedLuts;
  info: FrameInfo;
  inverse: boolean;
}

const IDENTITY_TRANSFORM: ViewTransform = {
  scale: 1,
  center: { x: 0, y: 0 },
  rotation: 0,
  flipHorizontal: false,
  flipVertical: false,
  invert: false,
};

let firstImageMarked = false;

export class Viewport implements ViewportApi {
  readonly element: HTMLDivElement;
  readonly #imageCanvas: HTMLCanvasElement;
  readonly #overlayCanvas: HTMLCanvasElement;
  readonly #overlay: CanvasRenderingContext2D;
  readonly #message: HTMLDivElement;
  readonly #resize: ResizeObserver;
  #renderer: ImageRenderer | undefined;
  #stack: SeriesStack | undefined;
  #unsubscribeStack: (() => void) | undefined;
  #index = 0;
  #shown: Shown | undefined;
  #voi: Voi = { center: 0, width: 1, fn: "LINEAR" };
  #voiLut: Lut | undefined;
  #voiSet = false;
  #transform: ViewTransform = { ...IDENTITY_TRANSFORM };
  #fitted = true;
  #size = { width: 0, height: 0 };
  #device = { width: 0, height: 0 };
  #raf = 0;
  #showToken = 0;
  #error: string | undefined;
  #destroyed = false;
  readonly #renderListeners = new Set<(overlay: CanvasRenderingContext2D) => void>();
  readonly #changeListeners = new Set<(change: ViewportChange) => void>();
  /** When the first image of the current stack was drawn (performance.now()), for the benchmark. */
  firstImageAt: number | undefined;

  constructor(container: HTMLElement) {
    this.element = document.createElement("div");
    this.element.className = "hilum-viewport";
    this.element.tabIndex = 0;
    this.#imageCanvas = document.createElement("canvas");
    this.#imageCanvas.className = "hilum-viewport-image";
    this.#overlayCanvas = document.createElement("canvas");
    this.#overlayCanvas.className = "hilum-viewport-overlay";
    this.#message = document.createElement("div");
    this.#message.className = "hilum-viewport-message";
    this.element.append(this.#imageCanvas, this.#overlayCanvas, this.#message);
    container.append(this.element);
    this.#overlay = this.#overlayCanvas.getContext("2d")!;
    try {
      this.#renderer = new ImageRenderer(this.#imageCanvas);
    } catch (error) {
      this.#setMessage(error instanceof WebGlUnavailable ? error.message : String(error), true);
    }
    this.#imageCanvas.addEventListener("webglcontextlost", (event) => event.preventDefault());
    this.#imageCanvas.addEventListener("webglcontextrestored", () => this.#restoreContext());
    const rect = this.element.getBoundingClientRect();
    this.#applySize(
      rect.width,
      rect.height,
      Math.round(rect.width * devicePixelRatio),
      Math.round(rect.height * devicePixelRatio),
    );
    this.#resize = new ResizeObserver((entries) => {
      const entry = entries[entries.length - 1];
      if (!entry) return;
      const box = entry.contentBoxSize[0];
      const css = {
        width: box?.inlineSize ?? entry.contentRect.width,
        height: box?.blockSize ?? entry.contentRect.height,
      };
      // The device-pixel box is exact (pixel snapping) when the browser gives it; under device-scale
      // emulation Chromium reports it unscaled, so it is trusted only when it agrees with devicePixelRatio.
      const device = entry.devicePixelContentBoxSize?.[0];
      const width = Math.round(css.width * devicePixelRatio);
      const height = Math.round(css.height * devicePixelRatio);
      const exact =
        device && Math.abs(device.inlineSize - width) <= 1 && Math.abs(device.blockSize - height) <= 1;
      this.#applySize(
        css.width,
        css.height,
        exact ? device.inlineSize : width,
        exact ? device.blockSize : height,
      );
    });
    try {
      this.#resize.observe(this.element, { box: "device-pixel-content-box" });
    } catch {
      this.#resize.observe(this.element);
    }
    this.#watchPixelRatio();
  }

  /** A window moved to a monitor of another pixel ratio resizes the drawing buffers (re-armed at each change). */
  #watchPixelRatio(): void {
    const query = matchMedia(`(resolution: ${devicePixelRatio}dppx)`);
    const changed = () => {
      if (this.#destroyed) return;
      const { width, height } = this.#size;
      this.#applySize(
        width,
        height,
        Math.round(width * devicePixelRatio),
        Math.round(height * devicePixelRatio),
      );
      this.#watchPixelRatio();
    };
    query.addEventListener("change", changed, { once: true });
  }

  // ------------------------------------------------------------------------------------------------------
  // State

  get stack(): ImageStack | undefined {
    return this.#stack;
  }

  get frame(): FrameInfo | undefined {
    return this.#stack?.frames[this.#index];
  }

  get index(): number {
    return this.#index;
  }

  get length(): number {
    return this.#stack?.frames.length ?? 0;
  }

  get size(): { width: number; height: number } {
    return { ...this.#size };
  }

  /** Why the frame in view cannot be shown, if it cannot. */
  get error(): string | undefined {
    return this.#error;
  }

  /** Whether the frame at `index` has its pixels on screen (not still loading). */
  get ready(): boolean {
    return this.#shown?.index === this.#index && this.#shown.info === this.frame;
  }

  /** Bytes of the textures this viewport holds on the GPU. */
  get gpuBytes(): number {
    return this.#renderer?.textureBytes ?? 0;
  }

  get voi(): Voi {
    return { ...this.#voi };
  }

  set voi(voi: Voi) {
    const width = Math.max(voi.width, minimumWidth(voi.fn));
    if (!Number.isFinite(voi.center) || !Number.isFinite(width)) return;
    this.#voi = { center: voi.center, width, fn: voi.fn };
    this.#voiLut = undefined;
    this.#voiSet = true;
    this.#emit("voi");
    this.invalidate();
  }

  get transform(): ViewTransform {
    return { ...this.#transform, center: { ...this.#transform.center } };
  }

  set transform(transform: ViewTransform) {
    if (!(transform.scale > 0) || !Number.isFinite(transform.scale)) return;
    this.#transform = { ...transform, center: { ...transform.center } };
    this.#fitted = false;
    this.#emit("transform");
    this.invalidate();
  }

  // ------------------------------------------------------------------------------------------------------
  // Stack and frames

  async setStack(stack: ImageStack | undefined, index?: number): Promise<void> {
    if (stack !== undefined && !(stack instanceof SeriesStack)) {
      throw new TypeError("the Viewport shows stacks made by openSeries()");
    }
    this.#unsubscribeStack?.();
    this.#unsubscribeStack = undefined;
    this.#stack = stack;
    this.#shown = undefined;
    this.#renderer?.clearImage();
    this.#voiSet = false;
    this.#voiLut = undefined;
    this.#error = undefined;
    this.firstImageAt = undefined;
    this.#index = stack ? clamp(index ?? middleIndex(stack.frames.length), 0, stack.frames.length - 1) : 0;
    this.#transform = { ...IDENTITY_TRANSFORM };
    this.#fitted = true;
    if (stack) {
      this.#refit();
      this.#unsubscribeStack = stack.onFrameInfo((i) => {
        if (i === this.#index) {
          this.#emit("lossy");
          this.invalidate();
        }
      });
    }
    this.#emit("stack");
    this.invalidate();
    if (stack) await this.show(this.#index);
    else this.#setMessage("");
  }

  async show(index: number): Promise<void> {
    const stack = this.#stack;
    if (!stack || this.#destroyed) return;
    const target = clamp(Math.round(index), 0, stack.frames.length - 1);
    const token = ++this.#showToken;
    if (target !== this.#index) {
      this.#index = target;
      this.#emit("frame");
    }
    stack.focus(target);
    const info = stack.frames[target]!;
    if (this.#shown?.index === target && this.#shown.info === info) return;
    const cached = stack.cached(target);
    if (!cached && !this.#shown) this.#setMessage("Loading…");
    try {
      const [frame, luts] = await Promise.all([cached ?? stack.load(target), stack.luts(target)]);
      if (token !== this.#showToken || stack !== this.#stack || this.#destroyed) return;
      this.#display(target, info, frame, luts);
    } catch (error) {
      if (token !== this.#showToken || stack !== this.#stack || this.#destroyed) return;
      this.#shown = undefined;
      this.#renderer?.clearImage();
      this.#error = `Cannot display this image: ${error instanceof Error ? error.message : String(error)}`;
      this.#setMessage(this.#error, true);
      this.invalidate();
    }
  }

  #display(index: number, info: FrameInfo, frame: DecodedFrame, luts: ResolvedLuts): void {
    const entry = this.#stack!.entry(index);
    const inverse = (info.photometricInterpretation === "MONOCHROME1") !== entry.pixels.presentationInverse;
    this.#shown = { index, frame, luts, info, inverse };
    this.#error = undefined;
    this.#setMessage("");
    try {
      this.#renderer?.setImage(frame, luts);
    } catch (error) {
      this.#error = `Cannot display this image: ${error instanceof Error ? error.message : String(error)}`;
      this.#setMessage(this.#error, true);
    }
    if (!this.#voiSet) {
      const initial = defaultVoi(info, frame, luts);
      this.#voi = initial.voi;
      this.#voiLut = initial.lut;
      this.#voiSet = true;
      this.#emit("voi");
    }
    this.#emit("frame");
    this.invalidate();
  }

  // ------------------------------------------------------------------------------------------------------
  // View

  fit(): void {
    this.#fitted = true;
    this.#refit();
    this.#emit("transform");
    this.invalidate();
  }

  reset(): void {
    this.#transform = { ...IDENTITY_TRANSFORM };
    this.fit();
    const shown = this.#shown;
    if (shown) {
      const initial = defaultVoi(shown.info, shown.frame, shown.luts);
      this.#voi = initial.voi;
      this.#voiLut = initial.lut;
      this.#voiSet = true;
      this.#emit("voi");
    }
  }

  #aspect(): number {
    const spacing = this.frame?.spacing;
    return spacing && spacing.column > 0 ? spacing.row / spacing.column : 1;
  }

  #refit(): void {
    const info = this.frame;
    if (!info) return;
    this.#transform = fitTransform(info, this.#size, this.#transform, this.#aspect());
  }

  #matrix(): Affine {
    return imageToCanvasMatrix(this.#transform, this.#size, this.#aspect());
  }

  imageToCanvas(point: ImagePoint): CanvasPoint {
    return applyAffine(this.#matrix(), point);
  }

  canvasToImage(point: CanvasPoint): ImagePoint {
    return applyAffine(invertAffine(this.#matrix()), point);
  }

  imageToPatient(point: ImagePoint): Vec3 | undefined {
    const info = this.frame;
    const ipp = info?.imagePositionPatient;
    const iop = info?.imageOrientationPatient;
    const spacing = info?.spacing;
    if (!ipp || !iop || !spacing || spacing.source !== "PixelSpacing") return undefined;
    const row = unit([iop[0], iop[1], iop[2]]);
    const column = unit([iop[3], iop[4], iop[5]]);
    const dx = (point.x - 0.5) * spacing.column;
    const dy = (point.y - 0.5) * spacing.row;
    return [
      ipp[0] + row[0] * dx + column[0] * dy,
      ipp[1] + row[1] * dx + column[1] * dy,
      ipp[2] + row[2] * dx + column[2] * dy,
    ];
  }

  /** The shown frame's stored value → modality value. */
  #modality(shown: Shown): (stored: number) => number {
    const lut = shown.luts.modality;
    if (lut) return (v) => lookup(lut, v);
    const { slope, intercept } = shown.info.rescale;
    return (v) => v * slope + intercept;
  }

  #shownHere(): Shown | undefined {
    const shown = this.#shown;
    return shown && shown.index === this.#index && shown.frame.kind === "gray" && !shown.luts.palette
      ? shown
      : undefined;
  }

  valueAt(point: ImagePoint): number | undefined {
    const shown = this.#shownHere();
    if (!shown) return undefined;
    const x = Math.floor(point.x);
    const y = Math.floor(point.y);
    const { columns, rows, pixels } = shown.frame;
    if (!(x >= 0 && y >= 0 && x < columns && y < rows)) return undefined;
    return this.#modality(shown)(pixels[y * columns + x]!);
  }

  valuesIn(
    contains: (point: ImagePoint) => boolean,
    bounds: { x0: number; y0: number; x1: number; y1: number },
  ): Float64Array {
    const shown = this.#shownHere();
    if (!shown) return new Float64Array(0);
    const { columns, rows, pixels } = shown.frame;
    const toValue = this.#modality(shown);
    // Pixels whose centres (i + 0.5, j + 0.5) lie within the bounds and the region.
    const i0 = Math.max(0, Math.ceil(Math.min(bounds.x0, bounds.x1) - 0.5));
    const i1 = Math.min(columns - 1, Math.floor(Math.max(bounds.x0, bounds.x1) - 0.5));
    const j0 = Math.max(0, Math.ceil(Math.min(bounds.y0, bounds.y1) - 0.5));
    const j1 = Math.min(rows - 1, Math.floor(Math.max(bounds.y0, bounds.y1) - 0.5));
    const out: number[] = [];
    const point = { x: 0, y: 0 };
    for (let j = j0; j <= j1; j++) {
      for (let i = i0; i <= i1; i++) {
        point.x = i + 0.5;
        point.y = j + 0.5;
        if (contains(point)) out.push(toValue(pixels[j * columns + i]!));
      }
    }
    return Float64Array.from(out);
  }

  // ------------------------------------------------------------------------------------------------------
  // Drawing

  onRender(listener: (overlay: CanvasRenderingContext2D) => void): () => void {
    this.#renderListeners.add(listener);
    this.invalidate();
    return () => this.#renderListeners.delete(listener);
  }

  onChange(listener: (change: ViewportChange) => void): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  invalidate(): void {
    if (this.#raf || this.#destroyed) return;
    this.#raf = requestAnimationFrame(() => {
      this.#raf = 0;
      this.renderNow();
    });
  }

  /** Draws at once (tests and the benchmark; the UI uses invalidate()). */
  renderNow(): void {
    if (this.#destroyed) return;
    if (this.#raf) {
      cancelAnimationFrame(this.#raf);
      this.#raf = 0;
    }
    const { width, height } = this.#device;
    const renderer = this.#renderer;
    const shown = this.#shown;
    if (renderer && width > 0 && height > 0 && this.#size.width > 0 && this.#size.height > 0) {
      if (shown) {
        const matrix = this.#matrix();
        renderer.draw(width, height, {
          imageToClip: clipMatrix(matrix, this.#size),
          bilinear:
            devicePixelsPerImagePixel(this.#transform, width / this.#size.width, this.#aspect()) < 1 - 1e-9,
          rescale: shown.info.rescale,
          voi: this.#voi,
          ...(this.#voiLut ? { voiLut: this.#voiLut } : {}),
          invert: shown.inverse !== this.#transform.invert,
        });
        if (this.firstImageAt === undefined) {
          this.firstImageAt = performance.now();
          if (!firstImageMarked) {
            firstImageMarked = true;
            performance.mark("hilum:first-image");
          }
        }
      } else renderer.draw(width, height, { ...NOTHING, imageToClip: new Float32Array(9) });
    }
    const overlay = this.#overlay;
    overlay.setTransform(1, 0, 0, 1, 0, 0);
    overlay.clearRect(0, 0, this.#overlayCanvas.width, this.#overlayCanvas.height);
    if (this.#size.width > 0) {
      overlay.setTransform(width / this.#size.width, 0, 0, height / this.#size.height, 0, 0);
    }
    for (const listener of [...this.#renderListeners]) {
      overlay.save();
      try {
        listener(overlay);
      } catch (error) {
        console.error("an overlay failed to draw", error);
      }
      overlay.restore();
    }
  }

  /** What is on screen, RGBA rows top first, in device pixels (drawn now, read in the same task). */
  readPixels(): { width: number; height: number; data: Uint8Array } {
    this.renderNow();
    const { width, height } = this.#device;
    return {
      width,
      height,
      data: this.#renderer?.readPixels(width, height) ?? new Uint8Array(width * height * 4),
    };
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    if (this.#raf) cancelAnimationFrame(this.#raf);
    this.#resize.disconnect();
    this.#unsubscribeStack?.();
    this.#renderer?.destroy();
    this.#renderer = undefined;
    this.#renderListeners.clear();
    this.#changeListeners.clear();
    this.#stack = undefined;
    this.#shown = undefined;
    this.element.remove();
  }

  #applySize(width: number, height: number, deviceWidth: number, deviceHeight: number): void {
    if (this.#destroyed) return;
    const changed =
      width !== this.#size.width ||
      height !== this.#size.height ||
      deviceWidth !== this.#device.width ||
      deviceHeight !== this.#device.height;
    if (!changed) return;
    this.#size = { width, height };
    this.#device = { width: deviceWidth, height: deviceHeight };
    for (const canvas of [this.#imageCanvas, this.#overlayCanvas]) {
      canvas.width = Math.max(1, deviceWidth);
      canvas.height = Math.max(1, deviceHeight);
    }
    this.#emit("size");
    if (this.#fitted) {
      this.#refit();
      this.#emit("transform");
    }
    this.renderNow();
  }

  #restoreContext(): void {
    try {
      this.#renderer = new ImageRenderer(this.#imageCanvas);
      const shown = this.#shown;
      if (shown) this.#renderer.setImage(shown.frame, shown.luts);
      this.invalidate();
    } catch (error) {
      this.#setMessage(String(error), true);
    }
  }

  #setMessage(text: string, error = false): void {
    this.#message.textContent = text;
    this.#message.classList.toggle("error", error);
  }

  #emit(change: ViewportChange): void {
    for (const listener of [...this.#changeListeners]) {
      try {
        listener(change);
      } catch (error) {
        console.error("a viewport listener failed", error);
      }
    }
  }
}

const NOTHING = {
  bilinear: false,
  rescale: { slope: 1, intercept: 0 },
  voi: { center: 0, width: 1, fn: "LINEAR" as const },
  invert: false,
};

function clamp(value: number, low: number, high: number): number {
  return Math.min(Math.max(value, low), high);
}

function unit(v: Vec3): Vec3 {
  const n = Math.hypot(v[0], v[1], v[2]) || 1;
  return [v[0] / n, v[1] / n, v[2] / n];
}
