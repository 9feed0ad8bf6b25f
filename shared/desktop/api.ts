/**
 * The API the preload exposes to the renderer as `window.hilum` (electron/preload/index.ts): small, typed,
 * desktop-only things. Everything the HTTP API already does (configuration, users, peers, studies) goes
 * over HTTP to the core, in the desktop app as in the browser.
 */
import type { ChoosePurpose, DesktopInfo, FeedFound, JobProgress } from "./ipc.js";
import type { DisplayLayout } from "./displays.js";
import type { UpdateChannel, UpdateState } from "./updates.js";

export type Unsubscribe = () => void;

export interface HilumDesktop {
  info(): Promise<DesktopInfo>;
  /** The per-launch secret of the loopback core: `Authorization: Bearer …` for its HTTP API. */
  launchSecret(): Promise<string>;
  displays: {
    layout(): Promise<DisplayLayout>;
    onChange(listener: (layout: DisplayLayout) => void): Unsubscribe;
    /** Full screen on this window's own display; resolves with the new state. */
    setFullScreen(fullScreen: boolean): Promise<boolean>;
  };
  files: {
    /** A native dialog; an empty list when cancelled. */
    choose(purpose: ChoosePurpose): Promise<string[]>;
    /** The path of a dropped file or folder (Electron no longer puts it on File). */
    pathFor(file: File): string;
    /** Imports files, folders or a DICOMDIR into the local archive; progress comes on `onProgress`. */
    import(paths: string[]): Promise<string>;
    /** Sends studies to a configured peer (C-STORE); progress comes on `onProgress`. */
    send(studyInstanceUids: string[], peer: string): Promise<string>;
    onProgress(listener: (progress: JobProgress) => void): Unsubscribe;
  };
  core: {
    /** Restarts the core process (in-flight stores finish first) so settings that need a restart apply. */
    restart(): Promise<void>;
  };
  firstRun: {
    complete(): Promise<void>;
  };
  updates: {
    state(): Promise<UpdateState>;
    check(): Promise<UpdateState>;
    download(): Promise<UpdateState>;
    install(): Promise<UpdateState>;
    /** Re-reads the `updates` settings from the configuration file after the settings screen saved them. */
    reload(): Promise<UpdateState>;
    testFeed(url: string, channel: UpdateChannel): Promise<FeedFound>;
    onChange(listener: (state: UpdateState) => void): Unsubscribe;
  };
  /** Main asks the app to show a route (the menu's Settings…, an imported study, an EMR launch). */
  onNavigate(listener: (hash: string) => void): Unsubscribe;
}
