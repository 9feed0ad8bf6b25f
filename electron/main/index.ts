/**
 * The Electron main process: starts the core in a utility process, opens a window per display on the
 * core's loopback origin, and wires the menu, the IPC contract, the OS hand-offs (hilum:// links, .dcm
 * files) and the updater. Logic lives in the small modules beside this one; this file only connects them.
 */
import { randomUUID, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { BrowserWindow, Menu, app, dialog, ipcMain, session, shell, utilityProcess } from "electron";
import electronUpdater from "electron-updater";
import { EVENTS } from "../../shared/desktop/channels.js";
import type { JobProgress } from "../../shared/desktop/ipc.js";
import { readConfigFile, validateConfig } from "../pacs/config/load.js";
import { type CoreReady, CoreHost } from "./core/host.js";
import { desktopPaths, ensureConfigFile, readDesktopState, writeDesktopState } from "./desktop-files.js";
import { dialogOptions } from "./dialogs.js";
import { readRemembered, WindowStateStore } from "./displays/window-state.js";
import { type InvokeHandlers, registerIpc } from "./ipc.js";
import { LAUNCH_SCHEME, argsToOpen, coreLaunchUrl } from "./launch-args.js";
import { menuTemplate } from "./menu.js";
import { guardNavigation, isAppUrl } from "./security.js";
import { secureSession } from "./session.js";
import { UpdateController } from "./updates/controller.js";
import { compareVersions, fetchFeed } from "./updates/feed.js";
import type { UpdateSettings } from "./updates/state.js";
import { DisplayWindows } from "./windows.js";

const UPDATE_CHECK_INTERVAL_MS = 6 * 60 * 60 * 1000;
const MAX_CORE_RESTARTS = 3;

const paths = desktopPaths(app.getPath("userData"));
const launchSecret = randomBytes(32).toString("base64url");
let ready: CoreReady | undefined;
let coreRestarts = 0;
let quitting = false;
/** Who asked for each job: a window (its webContents id), or the OS (a file opened with Hilum). */
const jobAskers = new Map<string, number | "os">();
const origin = () => ready?.url ?? "http://127.0.0.1";

const store = new WindowStateStore(readRemembered(paths.windowStateFile), (text) =>
  writeFileSync(paths.windowStateFile, text),
);
const windows = new DisplayWindows({
  preload: join(import.meta.dirname, "../preload/index.cjs"),
  devTools: !app.isPackaged,
  icon: join(import.meta.dirname, "../../resources/icon.png"),
  store,
  origin,
});
/** OS hand-offs (macOS open-url/open-file) that arrive before the core is ready. */
const pending: Array<() => void> = [];
const whenReady = (action: () => void) => (ready ? action() : pending.push(action));

const core = new CoreHost(
  () =>
    utilityProcess.fork(join(import.meta.dirname, "core.js"), [], {
      serviceName: "Hilum core",
      stdio: "inherit",
    }),
  {
    configFile: paths.configFile,
    launchSecret,
    onJob: routeJob,
    onCrash: (code) => void coreCrashed(code),
    onProtocolError: (problem) => console.error(`malformed message from the core: ${problem}`),
  },
);

function updateSettings(): UpdateSettings {
  const unavailable = app.isPackaged ? undefined : "updates work only in an installed build";
  try {
    const { updates } = validateConfig(readConfigFile(paths.configFile), paths.configFile);
    return { ...updates, ...(unavailable ? { unavailable } : {}) };
  } catch (err) {
    return { enabled: false, channel: "stable", unavailable: (err as Error).message };
  }
}

let updates: UpdateController | undefined;
function updater(): UpdateController {
  updates ??= new UpdateController(electronUpdater.autoUpdater, updateSettings(), (state) =>
    windows.broadcast(EVENTS.updates, () => state),
  );
  return updates;
}

function target(asker: number | undefined): BrowserWindow | undefined {
  return (
    (asker === undefined ? undefined : windows.byContents(asker)) ??
    BrowserWindow.getFocusedWindow() ??
    windows.main()
  );
}

function routeJob(progress: JobProgress): void {
  const asker = jobAskers.get(progress.jobId);
  const window = target(asker === "os" ? undefined : asker);
  if (!window) return;
  windows.send(window, EVENTS.job, progress);
  if (progress.phase === "running") return;
  jobAskers.delete(progress.jobId);
  const studies = progress.studyInstanceUids ?? [];
  if (asker === "os" && progress.phase === "done" && studies.length === 1) {
    windows.send(window, EVENTS.navigate, { hash: `#/study/${encodeURIComponent(studies[0]!)}` });
  }
}

function startJob(
  message: { type: "import"; paths: string[] } | { type: "send"; studyInstanceUids: string[]; peer: string },
  asker: number | "os",
): string {
  const jobId = randomUUID();
  jobAskers.set(jobId, asker);
  if (!core.post({ ...message, jobId })) {
    routeJob({
      jobId,
      kind: message.type,
      phase: "failed",
      total: 0,
      done: 0,
      succeeded: 0,
      failed: 0,
      message: "the core is not running",
    });
  }
  return jobId;
}

async function chooseAndImport(purpose: "import-folder" | "import-files" | "dicomdir"): Promise<void> {
  const window = target(undefined);
  const options = dialogOptions(purpose);
  const chosen = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options);
  if (!chosen.canceled && chosen.filePaths.length > 0)
    startJob({ type: "import", paths: chosen.filePaths }, window?.webContents.id ?? "os");
}

function openFromOs(argv: readonly string[], cwd: string): void {
  const { links, files } = argsToOpen(argv, cwd);
  if (files.length > 0) startJob({ type: "import", paths: files }, "os");
  for (const link of links) openLink(link);
  const main = windows.main();
  if (main && (files.length > 0 || links.length > 0)) {
    if (main.isMinimized()) main.restore();
    main.focus();
  }
}

function openLink(link: string): void {
  try {
    void windows.main()?.loadURL(coreLaunchUrl(origin(), link));
  } catch (err) {
    dialog.showErrorBox("Hilum cannot open this link", (err as Error).message);
  }
}

async function coreCrashed(code: number): Promise<void> {
  if (quitting) return;
  if (++coreRestarts > MAX_CORE_RESTARTS) {
    dialog.showErrorBox(
      "Hilum stopped",
      `The Hilum core stopped unexpectedly (exit code ${code}) ${MAX_CORE_RESTARTS} times.`,
    );
    app.exit(1);
    return;
  }
  try {
    ready = await core.start();
    windows.reloadAll();
  } catch (err) {
    startFailed(err);
  }
}

function startFailed(err: unknown): void {
  const choice = dialog.showMessageBoxSync({
    type: "error",
    title: "Hilum cannot start",
    message: "The Hilum core could not start.",
    detail: `${(err as Error).message}\n\nConfiguration file: ${paths.configFile}`,
    buttons: ["Quit", "Open the configuration file"],
    defaultId: 0,
  });
  if (choice === 1) void shell.openPath(paths.configFile);
  app.exit(1);
}

const handlers: InvokeHandlers = {
  "desktop:info": () => ({
    version: app.getVersion(),
    platform: process.platform,
    firstRun: !readDesktopState(paths.stateFile).firstRunComplete,
  }),
  "desktop:launch-secret": () => ({ secret: launchSecret }),
  "displays:layout": (_request, sender) => windows.layoutFor(sender.id),
  "window:set-full-screen": ({ fullScreen }, sender) => {
    const window = windows.byContents(sender.id);
    if (window) windows.setFullScreen(fullScreen, window);
    return { fullScreen: window?.isFullScreen() ?? false };
  },
  "dialog:choose": async ({ purpose }, sender) => {
    const window = windows.byContents(sender.id);
    const options = dialogOptions(purpose);
    const chosen = window
      ? await dialog.showOpenDialog(window, options)
      : await dialog.showOpenDialog(options);
    return { paths: chosen.canceled ? [] : chosen.filePaths };
  },
  "import:start": ({ paths: chosen }, sender) => ({
    jobId: startJob({ type: "import", paths: chosen }, sender.id),
  }),
  "send:start": ({ studyInstanceUids, peer }, sender) => ({
    jobId: startJob({ type: "send", studyInstanceUids, peer }, sender.id),
  }),
  "core:restart": async () => {
    ready = await core.restart();
    windows.reloadAll();
    return { restarted: true };
  },
  "first-run:complete": () => {
    writeDesktopState(paths.stateFile, { firstRunComplete: true });
    return { firstRun: false };
  },
  "updates:state": () => updater().state,
  "updates:check": () => updater().check(),
  "updates:download": () => updater().download(),
  "updates:install": () => updater().install(),
  "updates:reload": () => updater().configure(updateSettings()),
  "updates:test-feed": async ({ url, channel }) => {
    const feed = await fetchFeed(url, channel, process.platform);
    return {
      version: feed.version,
      ...(feed.releaseDate ? { releaseDate: feed.releaseDate } : {}),
      newer: compareVersions(feed.version, app.getVersion()) > 0,
    };
  },
};

async function start(): Promise<void> {
  const firstStart = ensureConfigFile(paths.configFile, join(app.getPath("documents"), "Hilum"));
  if (firstStart) writeDesktopState(paths.stateFile, { firstRunComplete: false });
  try {
    ready = await core.start();
  } catch (err) {
    startFailed(err);
    return;
  }
  secureSession(
    session.defaultSession,
    { origin, secret: () => launchSecret, fingerprint: () => ready?.certificateFingerprint },
    (url) => console.warn(`blocked a request to ${url}`),
  );
  registerIpc(
    ipcMain,
    handlers,
    (url) => isAppUrl(url, origin()),
    (err) => console.warn(err.message),
  );
  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      menuTemplate(process.platform, !app.isPackaged, {
        importFolder: () => void chooseAndImport("import-folder"),
        importFiles: () => void chooseAndImport("import-files"),
        importDicomdir: () => void chooseAndImport("dicomdir"),
        settings: () => {
          const window = target(undefined);
          if (window) windows.send(window, EVENTS.navigate, { hash: "#/settings" });
        },
        toggleFullScreen: () => {
          const window = BrowserWindow.getFocusedWindow();
          if (window) windows.setFullScreen(!window.isFullScreen(), window);
        },
        fullScreenEverywhere: () =>
          windows.setFullScreen(!BrowserWindow.getAllWindows().every((w) => w.isFullScreen())),
        checkForUpdates: () => void updater().check(),
      }),
    ),
  );
  const firstRun = !readDesktopState(paths.stateFile).firstRunComplete;
  windows.open(firstRun ? "#/first-run" : "");
  openFromOs(process.argv.slice(1), process.cwd());
  for (const action of pending.splice(0)) action();
  const check = () => {
    if (["idle", "up-to-date", "error"].includes(updater().state.status)) void updater().check();
  };
  setTimeout(check, 30_000);
  setInterval(check, UPDATE_CHECK_INTERVAL_MS);
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  if (app.isPackaged) app.setAsDefaultProtocolClient(LAUNCH_SCHEME);
  app.on("second-instance", (_event, argv, cwd) => openFromOs(argv.slice(1), cwd));
  app.on("open-url", (event, url) => {
    event.preventDefault();
    whenReady(() => openLink(url));
  });
  app.on("open-file", (event, path) => {
    event.preventDefault();
    whenReady(() => startJob({ type: "import", paths: [path] }, "os"));
  });
  app.on("web-contents-created", (_event, contents) =>
    guardNavigation(contents, origin, (what, url) => console.warn(`refused ${what} to ${url}`)),
  );
  app.on("window-all-closed", () => app.quit());
  // Quit only once the core has stopped: in-flight associations and stores finish first.
  app.on("before-quit", (event) => {
    if (quitting && !core.running) return;
    event.preventDefault();
    if (quitting) return;
    quitting = true;
    store.flush();
    void core.stop().then(() => app.quit());
  });
  void app.whenReady().then(start);
}
