/**
 * The shell's security settings, in one place so that one test pins them all: every window's
 * webPreferences, its navigation and new-window rules, the session's permission handlers and the
 * Content-Security-Policy. Electron objects come in by injection, so the tests run under plain Node.
 */
import { isAbsolute } from "node:path";
import type { WebPreferences } from "electron";
import { CONTENT_SECURITY_POLICY } from "../../shared/security/content-security-policy.js";

export { CONTENT_SECURITY_POLICY };

/** Each security-relevant webPreference at its safe value; `secureWebPreferences` refuses any other. */
export const SECURE_WEB_PREFERENCES = Object.freeze({
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  experimentalFeatures: false,
  webviewTag: false,
  navigateOnDragDrop: false,
  safeDialogs: true,
  enableWebSQL: false,
} as const satisfies WebPreferences);

/** Permissions the app's own pages may have: full screen (a maximised viewport) and copying text. */
export const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set(["fullscreen", "clipboard-sanitized-write"]);

export class InsecureSettingError extends Error {
  override readonly name = "InsecureSettingError";
}

/** Throws naming the first setting that is not at its safe value. */
export function assertSecureWebPreferences(preferences: WebPreferences): void {
  for (const [key, safe] of Object.entries(SECURE_WEB_PREFERENCES)) {
    const value = (preferences as Record<string, unknown>)[key];
    if (value !== safe) {
      throw new InsecureSettingError(`webPreferences.${key} must be ${String(safe)}, not ${String(value)}`);
    }
  }
  if (preferences.preload !== undefined && !isAbsolute(preferences.preload)) {
    throw new InsecureSettingError("webPreferences.preload must be an absolute path");
  }
}

/** The webPreferences of every Hilum window. */
export function secureWebPreferences(options: { preload: string; devTools: boolean }): WebPreferences {
  const preferences: WebPreferences = {
    ...SECURE_WEB_PREFERENCES,
    preload: options.preload,
    devTools: options.devTools,
    spellcheck: false,
    // A diagnostic display must not dim or skip frames while another window has focus.
    backgroundThrottling: false,
  };
  assertSecureWebPreferences(preferences);
  return preferences;
}

/** Whether a URL is on the app's own origin (the loopback core), compared as parsed origins. */
export function isAppUrl(url: string, origin: string): boolean {
  try {
    return new URL(url).origin === new URL(origin).origin;
  } catch {
    return false;
  }
}

export interface PreventableEvent {
  preventDefault(): void;
}

/** The part of Electron's WebContents the guards use. */
export interface GuardedContents {
  on(
    event: "will-frame-navigate" | "will-redirect",
    listener: (event: PreventableEvent & { url: string }) => void,
  ): unknown;
  on(event: "will-attach-webview", listener: (event: PreventableEvent) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: "deny" }): void;
}

/**
 * Navigation (any frame, redirects too) stays on the app's origin; `origin` is read at each event because
 * the core's port can change when it restarts with new settings. Every new window and every <webview> is
 * refused: main alone makes windows, one per display.
 */
export function guardNavigation(
  contents: GuardedContents,
  origin: () => string,
  onRefused: (what: string, url: string) => void,
): void {
  const stayHome = (event: PreventableEvent & { url: string }) => {
    if (isAppUrl(event.url, origin())) return;
    event.preventDefault();
    onRefused("navigation", event.url);
  };
  contents.on("will-frame-navigate", stayHome);
  contents.on("will-redirect", stayHome);
  contents.on("will-attach-webview", (event) => {
    event.preventDefault();
    onRefused("webview", "");
  });
  contents.setWindowOpenHandler(({ url }) => {
    onRefused("new window", url);
    return { action: "deny" };
  });
}

/** The part of Electron's Session the permission handlers use. */
export interface PermissionSession {
  setPermissionRequestHandler(
    handler: (
      contents: unknown,
      permission: string,
      callback: (granted: boolean) => void,
      details: { requestingUrl: string },
    ) => void,
  ): void;
  setPermissionCheckHandler(
    handler: (contents: unknown, permission: string, requestingOrigin: string) => boolean,
  ): void;
  setDevicePermissionHandler(handler: () => boolean): void;
}

/** Denies every permission by default: only ALLOWED_PERMISSIONS, and only to the app's own pages. */
export function denyPermissions(session: PermissionSession, origin: () => string): void {
  const allowed = (permission: string, url: string) =>
    ALLOWED_PERMISSIONS.has(permission) && isAppUrl(url, origin());
  session.setPermissionRequestHandler((_contents, permission, callback, details) =>
    callback(allowed(permission, details.requestingUrl)),
  );
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin) =>
    allowed(permission, requestingOrigin),
  );
  session.setDevicePermissionHandler(() => false);
}

/** Response headers with the shell's CSP in place of whatever the response carried. */
export function withContentSecurityPolicy(
  headers: Record<string, string[]> | undefined,
): Record<string, string[]> {
  const kept = Object.entries(headers ?? {}).filter(
    ([name]) => name.toLowerCase() !== "content-security-policy",
  );
  return { ...Object.fromEntries(kept), "Content-Security-Policy": [CONTENT_SECURITY_POLICY] };
}
