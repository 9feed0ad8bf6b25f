/**
 * Where the windows go: one window per display, each with a "home" display. Pure functions over plain
 * rectangles (device-independent pixels in the virtual screen, as Electron's `screen` reports them), so
 * every layout and hot-plug case is tested under plain Node; electron/main/windows.ts applies the plans.
 */
import type { DisplayInfo, Rect } from "../../../shared/desktop/displays.js";

/** What Electron's `screen.getAllDisplays()` gives for one display (the fields used here). */
export interface ScreenDisplay {
  id: number;
  label?: string;
  bounds: Rect;
  workArea: Rect;
  scaleFactor: number;
}

/** Where a window was last on a display, remembered across launches by display id. */
export interface RememberedWindow {
  bounds: Rect;
  fullScreen: boolean;
}

export type RememberedWindows = Record<string, RememberedWindow>;

export interface PlacedWindow {
  windowId: number;
  /** The display this window belongs to. */
  home: string;
  /** Moved off its home because that display went away; it goes back when the display returns. */
  orphaned: boolean;
  bounds: Rect;
}

export type Placement =
  | { kind: "create"; display: string; bounds: Rect; fullScreen: boolean }
  | {
      kind: "move";
      windowId: number;
      display: string;
      bounds: Rect;
      /** Leave full screen first when false; unchanged when absent. */
      fullScreen?: boolean;
      orphaned: boolean;
    };

const copy = (rect: Rect): Rect => ({ x: rect.x, y: rect.y, width: rect.width, height: rect.height });

/** Indexes displays left to right, then top to bottom (so "monitor 1" is the leftmost), primary flagged. */
export function describeDisplays(displays: readonly ScreenDisplay[], primaryId: number): DisplayInfo[] {
  return [...displays]
    .sort((a, b) => a.bounds.x - b.bounds.x || a.bounds.y - b.bounds.y || a.id - b.id)
    .map((display, index) => ({
      index,
      id: String(display.id),
      label: display.label || `Display ${index + 1}`,
      primary: display.id === primaryId,
      bounds: copy(display.bounds),
      workArea: copy(display.workArea),
      scaleFactor: display.scaleFactor,
    }));
}

export function intersectionArea(a: Rect, b: Rect): number {
  const width = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const height = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return width > 0 && height > 0 ? width * height : 0;
}

/** The display showing most of the rectangle; undefined when it is on none. */
export function displayAt(rect: Rect, displays: readonly DisplayInfo[]): DisplayInfo | undefined {
  let best: DisplayInfo | undefined;
  let bestArea = 0;
  for (const display of displays) {
    const area = intersectionArea(rect, display.bounds);
    if (area > bestArea) {
      best = display;
      bestArea = area;
    }
  }
  return best;
}

function sameRect(a: Rect, b: Rect): boolean {
  return a.x === b.x && a.y === b.y && a.width === b.width && a.height === b.height;
}

function centre(rect: Rect): { x: number; y: number } {
  return { x: rect.x + rect.width / 2, y: rect.y + rect.height / 2 };
}

/** The display whose centre is nearest the rectangle's (the monitor beside the one unplugged); ties: primary. */
export function nearestDisplay(rect: Rect, displays: readonly DisplayInfo[]): DisplayInfo | undefined {
  const c = centre(rect);
  const distance = (display: DisplayInfo) => {
    const d = centre(display.bounds);
    return Math.hypot(d.x - c.x, d.y - c.y);
  };
  return [...displays].sort(
    (a, b) => distance(a) - distance(b) || Number(b.primary) - Number(a.primary) || a.index - b.index,
  )[0];
}

/** The rectangle moved (and shrunk if need be) to lie inside the area. */
export function fitInto(rect: Rect, area: Rect): Rect {
  const width = Math.min(rect.width, area.width);
  const height = Math.min(rect.height, area.height);
  return {
    x: Math.min(Math.max(rect.x, area.x), area.x + area.width - width),
    y: Math.min(Math.max(rect.y, area.y), area.y + area.height - height),
    width,
    height,
  };
}

/** The rectangle's size (at most the area's), centred in the area. */
export function centreIn(rect: Rect, area: Rect): Rect {
  const width = Math.min(rect.width, area.width);
  const height = Math.min(rect.height, area.height);
  return {
    x: area.x + Math.round((area.width - width) / 2),
    y: area.y + Math.round((area.height - height) / 2),
    width,
    height,
  };
}

/**
 * A new window on a display: where it was last time when the display is still there and the remembered
 * bounds still overlap its work area (fitted inside it), else the whole work area.
 */
export function initialPlacement(display: DisplayInfo, remembered: RememberedWindows): RememberedWindow {
  const last = remembered[display.id];
  if (last && intersectionArea(last.bounds, display.workArea) > 0) {
    return { bounds: fitInto(last.bounds, display.workArea), fullScreen: last.fullScreen };
  }
  return { bounds: copy(display.workArea), fullScreen: false };
}

/**
 * What to do so that every display has its window: on start (no windows) one per display; when a display
 * is plugged in, a window for it (or its orphan goes back home); when one is unplugged, its window moves,
 * out of full screen, to the nearest remaining display; a window left on no display (a resolution change)
 * comes back to its home's work area. Windows the user moved themselves are left where they are.
 */
export function planWindows(
  displays: readonly DisplayInfo[],
  windows: readonly PlacedWindow[],
  remembered: RememberedWindows,
): Placement[] {
  if (displays.length === 0) return [];
  const byId = new Map(displays.map((display) => [display.id, display]));
  const plan: Placement[] = [];
  for (const window of windows) {
    const home = byId.get(window.home);
    if (home && window.orphaned) {
      const back = initialPlacement(home, remembered);
      plan.push({ kind: "move", windowId: window.windowId, display: home.id, ...back, orphaned: false });
    } else if (home) {
      if (!displayAt(window.bounds, displays)) {
        plan.push({
          kind: "move",
          windowId: window.windowId,
          display: home.id,
          bounds: fitInto(window.bounds, home.workArea),
          orphaned: false,
        });
      }
    } else {
      const here = window.orphaned ? displayAt(window.bounds, displays) : undefined;
      if (here) {
        // Already moved off its lost home: stays, kept inside its display when that display changes.
        const fitted = fitInto(window.bounds, here.workArea);
        if (!sameRect(fitted, window.bounds)) {
          plan.push({
            kind: "move",
            windowId: window.windowId,
            display: here.id,
            bounds: fitted,
            orphaned: true,
          });
        }
        continue;
      }
      const target = nearestDisplay(window.bounds, displays)!;
      plan.push({
        kind: "move",
        windowId: window.windowId,
        display: target.id,
        bounds: centreIn(window.bounds, target.workArea),
        fullScreen: false,
        orphaned: true,
      });
    }
  }
  const homes = new Set(windows.map((window) => window.home));
  for (const display of displays) {
    if (homes.has(display.id)) continue;
    plan.push({ kind: "create", display: display.id, ...initialPlacement(display, remembered) });
  }
  return plan;
}
