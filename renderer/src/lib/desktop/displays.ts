/**
 * The display contract (shared/desktop/displays.ts) wherever the app runs: in the desktop app from the
 * shell (a window per display); in a browser from the Window Management API when the browser has it and
 * the user allows it; otherwise the one window's own screen.
 */
import type { DisplayLayout } from "../../../../shared/desktop/displays.js";
import type { Unsubscribe } from "../../../../shared/desktop/api.js";
import { desktop } from "./bridge.js";
import { type ScreenLike, layoutFromScreens, singleScreenLayout } from "./screen-layout.js";

interface ScreenDetails extends EventTarget {
  screens: ScreenLike[];
  currentScreen: ScreenLike;
}

type WindowManagement = { getScreenDetails?: () => Promise<ScreenDetails> };

async function screenDetails(): Promise<ScreenDetails | undefined> {
  const getScreenDetails = (window as unknown as WindowManagement).getScreenDetails;
  if (!getScreenDetails) return undefined;
  try {
    return await getScreenDetails.call(window);
  } catch {
    return undefined; // the user (or a policy) refused window-management
  }
}

export async function displayLayout(): Promise<DisplayLayout> {
  if (desktop) return desktop.displays.layout();
  const details = await screenDetails();
  if (details) return layoutFromScreens(details.screens, details.currentScreen);
  return singleScreenLayout(window.screen, window.devicePixelRatio);
}

/** Calls the listener with the new layout whenever displays are added, removed or changed. */
export function onDisplaysChange(listener: (layout: DisplayLayout) => void): Unsubscribe {
  if (desktop) return desktop.displays.onChange(listener);
  let stop = () => {};
  let stopped = false;
  void screenDetails().then((details) => {
    if (!details || stopped) return;
    const changed = () => listener(layoutFromScreens(details.screens, details.currentScreen));
    details.addEventListener("screenschange", changed);
    details.addEventListener("currentscreenchange", changed);
    stop = () => {
      details.removeEventListener("screenschange", changed);
      details.removeEventListener("currentscreenchange", changed);
    };
  });
  return () => {
    stopped = true;
    stop();
  };
}

/** Full screen on this window's display: the shell's in the desktop app, the Fullscreen API in a browser. */
export async function setFullScreen(fullScreen: boolean): Promise<boolean> {
  if (desktop) return desktop.displays.setFullScreen(fullScreen);
  if (fullScreen && !document.fullscreenElement) await document.documentElement.requestFullscreen();
  if (!fullScreen && document.fullscreenElement) await document.exitFullscreen();
  return fullScreen;
}
