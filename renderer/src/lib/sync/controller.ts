/**
 * Ties the viewports of one viewer page together: the active viewport drives, the others follow.
 *
 * - Scroll by position: when the active viewport's frame changes, every other viewport whose stack lies in
 *   the same frame of reference, in (nearly) parallel planes, shows its slice nearest the active slice.
 * - Window/level: the active viewport's VOI is copied to the others showing the same units.
 * - Reference lines: each other viewport draws, on its overlay, where the active slice's plane cuts its image.
 *
 * Only the active viewport drives, so a follower's own change events never echo back. The page makes a
 * viewport active before the user's input reaches it (pointerdown/wheel/keydown in the capture phase).
 */
import type { FrameInfo, ViewportApi, ViewportChange } from "../viewer-contract";
import { nearestSliceByPosition } from "./position";
import { referenceSegment } from "./reference-lines";
import { canSyncVoi, sameVoi } from "./voi";
import type { Segment2 } from "../../../../shared/geometry/planes";

export interface SyncOptions {
  scroll: boolean;
  voi: boolean;
  referenceLines: boolean;
}

export const REFERENCE_LINE_COLOR = "#ffd21f";

/** The overlay's 2D context, as the contract names it. */
type Overlay = Parameters<Parameters<ViewportApi["onRender"]>[0]>[0];

interface Member {
  viewport: ViewportApi;
  unsubscribe: Array<() => void>;
  /** The reference line last drawn on this viewport, in its image coordinates (for tests and the bench). */
  referenceLine: Segment2 | undefined;
}

export class ViewerSync {
  #members = new Map<ViewportApi, Member>();
  #active: ViewportApi | undefined;
  #options: SyncOptions;

  constructor(options: SyncOptions) {
    this.#options = { ...options };
  }

  get options(): SyncOptions {
    return { ...this.#options };
  }

  /** Changes the toggles; turning scroll or W/L sync on aligns the others with the active viewport at once. */
  setOptions(options: Partial<SyncOptions>): void {
    const before = this.#options;
    this.#options = { ...before, ...options };
    const active = this.#active;
    if (active !== undefined) {
      if (this.#options.scroll && !before.scroll) this.#followScroll(active);
      if (this.#options.voi && !before.voi) this.#followVoi(active);
    }
    if (this.#options.referenceLines !== before.referenceLines) this.#invalidateOthers(undefined);
  }

  get active(): ViewportApi | undefined {
    return this.#active;
  }

  setActive(viewport: ViewportApi | undefined): void {
    if (viewport === this.#active) return;
    this.#active = viewport;
    this.#invalidateOthers(undefined);
  }

  add(viewport: ViewportApi): () => void {
    if (this.#members.has(viewport)) return () => this.remove(viewport);
    const member: Member = { viewport, unsubscribe: [], referenceLine: undefined };
    member.unsubscribe.push(
      viewport.onChange((change) => this.#changed(viewport, change)),
      viewport.onRender((overlay) => this.#drawReferenceLine(member, overlay)),
    );
    this.#members.set(viewport, member);
    return () => this.remove(viewport);
  }

  remove(viewport: ViewportApi): void {
    const member = this.#members.get(viewport);
    if (member === undefined) return;
    for (const off of member.unsubscribe) off();
    this.#members.delete(viewport);
    if (this.#active === viewport) this.#active = undefined;
  }

  /** The reference line drawn on a viewport at its last redraw, in its image coordinates. */
  referenceLineOn(viewport: ViewportApi): Segment2 | undefined {
    return this.#members.get(viewport)?.referenceLine;
  }

  /** Brings `target` to `source`'s position (and window, if synced): for a series just put into a viewport. */
  align(target: ViewportApi, source: ViewportApi | undefined = this.#active): void {
    if (source === undefined || source === target) return;
    if (this.#options.scroll) this.#follow(source, target);
    if (this.#options.voi) this.#copyVoi(source, target);
  }

  destroy(): void {
    for (const viewport of [...this.#members.keys()]) this.remove(viewport);
  }

  #changed(viewport: ViewportApi, change: ViewportChange): void {
    if (viewport !== this.#active) return;
    if (change === "frame" || change === "stack") {
      if (this.#options.scroll) this.#followScroll(viewport);
      this.#invalidateOthers(viewport);
    } else if (change === "voi" && this.#options.voi) {
      this.#followVoi(viewport);
    }
  }

  #followScroll(source: ViewportApi): void {
    for (const target of this.#members.keys()) if (target !== source) this.#follow(source, target);
  }

  #followVoi(source: ViewportApi): void {
    for (const target of this.#members.keys()) if (target !== source) this.#copyVoi(source, target);
  }

  #follow(source: ViewportApi, target: ViewportApi): void {
    const frame = source.frame;
    const stack = target.stack;
    if (frame === undefined || stack === undefined) return;
    const nearest = nearestSliceByPosition(frame, stack.frames);
    if (nearest !== undefined && nearest.index !== target.index) void target.show(nearest.index);
  }

  #copyVoi(source: ViewportApi, target: ViewportApi): void {
    const a = source.frame;
    const b = target.frame;
    if (a === undefined || b === undefined || !canSyncVoi(a, b)) return;
    if (!sameVoi(source.voi, target.voi)) target.voi = { ...source.voi };
  }

  #invalidateOthers(except: ViewportApi | undefined): void {
    for (const viewport of this.#members.keys()) if (viewport !== except) viewport.invalidate();
  }

  #drawReferenceLine(member: Member, overlay: Overlay): void {
    member.referenceLine = undefined;
    const active = this.#active;
    const target = member.viewport;
    if (!this.#options.referenceLines || active === undefined || active === target) return;
    const segment = referenceLineBetween(active.frame, target.frame);
    if (segment === undefined) return;
    member.referenceLine = segment;
    const a = target.imageToCanvas({ x: segment.x0, y: segment.y0 });
    const b = target.imageToCanvas({ x: segment.x1, y: segment.y1 });
    overlay.save();
    overlay.strokeStyle = REFERENCE_LINE_COLOR;
    overlay.lineWidth = 1.5;
    overlay.beginPath();
    overlay.moveTo(a.x, a.y);
    overlay.lineTo(b.x, b.y);
    overlay.stroke();
    overlay.restore();
  }
}

export function referenceLineBetween(
  source: FrameInfo | undefined,
  target: FrameInfo | undefined,
): Segment2 | undefined {
  if (source === undefined || target === undefined) return undefined;
  if (source.seriesInstanceUid === target.seriesInstanceUid) return undefined;
  return referenceSegment(source, target);
}
