/**
 * The desktop IPC channel names. Plain strings without dependencies, so that the sandboxed preload (which
 * can load no npm package) bundles only these; the schemas for each channel are in `ipc.ts`.
 */

/** Renderer → main requests (`ipcRenderer.invoke`), each answered once. */
export const INVOKE = {
  info: "desktop:info",
  launchSecret: "desktop:launch-secret",
  displays: "displays:layout",
  fullScreen: "window:set-full-screen",
  choose: "dialog:choose",
  importPaths: "import:start",
  sendStudies: "send:start",
  restartCore: "core:restart",
  firstRunComplete: "first-run:complete",
  updateState: "updates:state",
  updateCheck: "updates:check",
  updateDownload: "updates:download",
  updateInstall: "updates:install",
  updateReload: "updates:reload",
  updateTestFeed: "updates:test-feed",
} as const;

/** Main → renderer notifications (`webContents.send`). */
export const EVENTS = {
  displays: "displays:changed",
  job: "job:progress",
  updates: "updates:changed",
  navigate: "app:navigate",
} as const;

export type InvokeChannel = (typeof INVOKE)[keyof typeof INVOKE];
export type EventChannel = (typeof EVENTS)[keyof typeof EVENTS];
