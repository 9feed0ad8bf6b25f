/**
 * The preload: exposes `window.hilum` (shared/desktop/api.ts) and nothing else. It runs sandboxed, so it
 * is bundled as one CommonJS file that requires only "electron"; every message it sends is validated again
 * in main (shared/desktop/ipc.ts), since a compromised page could call ipcRenderer-shaped things too.
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from "electron";
import type { HilumDesktop, Unsubscribe } from "../../shared/desktop/api.js";
import { EVENTS, INVOKE, type EventChannel, type InvokeChannel } from "../../shared/desktop/channels.js";
import type { EventPayloads, InvokeRequest, InvokeResponse } from "../../shared/desktop/ipc.js";

function invoke<C extends InvokeChannel>(
  channel: C,
  ...request: InvokeRequest<C> extends undefined ? [] : [InvokeRequest<C>]
): Promise<InvokeResponse<C>> {
  return ipcRenderer.invoke(channel, ...request) as Promise<InvokeResponse<C>>;
}

function subscribe<E extends EventChannel>(
  channel: E,
  listener: (payload: EventPayloads[E]) => void,
): Unsubscribe {
  const wrapped = (_event: IpcRendererEvent, payload: EventPayloads[E]) => listener(payload);
  ipcRenderer.on(channel, wrapped);
  return () => void ipcRenderer.removeListener(channel, wrapped);
}

const hilum: HilumDesktop = {
  info: () => invoke(INVOKE.info),
  launchSecret: async () => (await invoke(INVOKE.launchSecret)).secret,
  displays: {
    layout: () => invoke(INVOKE.displays),
    onChange: (listener) => subscribe(EVENTS.displays, listener),
    setFullScreen: async (fullScreen) => (await invoke(INVOKE.fullScreen, { fullScreen })).fullScreen,
  },
  files: {
    choose: async (purpose) => (await invoke(INVOKE.choose, { purpose })).paths,
    pathFor: (file) => webUtils.getPathForFile(file),
    import: async (paths) => (await invoke(INVOKE.importPaths, { paths })).jobId,
    send: async (studyInstanceUids, peer) =>
      (await invoke(INVOKE.sendStudies, { studyInstanceUids, peer })).jobId,
    onProgress: (listener) => subscribe(EVENTS.job, listener),
  },
  core: {
    restart: async () => void (await invoke(INVOKE.restartCore)),
  },
  firstRun: {
    complete: async () => void (await invoke(INVOKE.firstRunComplete)),
  },
  updates: {
    state: () => invoke(INVOKE.updateState),
    check: () => invoke(INVOKE.updateCheck),
    download: () => invoke(INVOKE.updateDownload),
    install: () => invoke(INVOKE.updateInstall),
    reload: () => invoke(INVOKE.updateReload),
    testFeed: (url, channel) => invoke(INVOKE.updateTestFeed, { url, channel }),
    onChange: (listener) => subscribe(EVENTS.updates, listener),
  },
  onNavigate: (listener) => subscribe(EVENTS.navigate, (payload) => listener(payload.hash)),
};

contextBridge.exposeInMainWorld("hilum", hilum);
