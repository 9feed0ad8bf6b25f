/**
 * The display layout from what a browser knows about its screens (pure: no DOM access, so it is tested
 * under Node): indexed like the desktop's, left to right, then top to bottom.
 */
import type { DisplayInfo, DisplayLayout } from "../../../../shared/desktop/displays.js";

/** A screen as the Window Management API describes it (ScreenDetailed; not yet in TypeScript's DOM types). */
export interface ScreenLike {
  left: number;
  top: number;
  width: number;
  height: number;
  availLeft: number;
  availTop: number;
  availWidth: number;
  availHeight: number;
  devicePixelRatio: number;
  isPrimary: boolean;
  label?: string;
}

/** The layout from the Window Management API's screens, indexed like the desktop's: left to right, then top to bottom. */
export function layoutFromScreens(screens: readonly ScreenLike[], current: ScreenLike): DisplayLayout {
  const sorted = [...screens].sort((a, b) => a.left - b.left || a.top - b.top);
  const displays: DisplayInfo[] = sorted.map((screen, index) => ({
    index,
    id: `${screen.label || "screen"}@${screen.left},${screen.top}`,
    label: screen.label || `Display ${index + 1}`,
    primary: screen.isPrimary,
    bounds: { x: screen.left, y: screen.top, width: screen.width, height: screen.height },
    workArea: {
      x: screen.availLeft,
      y: screen.availTop,
      width: screen.availWidth,
      height: screen.availHeight,
    },
    scaleFactor: screen.devicePixelRatio,
  }));
  return { displays, self: sorted.indexOf(current) };
}

/** The one window's screen, when nothing better is known: origin unknown, so it is placed at 0,0. */
export function singleScreenLayout(
  screen: { width: number; height: number; availWidth: number; availHeight: number },
  devicePixelRatio: number,
): DisplayLayout {
  return {
    displays: [
      {
        index: 0,
        id: "screen",
        label: "Display 1",
        primary: true,
        bounds: { x: 0, y: 0, width: screen.width, height: screen.height },
        workArea: { x: 0, y: 0, width: screen.availWidth, height: screen.availHeight },
        scaleFactor: devicePixelRatio,
      },
    ],
    self: 0,
  };
}
