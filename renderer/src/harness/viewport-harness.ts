/**
 * A bare page with one Viewport, for the pixel tests and the image-core timings (test/e2e/pixels.test.ts):
 * `window.hilumHarness` opens a series in a viewport sized to the image (one CSS pixel per image pixel at
 * scale 1), sets the window, and reads back what the GPU drew. Served at /viewport-harness.html; it reads
 * data with the page's session like the app.
 */
import { openSeries, type SeriesStack } from "../lib/imaging/series";
import type { Voi } from "../lib/viewer-contract";
import { Viewport } from "../lib/viewport/viewport";

interface OpenOptions {
  index?: number;
  /** Open at the first frame of this instance (its frames' indices are returned). */
  sopInstanceUid?: string;
  /** CSS size of the viewport; default the frame's columns × rows. */
  width?: number;
  height?: number;
  prefetch?: boolean;
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

const host = document.getElementById("harness")!;
let viewport: Viewport | undefined;
let stack: SeriesStack | undefined;

function frameSummary() {
  const v = viewport!;
  return {
    index: v.index,
    length: v.length,
    frame: v.frame,
    voi: v.voi,
    transform: v.transform,
    error: v.error,
    ready: v.ready,
  };
}

const harness = {
  async open(study: string, series: string, options: OpenOptions = {}) {
    viewport?.destroy();
    stack?.destroy();
    const started = performance.now();
    stack = await openSeries({
      studyInstanceUid: study,
      seriesInstanceUid: series,
      prefetch: options.prefetch ?? false,
    });
    const frames = stack.frames
      .map((frame, index) => ({ frame, index }))
      .filter(({ frame }) => !options.sopInstanceUid || frame.sopInstanceUid === options.sopInstanceUid)
      .map(({ index }) => index);
    const start = options.index ?? frames[0] ?? 0;
    const first = stack.frames[start]!;
    const container = document.createElement("div");
    container.className = "harness-viewport";
    container.style.setProperty("width", `${options.width ?? first.columns}px`);
    container.style.setProperty("height", `${options.height ?? first.rows}px`);
    host.replaceChildren(container);
    viewport = new Viewport(container);
    await viewport.setStack(stack, start);
    return { ...frameSummary(), frames, skipped: stack.skipped, openMs: performance.now() - started };
  },

  /** Shows a frame at 1:1 (one CSS pixel per image pixel, centred) with a window, and returns the drawn RGBA. */
  async render(
    options: {
      index?: number;
      voi?: Voi;
      invert?: boolean;
      scale?: number;
      rotation?: number;
      flipHorizontal?: boolean;
      flipVertical?: boolean;
    } = {},
  ) {
    const v = viewport!;
    if (options.index !== undefined) await v.show(options.index);
    const frame = v.frame!;
    v.transform = {
      scale: options.scale ?? 1,
      center: { x: frame.columns / 2, y: frame.rows / 2 },
      rotation: options.rotation ?? 0,
      flipHorizontal: options.flipHorizontal ?? false,
      flipVertical: options.flipVertical ?? false,
      invert: options.invert ?? false,
    };
    if (options.voi) v.voi = options.voi;
    const pixels = v.readPixels();
    return { ...frameSummary(), width: pixels.width, height: pixels.height, rgba: base64(pixels.data) };
  },

  /** Opens a series with background loading and resolves when every frame is in: the time to the first image and to the whole series. */
  async timeSeries(study: string, series: string) {
    viewport?.destroy();
    stack?.destroy();
    const container = document.createElement("div");
    container.className = "harness-viewport";
    container.style.setProperty("width", "512px");
    container.style.setProperty("height", "512px");
    host.replaceChildren(container);
    const started = performance.now();
    stack = await openSeries({ studyInstanceUid: study, seriesInstanceUid: series });
    viewport = new Viewport(container);
    const shown = viewport.setStack(stack);
    await shown;
    viewport.renderNow();
    const firstImageMs = performance.now() - started;
    const progressAtFirstImage = stack.progress.current;
    await new Promise<void>((resolve) => {
      const stop = stack!.progress.subscribe((p) => {
        if (p.done) {
          queueMicrotask(() => stop());
          resolve();
        }
      });
    });
    return {
      frames: stack.frames.length,
      firstImageMs,
      allMs: performance.now() - started,
      timing: stack.timing,
      progress: stack.progress.current,
      progressAtFirstImage,
      shownIndex: viewport.index,
      loadOrder: stack.loadOrder,
      gpuBytes: viewport.gpuBytes,
    };
  },

  /** Steps through every frame (already loaded), drawing each: frames per second of stack scrolling. */
  async scroll(count: number) {
    const v = viewport!;
    const started = performance.now();
    for (let i = 0; i < count; i++) {
      await v.show(i % v.length);
      v.renderNow();
    }
    return { fps: count / ((performance.now() - started) / 1000) };
  },

  /** Raw values and modality values at points (the ViewportApi measuring functions). */
  probe(points: Array<{ x: number; y: number }>) {
    const v = viewport!;
    return points.map((p) => ({
      value: v.valueAt(p),
      canvas: v.imageToCanvas(p),
      patient: v.imageToPatient(p),
    }));
  },

  /** Every pixel's modality value, row by row (valuesIn over the whole frame). */
  values(): number[] {
    const v = viewport!;
    const frame = v.frame!;
    return [...v.valuesIn(() => true, { x0: 0, y0: 0, x1: frame.columns, y1: frame.rows })];
  },

  viewport: () => viewport,
  stack: () => stack,
};

declare global {
  interface Window {
    hilumHarness: typeof harness;
  }
}
window.hilumHarness = harness;
document.documentElement.dataset.ready = "true";
