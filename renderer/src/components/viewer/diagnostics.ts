/**
 * What the viewer page tells tests and the benchmark (bench/renderer.ts): `performance.mark`s at its
 * milestones and a read-only hook, `globalThis.hilumViewer`, to look at its viewports. Nothing here changes
 * what the page does; a script on the page could reach all of it anyway.
 *
 * Marks (performance.now() time line of the page):
 * - `hilum:viewer:open` — the viewer page mounted (the route changed to `#/study/{uid}`);
 * - `hilum:viewer:first-image` — the first redraw of any viewport with its frame's pixels at hand;
 * - `hilum:viewer:series-loaded` — every series put in a viewport so far has loaded (or failed) every frame.
 */
import type { SeriesStack } from "../../lib/imaging/series";
import type { LayoutState } from "../../lib/layout/layout";
import type { ViewerSync } from "../../lib/sync/controller";
import type { ViewportApi, Voi } from "../../lib/viewer-contract";

export const MARK_OPEN = "hilum:viewer:open";
export const MARK_FIRST_IMAGE = "hilum:viewer:first-image";
export const MARK_SERIES_LOADED = "hilum:viewer:series-loaded";

export interface ViewerHookSource {
  studyUid: () => string;
  layout: () => LayoutState<Voi>;
  viewport: (slot: number) => ViewportApi | undefined;
  stack: (seriesInstanceUid: string) => SeriesStack | undefined;
  stacks: () => SeriesStack[];
  sync: ViewerSync;
}

/** A slot as the hook describes it. */
export interface SlotReport {
  slot: number;
  seriesInstanceUid?: string;
  index?: number;
  length?: number;
  sopInstanceUid?: string;
  imagePositionPatient?: readonly number[];
  voi?: Voi;
  /** The reference line drawn on the slot at its last redraw, in image coordinates. */
  referenceLine?: { x0: number; y0: number; x1: number; y1: number };
  progress?: { loaded: number; total: number; failed: number; done: boolean };
}

export interface ViewerHook {
  studyUid: string;
  grid: { rows: number; columns: number };
  active: number;
  maximized: number | undefined;
  slots(): SlotReport[];
  viewport(slot: number): ViewportApi | undefined;
  stacks(): SeriesStack[];
  /** performance.now() of the marks above, once reached. */
  marks: { open: number; firstImage?: number; seriesLoaded?: number };
}

declare global {
  var hilumViewer: ViewerHook | undefined;
}

function report(source: ViewerHookSource, slot: number): SlotReport {
  const content = source.layout().slots[slot];
  const vp = source.viewport(slot);
  const frame = vp?.frame;
  const stack = content ? source.stack(content.seriesInstanceUid) : undefined;
  const line = vp ? source.sync.referenceLineOn(vp) : undefined;
  return {
    slot,
    ...(content ? { seriesInstanceUid: content.seriesInstanceUid } : {}),
    ...(vp?.stack ? { index: vp.index, length: vp.length, voi: { ...vp.voi } } : {}),
    ...(frame ? { sopInstanceUid: frame.sopInstanceUid } : {}),
    ...(frame?.imagePositionPatient ? { imagePositionPatient: [...frame.imagePositionPatient] } : {}),
    ...(line ? { referenceLine: { ...line } } : {}),
    ...(stack ? { progress: { ...stack.progress.current } } : {}),
  };
}

/** The per-page diagnostics: marks and the hook; `dispose` removes the hook. */
export class ViewerDiagnostics {
  readonly marks: ViewerHook["marks"];
  #source: ViewerHookSource;

  constructor(source: ViewerHookSource) {
    this.#source = source;
    this.marks = { open: performance.mark(MARK_OPEN).startTime };
    const marks = this.marks;
    const hook: ViewerHook = {
      get studyUid() {
        return source.studyUid();
      },
      get grid() {
        return { ...source.layout().grid };
      },
      get active() {
        return source.layout().active;
      },
      get maximized() {
        return source.layout().maximized;
      },
      slots: () =>
        [...Array(source.layout().grid.rows * source.layout().grid.columns).keys()].map((s) =>
          report(source, s),
        ),
      viewport: (slot) => source.viewport(slot),
      stacks: () => source.stacks(),
      marks,
    };
    globalThis.hilumViewer = hook;
  }

  /** After a viewport's redraw: the first one with pixels at hand marks the first image. */
  rendered(viewport: ViewportApi): void {
    if (this.marks.firstImage !== undefined) return;
    // The image core's Viewport says whether the frame in view has its pixels on screen.
    if ((viewport as ViewportApi & { ready?: boolean }).ready !== true) return;
    this.marks.firstImage = performance.mark(MARK_FIRST_IMAGE).startTime;
  }

  /** After a stack's progress changed: when every open stack is done, the series are loaded. */
  progressed(): void {
    if (this.marks.seriesLoaded !== undefined) return;
    const source = this.#source;
    const { grid, slots } = source.layout();
    const wanted = slots.slice(0, grid.rows * grid.columns).flatMap((content) => (content ? [content] : []));
    if (wanted.length === 0) return;
    for (const content of wanted) {
      if (source.stack(content.seriesInstanceUid)?.progress.current.done !== true) return;
    }
    this.marks.seriesLoaded = performance.mark(MARK_SERIES_LOADED).startTime;
  }

  dispose(): void {
    if (globalThis.hilumViewer?.marks === this.marks) globalThis.hilumViewer = undefined;
  }
}
