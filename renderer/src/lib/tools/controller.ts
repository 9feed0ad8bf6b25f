/**
 * A viewport's pointer and keyboard interaction, as on the workstations radiologists know (Horos, RadiAnt,
 * OsiriX): the wheel scrolls the stack (Ctrl+wheel zooms about the pointer), the left button does what the
 * toolbar's tool says (window/level by default, or draws a measurement), the right button zooms, the middle
 * button pans. A measurement's handles can be dragged and its outline picked (then Delete removes it and a
 * drag moves it); Ctrl+Z undoes the last change; Escape cancels a drawing. Keys act on the active viewport:
 * arrows, PageUp/PageDown, Home/End scroll; 1–7 window presets; letters pick tools and view commands.
 */
import { presetsFor, type WindowPreset } from "../display/voi";
import {
  type Annotation,
  type MeasureContext,
  handleAt,
  hitsOutline,
  isComplete,
  newId,
  readingOf,
  translated,
  withHandle,
} from "../measurements/model";
import type { MeasurementSession } from "../measurements/session";
import type { CanvasPoint, ImagePoint, ViewportApi, ViewTransform, Voi } from "../viewer-contract";
import { Cine } from "./cine";
import { toolState, type ActiveViewportTools } from "./state.svelte";
import { commandForKey, MEASURING_TOOLS, toolForKey, type LeftTool, type ViewCommand } from "./tools";
import {
  dragZoomFactor,
  flipScreenHorizontal,
  flipScreenVertical,
  navigate,
  oneToOne,
  panBy,
  rotateClockwise,
  rotateCounterClockwise,
  toggleInvert,
  windowDrag,
  zoomAbout,
} from "./view-ops";

/** Canvas units within which a handle or an outline is picked. */
const HANDLE_RADIUS = 7;
const OUTLINE_TOLERANCE = 5;
/** A drawing shorter than this (canvas units) was a click. */
const MIN_DRAWING = 3;
/** CSS pixels of drag per slice with the scroll tool. */
const SCROLL_DRAG_STEP = 6;

export interface InteractionHooks {
  /** Asks the user for a text annotation's text, typed at a canvas point. */
  requestText(at: CanvasPoint): Promise<string | undefined>;
  /** The probe's live reading at the pointer (undefined: none to show). */
  probe(reading: { at: CanvasPoint; lines: string[] } | undefined): void;
  /** Something the overlay shows changed without a viewport change (selection, drawing stage). */
  changed(): void;
}

type Drag =
  | { kind: "window"; start: CanvasPoint; voi: Voi }
  | { kind: "zoom"; start: CanvasPoint; transform: ViewTransform; fixed: ImagePoint }
  | { kind: "pan"; last: CanvasPoint }
  | { kind: "scroll"; start: CanvasPoint; index: number }
  | { kind: "draw"; annotation: Annotation; moving: number }
  | { kind: "handle"; before: Annotation; current: Annotation; index: number }
  | { kind: "move"; before: Annotation; current: Annotation; start: ImagePoint };

/** A drawing that waits for another click: the angle's second arm, the Cobb angle's second line. */
type Pending = { kind: "angle-arm"; annotation: Annotation } | { kind: "cobb-line"; annotation: Annotation };

/** Pointer events on the overlay's own controls (scroll bar, text input) are theirs, not the tools'. */
function onControl(event: Event): boolean {
  const target = event.target;
  return target instanceof Element && target.closest("[data-overlay-control]") !== null;
}

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return (
    target.isContentEditable ||
    target instanceof HTMLInputElement ||
    target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement
  );
}

export class ViewportTools implements ActiveViewportTools {
  readonly cine: Cine;
  #drag: Drag | undefined;
  #pointerId: number | undefined;
  #pending: Pending | undefined;
  #wheelRest = 0;
  /** When a drawing last took a step (performance.now()). */
  #drewAt = -Infinity;
  readonly #off: Array<() => void> = [];

  constructor(
    readonly viewport: ViewportApi,
    private readonly session: () => MeasurementSession | undefined,
    private readonly hooks: InteractionHooks,
  ) {
    this.cine = new Cine(viewport, toolState.fps, () => {
      toolState.version++;
    });
    const el = viewport.element;
    const on = <K extends keyof HTMLElementEventMap>(
      target: HTMLElement | Window,
      type: K,
      listener: (event: HTMLElementEventMap[K]) => void,
      options?: AddEventListenerOptions,
    ) => {
      target.addEventListener(type, listener as EventListener, options);
      this.#off.push(() => target.removeEventListener(type, listener as EventListener, options));
    };
    on(el, "pointerdown", (e) => this.#pointerDown(e));
    on(el, "pointermove", (e) => this.#pointerMove(e));
    on(el, "pointerup", (e) => this.#pointerUp(e));
    on(el, "pointercancel", () => this.#cancelDrag());
    on(el, "pointerleave", () => this.hooks.probe(undefined));
    on(el, "contextmenu", (e) => e.preventDefault());
    on(el, "auxclick", (e) => e.preventDefault());
    // No middle-button autoscroll: the middle button pans.
    on(el, "mousedown", (e) => e.button === 1 && e.preventDefault());
    on(el, "wheel", (e) => this.#wheel(e), { passive: false });
    // The clicks of a drawing (an angle's last point after its first arm) are not a double-click for the page.
    on(el, "dblclick", (e) => {
      if (this.#drawing || performance.now() - this.#drewAt < 700) e.stopPropagation();
    });
    on(el, "focus", () => this.activate());
    on(window, "keydown", (e) => {
      if (toolState.active !== this || e.defaultPrevented || isTyping(e.target)) return;
      if ((e.key === " " || e.key === "Enter") && e.target instanceof HTMLButtonElement) return;
      if (this.handleKey(e)) e.preventDefault();
    });
    this.#off.push(
      viewport.onChange((change) => {
        if (change === "frame" || change === "stack") {
          this.#cancelPending();
          if (this.#drag?.kind === "draw" || this.#drag?.kind === "handle" || this.#drag?.kind === "move") {
            this.#cancelDrag();
          }
        }
        if (change === "stack") {
          this.cine.stop();
          if (toolState.active === this) toolState.version++;
        }
      }),
    );
    if (toolState.active === undefined) this.activate();
  }

  destroy(): void {
    this.cine.stop();
    for (const off of this.#off.splice(0)) off();
    if (toolState.active === this) toolState.active = undefined;
  }

  /** Makes this the viewport the toolbar and keys act on. */
  activate(): void {
    if (toolState.active === this) return;
    toolState.active = this;
    toolState.version++;
  }

  get cinePlaying(): boolean {
    return this.cine.playing;
  }

  get #drawing(): boolean {
    return this.#pending !== undefined || this.#drag?.kind === "draw";
  }

  /** The drawing waiting for its next click, if any (the overlay says what to do next). */
  get pending(): Pending["kind"] | undefined {
    return this.#pending?.kind;
  }

  // ------------------------------------------------------------------------------------------------------
  // Commands and keys

  command(command: ViewCommand): void {
    const vp = this.viewport;
    switch (command) {
      case "fit":
        return vp.fit();
      case "one-to-one":
        vp.transform = oneToOne(vp.transform, devicePixelRatio);
        return;
      case "rotate-cw":
        vp.transform = rotateClockwise(vp.transform);
        return;
      case "rotate-ccw":
        vp.transform = rotateCounterClockwise(vp.transform);
        return;
      case "flip-h":
        vp.transform = flipScreenHorizontal(vp.transform);
        return;
      case "flip-v":
        vp.transform = flipScreenVertical(vp.transform);
        return;
      case "invert":
        vp.transform = toggleInvert(vp.transform);
        return;
      case "reset":
        return vp.reset();
      case "cine":
        this.cine.fps = toolState.fps;
        return this.cine.toggle();
      case "undo":
        this.#cancelPending();
        this.session()?.undo();
        return;
      case "delete": {
        const session = this.session();
        if (session?.selected) session.remove(session.selected);
        return;
      }
    }
  }

  presets(): readonly WindowPreset[] {
    return presetsFor(this.viewport.frame?.modality);
  }

  /** Window preset by its number key, for the frame's modality; false when there is none. */
  applyPreset(key: string): boolean {
    const preset = this.presets().find((p) => p.key === key);
    if (!preset) return false;
    this.viewport.voi = { center: preset.center, width: preset.width, fn: "LINEAR" };
    return true;
  }

  handleKey(event: KeyboardEvent): boolean {
    const vp = this.viewport;
    if (event.key === "Escape") {
      if (this.#drag || this.#pending) {
        this.#cancelDrag();
        this.#cancelPending();
      } else this.session()?.select(undefined);
      this.hooks.changed();
      return true;
    }
    if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "z") {
      this.command("undo");
      return true;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return false;
    const next = navigate(event.key, vp.index, vp.length);
    if (next !== undefined) {
      if (next !== vp.index) void vp.show(next);
      return true;
    }
    if (/^[1-9]$/.test(event.key)) return this.applyPreset(event.key);
    const command = commandForKey(event);
    if (command) {
      this.command(command);
      return true;
    }
    const tool = toolForKey(event.key);
    if (tool) {
      toolState.left = tool;
      return true;
    }
    return false;
  }

  // ------------------------------------------------------------------------------------------------------
  // Pointer

  #point(event: MouseEvent): CanvasPoint {
    const rect = this.viewport.element.getBoundingClientRect();
    return { x: event.clientX - rect.left, y: event.clientY - rect.top };
  }

  #image(point: CanvasPoint): ImagePoint {
    return this.viewport.canvasToImage(point);
  }

  #toCanvas = (point: ImagePoint): CanvasPoint => this.viewport.imageToCanvas(point);

  /** The measurements on the frame in view, the selected one first. */
  #onFrame(): Annotation[] {
    const frame = this.viewport.frame;
    const session = this.session();
    if (!frame || !session) return [];
    const items = session.onFrame(frame.sopInstanceUid, frame.frameNumber);
    return [...items].sort((a, b) => Number(b.id === session.selected) - Number(a.id === session.selected));
  }

  #pick(at: CanvasPoint): { annotation: Annotation; handle: number } | undefined {
    const items = this.#onFrame();
    for (const annotation of items) {
      const handle = handleAt(annotation, this.#toCanvas, at, HANDLE_RADIUS);
      if (handle >= 0) return { annotation, handle };
    }
    for (const annotation of items) {
      if (hitsOutline(annotation, this.#toCanvas, at, OUTLINE_TOLERANCE)) return { annotation, handle: -1 };
    }
    return undefined;
  }

  #pointerDown(event: PointerEvent): void {
    this.activate();
    if (this.#drag || onControl(event)) return;
    const at = this.#point(event);
    const session = this.session();
    if (event.button === 1) event.preventDefault();
    if (document.activeElement !== this.viewport.element)
      this.viewport.element.focus({ preventScroll: true });

    let drag: Drag | undefined;
    if (event.button === 0 && this.#pending) {
      drag = this.#continuePending(at);
    } else if (event.button === 0) {
      const hit = session ? this.#pick(at) : undefined;
      if (hit && session) {
        session.select(hit.annotation.id);
        drag =
          hit.handle >= 0
            ? { kind: "handle", before: hit.annotation, current: hit.annotation, index: hit.handle }
            : { kind: "move", before: hit.annotation, current: hit.annotation, start: this.#image(at) };
      } else {
        session?.select(undefined);
        drag = this.#startTool(toolState.left, at);
      }
    } else if (event.button === 2) {
      drag = this.#viewDrag("zoom", at);
    } else if (event.button === 1) {
      drag = this.#viewDrag("pan", at);
    }
    if (!drag) return;
    this.#drag = drag;
    this.#pointerId = event.pointerId;
    try {
      this.viewport.element.setPointerCapture(event.pointerId);
    } catch {
      // A synthetic event without an active pointer: the drag still works while over the element.
    }
    this.hooks.probe(undefined);
    this.hooks.changed();
  }

  #viewDrag(kind: "window" | "zoom" | "pan" | "scroll", at: CanvasPoint): Drag {
    const vp = this.viewport;
    switch (kind) {
      case "window":
        return { kind, start: at, voi: vp.voi };
      case "zoom":
        return { kind, start: at, transform: vp.transform, fixed: vp.canvasToImage(at) };
      case "pan":
        return { kind, last: at };
      case "scroll":
        return { kind, start: at, index: vp.index };
    }
  }

  #startTool(tool: LeftTool, at: CanvasPoint): Drag | undefined {
    if (!MEASURING_TOOLS.has(tool)) return this.#viewDrag(tool as "window" | "zoom" | "pan" | "scroll", at);
    const frame = this.viewport.frame;
    const session = this.session();
    if (!frame || !session) return undefined;
    const p = this.#image(at);
    const base = { id: newId(), sopInstanceUid: frame.sopInstanceUid, frameNumber: frame.frameNumber };
    switch (tool) {
      case "probe":
      case "text":
        return { kind: "draw", annotation: { ...base, kind: tool, points: [p] }, moving: 0 };
      default: {
        const annotation: Annotation = { ...base, kind: tool as Annotation["kind"], points: [p, { ...p }] };
        session.preview(annotation);
        return { kind: "draw", annotation, moving: 1 };
      }
    }
  }

  /** A click while an angle or Cobb angle waits for its second part. */
  #continuePending(at: CanvasPoint): Drag | undefined {
    const pending = this.#pending!;
    this.#drewAt = performance.now();
    const p = this.#image(at);
    if (pending.kind === "angle-arm") {
      const annotation = withHandle(pending.annotation, 2, p);
      this.#pending = undefined;
      this.#finish(annotation);
      return undefined;
    }
    const annotation: Annotation = {
      ...pending.annotation,
      points: [...pending.annotation.points.slice(0, 2), p, { ...p }],
    };
    this.#pending = undefined;
    this.session()?.preview(annotation);
    return { kind: "draw", annotation, moving: 3 };
  }

  #pointerMove(event: PointerEvent): void {
    const at = this.#point(event);
    const drag = this.#drag;
    const vp = this.viewport;
    const session = this.session();
    if (!drag) {
      if (onControl(event)) return;
      if (this.#pending?.kind === "angle-arm") {
        const annotation = withHandle(this.#pending.annotation, 2, this.#image(at));
        this.#pending = { kind: "angle-arm", annotation };
        session?.preview(annotation);
      } else if (toolState.left === "probe") {
        this.#liveProbe(at);
      } else {
        this.hooks.probe(undefined);
      }
      this.#hover(at);
      return;
    }
    if (event.pointerId !== this.#pointerId) return;
    switch (drag.kind) {
      case "window":
        vp.voi = windowDrag(drag.voi, at.x - drag.start.x, at.y - drag.start.y);
        return;
      case "zoom":
        vp.transform = zoomAbout(
          drag.transform,
          dragZoomFactor(at.y - drag.start.y),
          drag.start,
          () => drag.fixed,
        );
        return;
      case "pan":
        vp.transform = panBy(vp.transform, at.x - drag.last.x, at.y - drag.last.y, (p) =>
          vp.canvasToImage(p),
        );
        drag.last = at;
        return;
      case "scroll": {
        const index = Math.max(
          0,
          Math.min(vp.length - 1, drag.index + Math.round((at.y - drag.start.y) / SCROLL_DRAG_STEP)),
        );
        if (index !== vp.index) void vp.show(index);
        return;
      }
      case "draw": {
        if (drag.annotation.kind === "probe" || drag.annotation.kind === "text") return;
        drag.annotation = withHandle(drag.annotation, drag.moving, this.#image(at));
        session?.preview(drag.annotation);
        return;
      }
      case "handle":
        drag.current = withHandle(drag.before, drag.index, this.#image(at));
        session?.preview(drag.current);
        return;
      case "move": {
        const p = this.#image(at);
        drag.current = translated(drag.before, p.x - drag.start.x, p.y - drag.start.y);
        session?.preview(drag.current);
        return;
      }
    }
  }

  #pointerUp(event: PointerEvent): void {
    const drag = this.#drag;
    if (!drag || event.pointerId !== this.#pointerId) return;
    if (drag.kind === "draw") this.#drewAt = performance.now();
    this.#drag = undefined;
    this.#pointerId = undefined;
    try {
      this.viewport.element.releasePointerCapture(event.pointerId);
    } catch {
      // Not captured.
    }
    const session = this.session();
    const at = this.#point(event);
    switch (drag.kind) {
      case "draw":
        this.#endDrawing(drag.annotation, at);
        break;
      case "handle":
      case "move":
        session?.commit(drag.before, drag.current);
        break;
      default:
        break;
    }
    this.hooks.changed();
  }

  #endDrawing(annotation: Annotation, at: CanvasPoint): void {
    const session = this.session();
    if (!session) return;
    if (annotation.kind === "probe") return this.#finish(annotation);
    if (annotation.kind === "text") {
      void this.hooks.requestText(at).then((text) => {
        if (text?.trim()) this.#finish({ ...annotation, text: text.trim() });
      });
      return;
    }
    const c = annotation.points.map(this.#toCanvas);
    const span = (i: number, j: number) => Math.hypot(c[i]!.x - c[j]!.x, c[i]!.y - c[j]!.y);
    if (annotation.kind === "angle" && annotation.points.length === 2) {
      if (span(0, 1) < MIN_DRAWING) return session.cancelPreview(annotation.id, undefined);
      const waiting: Annotation = {
        ...annotation,
        points: [...annotation.points, { ...annotation.points[1]! }],
      };
      this.#pending = { kind: "angle-arm", annotation: waiting };
      session.preview(waiting);
      return;
    }
    if (annotation.kind === "cobb" && annotation.points.length === 2) {
      if (span(0, 1) < MIN_DRAWING) return session.cancelPreview(annotation.id, undefined);
      this.#pending = { kind: "cobb-line", annotation };
      return;
    }
    if (!isComplete(annotation, MIN_DRAWING, this.#toCanvas)) {
      if (annotation.kind === "cobb") {
        this.#pending = {
          kind: "cobb-line",
          annotation: { ...annotation, points: annotation.points.slice(0, 2) },
        };
        session.preview(this.#pending.annotation);
        return;
      }
      return session.cancelPreview(annotation.id, undefined);
    }
    this.#finish(annotation);
  }

  #finish(annotation: Annotation): void {
    const session = this.session();
    if (!session) return;
    session.add(annotation);
    session.select(annotation.id);
    this.hooks.changed();
  }

  #cancelDrag(): void {
    const drag = this.#drag;
    this.#drag = undefined;
    this.#pointerId = undefined;
    const session = this.session();
    if (!drag || !session) return;
    if (drag.kind === "draw") session.cancelPreview(drag.annotation.id, undefined);
    if (drag.kind === "handle" || drag.kind === "move") session.cancelPreview(drag.before.id, drag.before);
  }

  #cancelPending(): void {
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending) this.session()?.cancelPreview(pending.annotation.id, undefined);
  }

  #liveProbe(at: CanvasPoint): void {
    const frame = this.viewport.frame;
    if (!frame) return this.hooks.probe(undefined);
    const p = this.#image(at);
    const reading = readingOf(
      {
        id: "",
        sopInstanceUid: frame.sopInstanceUid,
        frameNumber: frame.frameNumber,
        kind: "probe",
        points: [p],
      },
      measureContext(this.viewport),
    );
    this.hooks.probe({ at, lines: [`(${Math.floor(p.x)}, ${Math.floor(p.y)})`, ...reading.lines] });
  }

  #hover(at: CanvasPoint): void {
    const hit = this.session() ? this.#pick(at) : undefined;
    const cursor = hit
      ? hit.handle >= 0
        ? "grab"
        : "move"
      : MEASURING_TOOLS.has(toolState.left)
        ? "crosshair"
        : "";
    if (this.viewport.element.style.cursor !== cursor) this.viewport.element.style.cursor = cursor;
  }

  #wheel(event: WheelEvent): void {
    event.preventDefault();
    this.activate();
    const vp = this.viewport;
    const pixels =
      event.deltaMode === 1 ? event.deltaY * 40 : event.deltaMode === 2 ? event.deltaY * 800 : event.deltaY;
    if (event.ctrlKey) {
      const at = this.#point(event);
      vp.transform = zoomAbout(vp.transform, Math.pow(2, -pixels / 300), at, (p) => vp.canvasToImage(p));
      return;
    }
    // A mouse notch (≥ 50) is one slice; a touchpad's small deltas add up to one.
    let steps: number;
    if (Math.abs(pixels) >= 50) steps = Math.sign(pixels);
    else {
      this.#wheelRest += pixels;
      steps = Math.trunc(this.#wheelRest / 50);
      this.#wheelRest -= steps * 50;
    }
    if (steps === 0 || vp.length === 0) return;
    const next = Math.max(0, Math.min(vp.length - 1, vp.index + steps));
    if (next !== vp.index) void vp.show(next);
  }
}

/** What the measurement model needs of the frame in view. */
export function measureContext(viewport: ViewportApi): MeasureContext {
  const frame = viewport.frame;
  return {
    ...(frame?.spacing ? { spacing: frame.spacing } : {}),
    ...(frame?.units ? { units: frame.units } : {}),
    valueAt: (p) => viewport.valueAt(p),
    valuesIn: (contains, bounds) => viewport.valuesIn(contains, bounds),
  };
}
