/**
 * The display contract hanging protocols place viewports with, the same in the desktop app (Electron
 * `screen`, a window per display) and in the browser (the Window Management API, or the one window).
 * Coordinates are in device-independent pixels (CSS pixels), in the desktop's virtual screen space.
 */

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface DisplayInfo {
  /** 0, 1, 2 … left to right, then top to bottom: "monitor 1" of a hanging protocol is index 0. */
  index: number;
  /** Stable for the session (Electron's display id, or the screen's label in the browser). */
  id: string;
  label: string;
  primary: boolean;
  bounds: Rect;
  /** The bounds less task bars and docks: where a window may go. */
  workArea: Rect;
  /** Device pixels per CSS pixel: a diagnostic 5 MP display at 2 shows 2× the detail per CSS pixel. */
  scaleFactor: number;
}

/** What one window knows: every display, and which of them it is on (-1 when the browser cannot tell). */
export interface DisplayLayout {
  displays: DisplayInfo[];
  self: number;
}
