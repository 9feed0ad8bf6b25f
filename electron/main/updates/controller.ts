/**
 * Drives an electron-updater-like object from the UI's commands and turns its events into UpdateState.
 * Nothing here throws: a failed check, download or install becomes the "error" state the UI shows, and the
 * app carries on.
 */
import type { UpdateState } from "../../../shared/desktop/updates.js";
import { feedChannel } from "./feed.js";
import { type UpdateEvent, type UpdateSettings, initialUpdateState, nextUpdateState } from "./state.js";

export interface UpdateInfoLike {
  version: string;
}

export interface ProgressLike {
  percent: number;
  transferred: number;
  total: number;
  bytesPerSecond: number;
}

/** The part of electron-updater's AppUpdater used (injected, so tests drive it without Electron). */
export interface UpdaterLike {
  autoDownload: boolean;
  autoInstallOnAppQuit: boolean;
  allowPrerelease: boolean;
  setFeedURL(options: { provider: "generic"; url: string; channel: string }): void;
  checkForUpdates(): Promise<unknown>;
  downloadUpdate(): Promise<unknown>;
  quitAndInstall(): void;
  on(event: "checking-for-update" | "update-not-available", listener: () => void): unknown;
  on(event: "update-available" | "update-downloaded", listener: (info: UpdateInfoLike) => void): unknown;
  on(event: "download-progress", listener: (progress: ProgressLike) => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
}

export class UpdateController {
  private current: UpdateState;

  constructor(
    private readonly updater: UpdaterLike,
    settings: UpdateSettings,
    private readonly onChange: (state: UpdateState) => void,
    private readonly now: () => Date = () => new Date(),
  ) {
    // The UI decides when to download (a clinical network is not to be loaded unasked); an update that
    // was downloaded installs when the app quits, or at once with "restart to update".
    updater.autoDownload = false;
    updater.autoInstallOnAppQuit = true;
    updater.on("checking-for-update", () => this.apply({ type: "checking" }));
    updater.on("update-available", (info) => this.apply({ type: "available", version: info.version }));
    updater.on("update-not-available", () => this.apply({ type: "not-available", at: this.now() }));
    updater.on("download-progress", (progress) => this.apply({ type: "progress", ...progress }));
    updater.on("update-downloaded", (info) => this.apply({ type: "downloaded", version: info.version }));
    updater.on("error", (error) => this.apply({ type: "error", message: error.message }));
    this.current = initialUpdateState(settings);
    this.configure(settings);
  }

  get state(): UpdateState {
    return this.current;
  }

  configure(settings: UpdateSettings): UpdateState {
    if (settings.enabled && settings.url && !settings.unavailable) {
      this.updater.allowPrerelease = settings.channel === "beta";
      this.updater.setFeedURL({
        provider: "generic",
        url: settings.url,
        channel: feedChannel(settings.channel),
      });
    }
    return this.apply({ type: "configure", settings });
  }

  async check(): Promise<UpdateState> {
    if (this.current.status === "disabled") return this.current;
    return this.attempt(() => this.updater.checkForUpdates());
  }

  async download(): Promise<UpdateState> {
    if (this.current.status !== "available" && !(this.current.status === "error" && this.current.version)) {
      return this.current;
    }
    return this.attempt(() => this.updater.downloadUpdate());
  }

  async install(): Promise<UpdateState> {
    if (this.current.status !== "downloaded") return this.current;
    return this.attempt(async () => this.updater.quitAndInstall());
  }

  private async attempt(action: () => Promise<unknown>): Promise<UpdateState> {
    try {
      await action();
    } catch (err) {
      this.apply({ type: "error", message: err instanceof Error ? err.message : String(err) });
    }
    return this.current;
  }

  private apply(event: UpdateEvent): UpdateState {
    const next = nextUpdateState(this.current, event);
    if (JSON.stringify(next) !== JSON.stringify(this.current)) {
      this.current = next;
      this.onChange(next);
    }
    return next;
  }
}
