/**
 * One window per display, wired to Electron: places them by the plans of displays/placement.ts on start and
 * whenever a display is plugged in, unplugged or changes, remembers where they are, and tells each window
 * its place in the display layout.
 */
import { BrowserWindow, screen } from "electron";
import { EVENTS } from "../../shared/desktop/channels.js";
import type { DisplayInfo, DisplayLayout, Rect } from "../../shared/desktop/displays.js";
import type { EventPayloads } from "../../shared/desktop/ipc.js";
import { describeDisplays, displayAt, planWindows } from "./displays/placement.js";
import type { WindowStateStore } from "./displays/window-state.js";
import { secureWebPreferences } from "./security.js";

export interface DisplayWindowsOptions {
  preload: string;
  devTools: boolean;
  icon?: string;
  store: WindowStateStore;
  /** The core's origin, where every window loads the renderer from. */
  origin: () => string;
}

interface Managed {
  window: BrowserWindow;
  home: string;
  orphaned: boolean;
}

export class DisplayWindows {
  private readonly managed = new Map<number, Managed>();

  constructor(private readonly options: DisplayWindowsOptions) {}

  /** Opens the windows (the first one on `route`, the others on the app's home) and follows display changes. */
  open(route: string): void {
    this.reconcile(route);
    const changed = () => this.reconcile("");
    screen.on("display-added", changed);
    screen.on("display-removed", changed);
    screen.on("display-metrics-changed", changed);
  }

  displays(): DisplayInfo[] {
    return describeDisplays(screen.getAllDisplays(), screen.getPrimaryDisplay().id);
  }

  private reconcile(route: string): void {
    const displays = this.displays();
    const placed = [...this.managed].map(([windowId, m]) => ({
      windowId,
      home: m.home,
      orphaned: m.orphaned,
      bounds: m.window.getBounds(),
    }));
    for (const action of planWindows(displays, placed, this.options.store.remembered)) {
      if (action.kind === "create") {
        const onPrimary = displays.find((d) => d.id === action.display)?.primary ?? false;
        this.create(action.display, action.bounds, action.fullScreen, onPrimary ? route : "");
        continue;
      }
      const m = this.managed.get(action.windowId)!;
      if (action.fullScreen === false && m.window.isFullScreen()) m.window.setFullScreen(false);
      m.window.setBounds(action.bounds);
      m.orphaned = action.orphaned;
    }
    this.broadcast(EVENTS.displays, (window) => this.layoutFor(window.webContents.id));
  }

  private create(home: string, bounds: Rect, fullScreen: boolean, route: string): void {
    const window = new BrowserWindow({
      ...bounds,
      show: false,
      title: "Hilum",
      backgroundColor: "#000000",
      ...(this.options.icon ? { icon: this.options.icon } : {}),
      webPreferences: secureWebPreferences({
        preload: this.options.preload,
        devTools: this.options.devTools,
      }),
    });
    const managed: Managed = { window, home, orphaned: false };
    this.managed.set(window.id, managed);
    const id = window.id;
    const remember = () => {
      if (window.isDestroyed() || managed.orphaned) return;
      const full = window.isFullScreen();
      this.options.store.remember(home, {
        bounds: full ? window.getNormalBounds() : window.getBounds(),
        fullScreen: full,
      });
    };
    window.on("moved", remember);
    window.on("resized", remember);
    window.on("enter-full-screen", remember);
    window.on("leave-full-screen", remember);
    window.once("ready-to-show", () => {
      if (fullScreen) window.setFullScreen(true);
      window.show();
    });
    window.on("closed", () => this.managed.delete(id));
    void window.loadURL(`${this.options.origin()}/${route}`);
  }

  /** The layout as one window sees it: every display, and the one showing most of this window. */
  layoutFor(webContentsId: number): DisplayLayout {
    const displays = this.displays();
    const window = this.byContents(webContentsId);
    const here = window ? displayAt(window.getBounds(), displays) : undefined;
    return { displays, self: here?.index ?? -1 };
  }

  byContents(webContentsId: number): BrowserWindow | undefined {
    return [...this.managed.values()].find((m) => m.window.webContents.id === webContentsId)?.window;
  }

  /** The window of the primary display (where the app opens things), else any. */
  main(): BrowserWindow | undefined {
    const primary = this.displays().find((d) => d.primary)?.id;
    const all = [...this.managed.values()];
    return (all.find((m) => m.home === primary) ?? all[0])?.window;
  }

  /** Loads every window again from the core (after it restarted, perhaps on another port), keeping its route. */
  reloadAll(): void {
    for (const { window } of this.managed.values()) {
      const hash = new URL(window.webContents.getURL() || "about:blank").hash;
      void window.loadURL(`${this.options.origin()}/${hash}`);
    }
  }

  setFullScreen(fullScreen: boolean, window?: BrowserWindow): void {
    const targets = window ? [window] : [...this.managed.values()].map((m) => m.window);
    for (const target of targets) target.setFullScreen(fullScreen);
  }

  send<E extends keyof EventPayloads>(window: BrowserWindow, channel: E, payload: EventPayloads[E]): void {
    if (!window.isDestroyed()) window.webContents.send(channel, payload);
  }

  broadcast<E extends keyof EventPayloads>(
    channel: E,
    payload: (window: BrowserWindow) => EventPayloads[E],
  ): void {
    for (const { window } of this.managed.values()) this.send(window, channel, payload(window));
  }
}
