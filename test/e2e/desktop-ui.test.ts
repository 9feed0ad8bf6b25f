/**
 * The desktop screens in Debian's Chromium, on the IPC path they take in Electron: the served renderer
 * with `window.hilum` put in place before any page script (as the preload's contextBridge does), built
 * here with exactly the preload's shape (`HilumDesktop`), its messages answered by the test's stand-in for
 * main through main's own `dispatch` (the same origin check and zod schemas, shared/desktop/ipc.ts). Every
 * request to the core carries the per-launch secret, as main's session adds it. The core is a real node
 * with a configuration file, restarted on it when the page asks main to. Covers the first-run wizard, the
 * settings screen, the updater's states in the top bar and settings, the same pages without the desktop
 * API (a plain browser), and the screenshots docs/desktop.md shows.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import type { HilumDesktop, Unsubscribe } from "../../shared/desktop/api.js";
import { EVENTS, INVOKE, type EventChannel, type InvokeChannel } from "../../shared/desktop/channels.js";
import type { DisplayLayout } from "../../shared/desktop/displays.js";
import {
  type ChoosePurpose,
  type EventPayloads,
  IpcContractError,
  type InvokeRequest,
  type InvokeResponse,
  parseInvoke,
} from "../../shared/desktop/ipc.js";
import type { UpdateState } from "../../shared/desktop/updates.js";
import { mergeConfig, readConfigFile } from "../../electron/pacs/config/load.js";
import { defaultConfigText } from "../../electron/main/desktop-files.js";
import { dispatch, type InvokeHandlers } from "../../electron/main/ipc.js";
import { isAppUrl } from "../../electron/main/security.js";
import { launchBrowser } from "../support/browser.js";
import { REPO_ROOT, startTestNode, type TestNode } from "../support/hilum.js";
import { freePort } from "../support/ports.js";
import { call } from "../web/api-support.js";

const SECRET = "a per-launch secret of at least 32 characters";
const PASSWORD = "a long enough password";
const SCREENSHOTS = join(REPO_ROOT, "docs/screenshots");
/** Waits for what the page shows after the server answered; generous, as these CPUs are shared. */
const POLL = { timeout: 30_000 };
const VIEWPORT = { viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 };

/** What the injected preload finds on the page: the test's ends of ipcRenderer.invoke and ipcRenderer.on. */
interface PreloadGlobals {
  /** Playwright's binding to the test's main (ipcRenderer.invoke: a channel and its arguments). */
  hilumIpc(channel: string, args: unknown[]): Promise<unknown>;
  /** Main's webContents.send: the test calls it to deliver an event. */
  hilumEmit?: (channel: string, payload: unknown) => void;
  hilum?: HilumDesktop;
}

/**
 * The preload (electron/preload/index.ts) over the test's bindings. Runs in the page, so it uses nothing
 * from outside but its argument (the channel names); the object is typed `HilumDesktop`, so TypeScript
 * holds it to exactly the preload's shape.
 */
function installPreload(names: { invoke: typeof INVOKE; events: typeof EVENTS }): void {
  const page = globalThis as unknown as PreloadGlobals;
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  page.hilumEmit = (channel, payload) => listeners.get(channel)?.forEach((listener) => listener(payload));

  function invoke<C extends InvokeChannel>(
    channel: C,
    ...request: InvokeRequest<C> extends undefined ? [] : [InvokeRequest<C>]
  ): Promise<InvokeResponse<C>> {
    return page.hilumIpc(channel, request) as Promise<InvokeResponse<C>>;
  }

  function subscribe<E extends EventChannel>(
    channel: E,
    listener: (payload: EventPayloads[E]) => void,
  ): Unsubscribe {
    const wrapped = (payload: unknown) => listener(payload as EventPayloads[E]);
    const set = listeners.get(channel) ?? new Set();
    listeners.set(channel, set);
    set.add(wrapped);
    return () => void set.delete(wrapped);
  }

  const { invoke: I, events: E } = names;
  const hilum: HilumDesktop = {
    info: () => invoke(I.info),
    launchSecret: async () => (await invoke(I.launchSecret)).secret,
    displays: {
      layout: () => invoke(I.displays),
      onChange: (listener) => subscribe(E.displays, listener),
      setFullScreen: async (fullScreen) => (await invoke(I.fullScreen, { fullScreen })).fullScreen,
    },
    files: {
      choose: async (purpose) => (await invoke(I.choose, { purpose })).paths,
      pathFor: (file) => `/dropped/${file.name}`,
      import: async (paths) => (await invoke(I.importPaths, { paths })).jobId,
      send: async (studyInstanceUids, peer) =>
        (await invoke(I.sendStudies, { studyInstanceUids, peer })).jobId,
      onProgress: (listener) => subscribe(E.job, listener),
    },
    core: {
      restart: async () => void (await invoke(I.restartCore)),
    },
    firstRun: {
      complete: async () => void (await invoke(I.firstRunComplete)),
    },
    updates: {
      state: () => invoke(I.updateState),
      check: () => invoke(I.updateCheck),
      download: () => invoke(I.updateDownload),
      install: () => invoke(I.updateInstall),
      reload: () => invoke(I.updateReload),
      testFeed: (url, channel) => invoke(I.updateTestFeed, { url, channel }),
      onChange: (listener) => subscribe(E.updates, listener),
    },
    onNavigate: (listener) => subscribe(E.navigate, (payload) => listener(payload.hash)),
  };
  Object.defineProperty(page, "hilum", { value: hilum, enumerable: true });
}

/** A real node on a configuration file of the desktop's defaults, restartable on it as main restarts its core. */
class Core {
  node!: TestNode;
  readonly configFile: string;
  readonly origin: string;

  private constructor(
    readonly dir: string,
    httpPort: number,
    dicomPort: number,
  ) {
    this.configFile = join(dir, "hilum.yaml");
    this.origin = `http://127.0.0.1:${httpPort}`;
    writeFileSync(
      this.configFile,
      defaultConfigText(join(dir, "data"))
        .replace("port: 8043", `port: ${httpPort}`)
        .concat(`dicom:\n  port: ${dicomPort}\n  bind: 127.0.0.1\nlog:\n  level: silent\n  file: false\n`),
    );
  }

  /** Fixed ports, as the desktop's file has (the HTTP origin outlives a restart; the form takes 1–65535). */
  static async create(name: string, options: { admin?: boolean } = {}): Promise<Core> {
    const dir = mkdtempSync(join(inject("scratchRoot"), `desktop-ui-${name}-`));
    const core = new Core(dir, await freePort(), await freePort());
    await core.start();
    if (options.admin) {
      const setup = await call(core.origin, "/api/setup", {
        body: { username: "admin", password: PASSWORD },
      });
      expect(setup.status, setup.text).toBe(201);
    }
    return core;
  }

  /** As the core's utility process starts: the file, plus the per-launch secret main hands it. */
  async start(): Promise<void> {
    const fromFile = readConfigFile(this.configFile);
    this.node = await startTestNode(mergeConfig(fromFile, { http: { launchSecret: SECRET } }), {
      configFile: this.configFile,
    });
  }

  async restart(): Promise<void> {
    await this.node.close();
    await this.start();
  }

  /** The running configuration, as the API shows it to the workstation's own user. */
  async config(): Promise<Record<string, unknown>> {
    const answer = await call(this.origin, "/api/config", { token: SECRET });
    expect(answer.status, answer.text).toBe(200);
    return answer.json.config as Record<string, unknown>;
  }
}

const TWO_DISPLAYS: DisplayLayout = {
  displays: [0, 1].map((index) => ({
    index,
    id: String(100 + index),
    label: `Display ${index + 1}`,
    primary: index === 0,
    bounds: { x: index * 1280, y: 0, width: 1280, height: 800 },
    workArea: { x: index * 1280, y: 0, width: 1280, height: 770 },
    scaleFactor: 1,
  })),
  self: 0,
};

/** The test's main process: what electron/main/index.ts answers, through its own dispatch. */
class Main {
  /** Every message the page sent, as it arrived. */
  readonly received: Array<{ channel: string; args: unknown[] }> = [];
  readonly refused: string[] = [];
  readonly dialogs: ChoosePurpose[] = [];
  readonly windows: Page[] = [];
  readonly calls: string[] = [];
  /** What the next folder dialog answers. */
  chosen: string[] = [];
  firstRun = true;
  /** Core restarts completed. */
  restarts = 0;
  /** Why the next restart fails (the core did not come back), if it does. */
  restartFailure: string | undefined;
  fullScreen = false;
  update: UpdateState = { status: "idle", channel: "stable" };
  feedUrls: string[] = [];

  constructor(readonly core: Core) {}

  readonly handlers: InvokeHandlers = {
    "desktop:info": () => ({ version: "1.0.0", platform: process.platform, firstRun: this.firstRun }),
    "desktop:launch-secret": () => ({ secret: SECRET }),
    "displays:layout": () => TWO_DISPLAYS,
    "window:set-full-screen": ({ fullScreen }) => ({ fullScreen: (this.fullScreen = fullScreen) }),
    "dialog:choose": ({ purpose }) => {
      this.dialogs.push(purpose);
      return { paths: this.chosen };
    },
    "import:start": () => ({ jobId: "import-1" }),
    "send:start": () => ({ jobId: "send-1" }),
    "core:restart": async () => {
      const failure = this.restartFailure;
      this.restartFailure = undefined;
      if (failure) throw new Error(failure);
      await this.core.restart();
      this.restarts += 1;
      // Main reloads every window once the core is back (windows.reloadAll), before it answers.
      for (const window of this.windows) void window.reload().catch(() => undefined);
      return { restarted: true };
    },
    "first-run:complete": () => {
      this.firstRun = false;
      return { firstRun: false };
    },
    "updates:state": () => this.update,
    "updates:check": () => this.report({ status: "available", channel: "stable", version: "1.2.0" }),
    "updates:download": () =>
      this.report({
        status: "downloading",
        channel: "stable",
        version: "1.2.0",
        percent: 0,
        transferred: 0,
        total: 80_000_000,
        bytesPerSecond: 0,
      }),
    "updates:install": () => this.update,
    "updates:reload": () => this.report({ status: "idle", channel: "stable" }),
    "updates:test-feed": ({ url }) => {
      this.feedUrls.push(url);
      return { version: "1.2.0", releaseDate: "2025-01-01T00:00:00.000Z", newer: true };
    },
  };

  /** ipcMain.handle for every channel: the page's frame must be on the core's origin, the argument valid. */
  async handle(frameUrl: string, channel: string, args: unknown[]): Promise<unknown> {
    this.received.push({ channel, args });
    this.calls.push(channel);
    try {
      return await dispatch(
        this.handlers,
        (url) => isAppUrl(url, this.core.origin),
        channel as InvokeChannel,
        { sender: { id: 1 }, senderFrame: { url: frameUrl } },
        args,
      );
    } catch (err) {
      if (err instanceof IpcContractError) this.refused.push(err.message);
      throw err;
    }
  }

  /** The updater's new state: main sends it to every window (`updates:changed`) and answers with it. */
  private report(state: UpdateState): UpdateState {
    this.update = state;
    void this.emit(EVENTS.updates, state).catch(() => undefined);
    return state;
  }

  /** webContents.send to every window. */
  async emit<E extends EventChannel>(channel: E, payload: EventPayloads[E]): Promise<void> {
    if (channel === EVENTS.updates) this.update = payload as UpdateState;
    for (const window of this.windows) {
      await window.evaluate(([c, p]) => (globalThis as unknown as PreloadGlobals).hilumEmit?.(c, p), [
        channel,
        payload,
      ] as const);
    }
  }

  /** Every message the page sent matches the contract main enforces. */
  expectContract(): void {
    expect(this.refused).toEqual([]);
    for (const { channel, args } of this.received) {
      expect(() => parseInvoke(channel, args), channel).not.toThrow();
    }
  }
}

describe("the desktop screens", { timeout: 120_000 }, () => {
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const cores: Core[] = [];
  let errors: string[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
  });

  afterEach(async () => {
    // The windows first: the node's close waits for the requests its pages still have open.
    await Promise.all(contexts.splice(0).map((context) => context.close().catch(() => undefined)));
    await Promise.all(cores.splice(0).map((core) => core.node.close()));
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function core(name: string, options: { admin?: boolean } = {}): Promise<Core> {
    const created = await Core.create(name, options);
    cores.push(created);
    return created;
  }

  function watch(page: Page): void {
    page.on("console", (message) => {
      // Refused saves answer 400; anything else (a CSP violation, an exception) is a failure.
      if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
        errors.push(message.text());
      }
    });
    page.on("pageerror", (error) => errors.push(error.message));
  }

  /** A window of the desktop app: the preload's API in place, the launch secret on every request to the core. */
  async function desktopWindow(main: Main, hash: string): Promise<Page> {
    errors = [];
    const context = await browser.newContext(VIEWPORT);
    contexts.push(context);
    context.setDefaultTimeout(30_000);
    await context.exposeBinding("hilumIpc", (source, channel: string, args: unknown[]) =>
      main.handle(source.frame.url(), channel, args),
    );
    await context.addInitScript(installPreload, { invoke: INVOKE, events: EVENTS });
    // Main's session puts the secret on every request to the core's origin (the only one the window reaches).
    await context.setExtraHTTPHeaders({ authorization: `Bearer ${SECRET}` });
    const page = await context.newPage();
    watch(page);
    main.windows.push(page);
    await page.goto(`${main.core.origin}/${hash}`);
    return page;
  }

  /** A plain browser window: no `window.hilum`, the session cookie of a login. */
  async function browserWindow(target: Core, hash: string): Promise<Page> {
    errors = [];
    const context = await browser.newContext(VIEWPORT);
    contexts.push(context);
    context.setDefaultTimeout(30_000);
    const page = await context.newPage();
    watch(page);
    await page.goto(`${target.origin}/${hash}`);
    return page;
  }

  const field = (page: Page, name: string) => page.getByLabel(name, { exact: true });

  it("first run: storage folder from the dialog and AE title (the core restarts), the admin account, then the app", async () => {
    const desktop = await core("first-run");
    const main = new Main(desktop);
    const chosen = join(desktop.dir, "Documents", "Hilum");
    mkdirSync(chosen, { recursive: true });
    main.chosen = [chosen];
    const page = await desktopWindow(main, "#/first-run");

    const storage = page.getByLabel(/^Storage folder/);
    await expect.poll(() => storage.inputValue(), POLL).toBe(join(desktop.dir, "data"));
    await page.getByRole("button", { name: "Browse…" }).click();
    await expect.poll(() => storage.inputValue(), POLL).toBe(chosen);
    expect(main.dialogs).toEqual(["storage-folder"]);

    const aeTitle = page.getByLabel(/^AE title of this node/);
    await aeTitle.fill("DESK_AE");
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(SCREENSHOTS, "first-run.png") });

    // A backslash is outside the AE title's repertoire: the core refuses it, naming the key; nothing is written.
    await aeTitle.fill("BAD\\AE");
    await page.getByRole("button", { name: "Next" }).click();
    await expect
      .poll(() => page.getByRole("alert").textContent(), POLL)
      .toMatch(/^aeTitle: AE title holds a character outside the DICOM default repertoire/);
    expect(readConfigFile(desktop.configFile).aeTitle).toBe("HILUM");
    expect(main.calls).not.toContain("core:restart");

    await aeTitle.fill("DESK_AE");
    await page.getByRole("button", { name: "Next" }).click();

    // The core restarts on the new folder and the window reloads, at the account step.
    await page.getByLabel(/^Password \(at least 10 characters\)/).waitFor();
    expect(main.restarts).toBe(1);
    const written = readConfigFile(desktop.configFile);
    expect(written).toMatchObject({ aeTitle: "DESK_AE", dataDir: chosen });
    expect(await desktop.config()).toMatchObject({ aeTitle: "DESK_AE", dataDir: chosen });

    await field(page, "Administrator's user name").fill("chief");
    await page.getByLabel(/^Password \(at least/).fill("short");
    await field(page, "Password again").fill("short");
    await page.getByRole("button", { name: "Create the account" }).click();
    await expect
      .poll(() => page.getByRole("alert").textContent(), POLL)
      .toBe("The password needs at least 10 characters.");
    expect((await call(desktop.origin, "/api/setup")).json.setupRequired).toBe(true);

    await page.getByLabel(/^Password \(at least/).fill(PASSWORD);
    await field(page, "Password again").fill(PASSWORD);
    await page.getByRole("button", { name: "Create the account" }).click();
    await expect
      .poll(() => page.locator(".wizard").textContent(), POLL)
      .toContain("Modalities can send to DESK_AE");
    await page.getByRole("button", { name: "Open Hilum" }).click();

    // Signed in (the workstation's own user, as main's session makes every request), on the study list.
    await expect.poll(() => page.getByTestId("current-user").textContent(), POLL).toMatch(/Administrator/);
    expect(new URL(page.url()).hash).toBe("#/studies");
    expect(main.firstRun).toBe(false);
    expect((await call(desktop.origin, "/api/setup")).json.setupRequired).toBe(false);
    const login = await call(desktop.origin, "/api/login", {
      body: { username: "chief", password: PASSWORD },
    });
    expect(login.status, login.text).toBe(200);
    // The admin lives in the chosen folder's index: the core runs on it.
    expect(readFileSync(join(chosen, "index.sqlite")).length).toBeGreaterThan(0);

    expect(main.calls).toEqual(
      expect.arrayContaining([
        "desktop:launch-secret",
        "dialog:choose",
        "core:restart",
        "first-run:complete",
      ]),
    );
    main.expectContract();
    expect(errors).toEqual([]);
  });

  it("settings: loads the running configuration, applies a valid change, refuses a bad one naming its key", async () => {
    const desktop = await core("settings", { admin: true });
    const main = new Main(desktop);
    main.firstRun = false;
    const page = await desktopWindow(main, "#/settings");

    const aeTitle = field(page, "AE title");
    await expect.poll(() => aeTitle.inputValue(), POLL).toBe("HILUM");
    await expect.poll(() => page.locator(".settings").textContent(), POLL).toContain(desktop.configFile);

    await aeTitle.fill("READING_1");
    await page.getByRole("button", { name: "Add a peer" }).click();
    await page.getByLabel("Peer AE title").fill("ORTHANC");
    await page.getByLabel("Peer host").fill("127.0.0.1");
    await page.getByLabel("Peer port").fill("4242");
    await page.getByLabel("Peer description").fill("the clinic's PACS");
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => page.getByRole("status").textContent(), POLL).toMatch(/Saved: .*aeTitle/);
    expect(await page.getByRole("status").textContent()).toMatch(/In effect now: peers\./);
    await expect
      .poll(() => page.locator(".warn-text").textContent(), POLL)
      .toMatch(/These take effect when the core restarts: aeTitle\./);
    // Peers apply at once; the AE title is in the file and waits for the restart.
    const peer = { aeTitle: "ORTHANC", host: "127.0.0.1", port: 4242, description: "the clinic's PACS" };
    expect(await desktop.config()).toMatchObject({ aeTitle: "HILUM", peers: [peer] });
    expect(readConfigFile(desktop.configFile)).toMatchObject({ aeTitle: "READING_1", peers: [peer] });

    // A second peer whose AE title holds a backslash: refused, its key named, nothing written.
    await page.getByRole("button", { name: "Add a peer" }).click();
    await page.getByLabel("Peer AE title").nth(1).fill("BAD\\PEER");
    await page.getByLabel("Peer host").nth(1).fill("10.0.0.9");
    await page.getByRole("button", { name: "Save" }).click();
    await expect
      .poll(() => page.getByRole("alert").textContent(), POLL)
      .toMatch(/^peers\.1\.aeTitle: AE title holds a character outside/);
    expect((await desktop.config()).peers).toEqual([peer]);
    expect(readConfigFile(desktop.configFile).peers).toEqual([peer]);
    await page.getByRole("button", { name: "Remove" }).nth(1).click();

    // The update server: tested through main before it is saved, then saved; main re-reads it.
    await page.getByLabel(/^Update server/).fill("https://updates.example.org/hilum");
    await page.getByRole("button", { name: "Test" }).click();
    await expect
      .poll(() => page.getByTestId("feed-result").textContent(), POLL)
      .toBe("Found version 1.2.0 (newer than this one).");
    expect(main.feedUrls).toEqual(["https://updates.example.org/hilum"]);
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => page.getByRole("status").textContent(), POLL).toMatch(/Saved: updates\.url\./);
    expect(main.calls).toContain("updates:reload");
    expect(readConfigFile(desktop.configFile).updates).toMatchObject({
      url: "https://updates.example.org/hilum",
    });

    // "Restart the core now": the core comes back on the file, the window reloads with the new AE title.
    await aeTitle.fill("READING_2");
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => page.getByRole("status").textContent(), POLL).toMatch(/Saved: aeTitle\./);
    // A restart that fails is said; the screen stays usable and the restart can be tried again.
    main.restartFailure = "cannot listen: port 104 is in use";
    await page.getByRole("button", { name: "Restart the core now" }).click();
    await expect
      .poll(() => page.getByRole("alert").textContent(), POLL)
      .toContain("cannot listen: port 104 is in use");
    main.update = { status: "available", channel: "stable", version: "1.2.0" };
    await page.getByRole("button", { name: "Restart the core now" }).click();
    await expect.poll(() => main.restarts, POLL).toBe(1);
    // The reloaded window has no save result (nor its restart button) any more.
    await page.getByRole("button", { name: "Restart the core now" }).waitFor({ state: "detached" });
    await expect.poll(() => aeTitle.inputValue(), POLL).toBe("READING_2");
    expect(await desktop.config()).toMatchObject({ aeTitle: "READING_2", peers: [peer] });
    await page.getByRole("button", { name: "Download update 1.2.0" }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, "settings.png") });

    main.expectContract();
    expect(errors).toEqual([]);
  });

  it("updates: progress and restart to update from the updater's reports; an error shows and nothing breaks", async () => {
    const desktop = await core("updates", { admin: true });
    const main = new Main(desktop);
    main.firstRun = false;
    const page = await desktopWindow(main, "#/settings");
    const status = page.locator(".settings").getByText(/^Status:/);
    await expect.poll(() => status.textContent(), POLL).toBe("Status: idle");

    await main.emit(EVENTS.updates, { status: "available", channel: "stable", version: "1.2.0" });
    await page.getByRole("button", { name: "Download update 1.2.0" }).click();
    await expect.poll(() => page.locator(".desktop-status progress").getAttribute("value"), POLL).toBe("0");
    await main.emit(EVENTS.updates, {
      ...(main.update as UpdateState & { status: "downloading" }),
      percent: 42,
    });
    await expect
      .poll(() =>
        page.locator(".desktop-status progress").evaluate((el) => (el as unknown as { value: number }).value),
      )
      .toBe(42);
    expect(await page.locator(".desktop-status").textContent()).toContain("Downloading 1.2.0");
    await expect.poll(() => status.textContent(), POLL).toBe("Status: downloading");

    await main.emit(EVENTS.updates, { status: "downloaded", channel: "stable", version: "1.2.0" });
    await page.getByRole("button", { name: "Restart to update to 1.2.0" }).click();
    expect(main.calls).toContain("updates:install");

    // A broken download: shown in the top bar and in settings; the app goes on working.
    const message = "cannot download latest-linux.yml: connect ECONNREFUSED 127.0.0.1:9";
    await main.emit(EVENTS.updates, { status: "error", channel: "stable", message, version: "1.2.0" });
    await expect
      .poll(() => page.locator(".desktop-status").textContent(), POLL)
      .toContain(`Update failed: ${message}`);
    await expect.poll(() => status.textContent(), POLL).toBe(`Status: error — ${message}`);
    await page.getByRole("button", { name: "Check now" }).click();
    await page.getByRole("button", { name: "Download update 1.2.0" }).waitFor();
    await field(page, "AE title").fill("AFTER_ERROR");
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => page.getByRole("status").textContent(), POLL).toMatch(/Saved: aeTitle\./);
    await page.getByRole("link", { name: "Studies" }).click();
    await expect.poll(() => page.getByTestId("page-range").textContent(), POLL).toMatch(/0 studies/);
    // A display layout from main: two monitors, this window on the first.
    expect(await page.locator(".desktop-status").textContent()).toContain("Display 1 of 2");

    main.expectContract();
    // The stand-in enforces the contract as main does: a message off it is refused, naming channel and field.
    const offContract = page.evaluate(() =>
      (globalThis as unknown as PreloadGlobals).hilum!.files.import(["relative/study.dcm"]),
    );
    await expect(offContract).rejects.toThrow(/"import:start" refused: paths\.0: must be an absolute path/);
    expect(main.refused).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it("a plain browser (no window.hilum): the first-run account and the settings screen work over HTTP alone", async () => {
    const served = await core("browser");
    const page = await browserWindow(served, "#/first-run");
    expect(await page.evaluate(() => "hilum" in globalThis)).toBe(false);

    // No desktop: the storage step is not offered (nobody may change the configuration yet).
    await page.getByLabel(/^Password \(at least 10 characters\)/).waitFor();
    expect(await page.getByLabel(/^Storage folder/).count()).toBe(0);
    await field(page, "Administrator's user name").fill("chief");
    await page.getByLabel(/^Password \(at least/).fill("short");
    await field(page, "Password again").fill("short");
    await page.getByRole("button", { name: "Create the account" }).click();
    await expect
      .poll(() => page.getByRole("alert").textContent(), POLL)
      .toBe("The password needs at least 10 characters.");
    await page.getByLabel(/^Password \(at least/).fill(PASSWORD);
    await field(page, "Password again").fill(PASSWORD);
    await page.getByRole("button", { name: "Create the account" }).click();
    await page.getByRole("button", { name: "Open Hilum" }).click();
    await expect
      .poll(() => page.getByTestId("current-user").textContent(), POLL)
      .toMatch(/chief\s*Administrator/);

    await page.getByRole("link", { name: "Settings" }).click();
    const aeTitle = field(page, "AE title");
    await expect.poll(() => aeTitle.inputValue(), POLL).toBe("HILUM");
    expect(await page.getByRole("button", { name: "Browse…" }).count()).toBe(0);
    expect(await page.getByText("Updates", { exact: true }).count()).toBe(0);

    await aeTitle.fill("BROWSER_AE");
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => page.getByRole("status").textContent(), POLL).toMatch(/Saved: aeTitle\./);
    await expect
      .poll(() => page.locator(".warn-text").textContent(), POLL)
      .toMatch(/aeTitle\.\s*Restart the server to apply them\./);
    expect(readConfigFile(served.configFile).aeTitle).toBe("BROWSER_AE");

    await page.getByRole("button", { name: "Add a peer" }).click();
    await page.getByLabel("Peer AE title").fill("BAD\\PEER");
    await page.getByLabel("Peer host").fill("10.0.0.9");
    await page.getByRole("button", { name: "Save" }).click();
    await expect
      .poll(() => page.getByRole("alert").textContent(), POLL)
      .toMatch(/^peers\.0\.aeTitle: AE title holds a character outside/);
    expect((await served.config()).peers).toEqual([]);
    expect(errors).toEqual([]);
  });
});
