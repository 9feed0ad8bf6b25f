/**
 * The desktop shell's API (`window.hilum`, put there by electron/preload) when the app runs in Hilum's
 * Electron shell; undefined in a browser. Desktop-only features check it and step aside without it.
 */
import type { HilumDesktop } from "../../../../shared/desktop/api.js";

declare global {
  interface Window {
    hilum?: HilumDesktop;
  }
}

export const desktop: HilumDesktop | undefined = typeof window === "undefined" ? undefined : window.hilum;

/**
 * Headers for a call to the core's HTTP API: in the desktop app the per-launch secret the preload hands
 * out (`Authorization: Bearer`, the workstation's own user); in a browser none, the session cookie does.
 */
export async function coreHeaders(): Promise<Record<string, string>> {
  return desktop ? { authorization: `Bearer ${await desktop.launchSecret()}` } : {};
}
