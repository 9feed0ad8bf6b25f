import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  ALLOWED_PERMISSIONS,
  CONTENT_SECURITY_POLICY,
  InsecureSettingError,
  SECURE_WEB_PREFERENCES,
  assertSecureWebPreferences,
  denyPermissions,
  guardNavigation,
  isAppUrl,
  secureWebPreferences,
  withContentSecurityPolicy,
  type GuardedContents,
  type PermissionSession,
} from "../../electron/main/security.js";
import { CONTENT_SECURITY_POLICY as CORE_CSP } from "../../electron/pacs/web/static.js";

const ORIGIN = "http://127.0.0.1:8043";
const PRELOAD = "/opt/Hilum/resources/app.asar/out/preload/index.cjs";

describe("the webPreferences factory", () => {
  it("sets every security-relevant preference to its safe value", () => {
    expect(secureWebPreferences({ preload: PRELOAD, devTools: false })).toEqual({
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
      spellcheck: false,
      backgroundThrottling: false,
      devTools: false,
      preload: PRELOAD,
    });
  });

  it("cannot be loosened: the safe values are frozen", () => {
    expect(Object.isFrozen(SECURE_WEB_PREFERENCES)).toBe(true);
    expect(() => {
      (SECURE_WEB_PREFERENCES as Record<string, unknown>).sandbox = false;
    }).toThrow(TypeError);
  });

  it.each(Object.entries(SECURE_WEB_PREFERENCES))("refuses %s loosened", (key, safe) => {
    const loosened = { ...secureWebPreferences({ preload: PRELOAD, devTools: false }), [key]: !safe };
    expect(() => assertSecureWebPreferences(loosened)).toThrow(InsecureSettingError);
    expect(() => assertSecureWebPreferences(loosened)).toThrow(
      `webPreferences.${key} must be ${String(safe)}`,
    );
  });

  it.each(Object.keys(SECURE_WEB_PREFERENCES))(
    "refuses %s left out (Electron's default is not trusted)",
    (key) => {
      const all: Record<string, unknown> = { ...secureWebPreferences({ preload: PRELOAD, devTools: false }) };
      const missing = Object.fromEntries(Object.entries(all).filter(([name]) => name !== key));
      expect(() => assertSecureWebPreferences(missing)).toThrow(`webPreferences.${key}`);
    },
  );

  it("refuses a relative preload path", () => {
    expect(() => secureWebPreferences({ preload: "out/preload/index.cjs", devTools: false })).toThrow(
      "preload must be an absolute path",
    );
  });

  it("is the only way windows are made: every BrowserWindow in electron/main takes its webPreferences", () => {
    const dir = join(import.meta.dirname, "../../electron/main");
    const files = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
    const windows = files.flatMap((file) => {
      const text = readFileSync(join(dir, file), "utf8");
      return [...text.matchAll(/new BrowserWindow\(\{[\s\S]*?\n {4}\}\);/g)].map((m) => ({
        file,
        code: m[0],
      }));
    });
    expect(windows.length).toBeGreaterThan(0);
    for (const { code } of windows) {
      expect(code).toMatch(/webPreferences: secureWebPreferences\(/);
    }
  });
});

class FakeContents implements GuardedContents {
  readonly listeners = new Map<string, (event: { url: string; preventDefault(): void }) => void>();
  openHandler: ((details: { url: string }) => { action: "deny" }) | undefined;
  on(event: string, listener: (event: { url: string; preventDefault(): void }) => void): this {
    this.listeners.set(event, listener);
    return this;
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: "deny" }): void {
    this.openHandler = handler;
  }
  /** Fires an event; true when the guard let it happen. */
  fire(event: string, url = ""): boolean {
    let prevented = false;
    this.listeners.get(event)!({ url, preventDefault: () => (prevented = true) });
    return !prevented;
  }
}

describe("navigation and new windows", () => {
  it("lets frames navigate and redirect within the app's origin only", () => {
    const contents = new FakeContents();
    const refused: string[] = [];
    guardNavigation(
      contents,
      () => ORIGIN,
      (what, url) => refused.push(`${what} ${url}`),
    );
    for (const event of ["will-frame-navigate", "will-redirect"]) {
      expect(contents.fire(event, `${ORIGIN}/#/study/1.2.3`)).toBe(true);
      expect(contents.fire(event, `${ORIGIN}/launch?token=x`)).toBe(true);
      expect(contents.fire(event, "https://evil.example.org/")).toBe(false);
      expect(contents.fire(event, "http://127.0.0.1:9999/")).toBe(false);
      expect(contents.fire(event, "https://127.0.0.1:8043/")).toBe(false);
      expect(contents.fire(event, "file:///etc/passwd")).toBe(false);
      expect(contents.fire(event, "javascript:alert(1)")).toBe(false);
    }
    expect(refused).toContain("navigation https://evil.example.org/");
  });

  it("follows the origin when the core comes back on another port", () => {
    const contents = new FakeContents();
    let origin = ORIGIN;
    guardNavigation(
      contents,
      () => origin,
      () => {},
    );
    origin = "http://127.0.0.1:9000";
    expect(contents.fire("will-frame-navigate", `${ORIGIN}/`)).toBe(false);
    expect(contents.fire("will-frame-navigate", "http://127.0.0.1:9000/#/studies")).toBe(true);
  });

  it("refuses every new window and <webview>, own origin included", () => {
    const contents = new FakeContents();
    guardNavigation(
      contents,
      () => ORIGIN,
      () => {},
    );
    expect(contents.openHandler!({ url: "https://evil.example.org/" })).toEqual({ action: "deny" });
    expect(contents.openHandler!({ url: `${ORIGIN}/` })).toEqual({ action: "deny" });
    expect(contents.fire("will-attach-webview")).toBe(false);
  });

  it("compares parsed origins, not string prefixes", () => {
    expect(isAppUrl(`${ORIGIN}/x`, ORIGIN)).toBe(true);
    expect(isAppUrl("http://127.0.0.1:8043.evil.org/", ORIGIN)).toBe(false);
    expect(isAppUrl("http://user@127.0.0.1:80431/", ORIGIN)).toBe(false);
    expect(isAppUrl("not a url", ORIGIN)).toBe(false);
  });
});

describe("permissions", () => {
  function session() {
    const handlers: {
      request?: Parameters<PermissionSession["setPermissionRequestHandler"]>[0];
      check?: Parameters<PermissionSession["setPermissionCheckHandler"]>[0];
      device?: () => boolean;
    } = {};
    const fake: PermissionSession = {
      setPermissionRequestHandler: (h) => (handlers.request = h),
      setPermissionCheckHandler: (h) => (handlers.check = h),
      setDevicePermissionHandler: (h) => (handlers.device = h),
    };
    denyPermissions(fake, () => ORIGIN);
    const request = (permission: string, url: string) => {
      let granted: boolean | undefined;
      handlers.request!(null, permission, (g) => (granted = g), { requestingUrl: url });
      return granted;
    };
    return { handlers, request };
  }

  it("denies by default, to the app's own pages too", () => {
    const { request, handlers } = session();
    for (const permission of [
      "media",
      "geolocation",
      "notifications",
      "openExternal",
      "midiSysex",
      "hid",
      "serial",
    ]) {
      expect(request(permission, `${ORIGIN}/`)).toBe(false);
      expect(handlers.check!(null, permission, ORIGIN)).toBe(false);
    }
    expect(handlers.device!()).toBe(false);
  });

  it("grants the few allowed permissions only to the app's origin", () => {
    const { request, handlers } = session();
    expect([...ALLOWED_PERMISSIONS].sort()).toEqual(["clipboard-sanitized-write", "fullscreen"]);
    expect(request("fullscreen", `${ORIGIN}/#/study/1`)).toBe(true);
    expect(request("fullscreen", "https://evil.example.org/")).toBe(false);
    expect(handlers.check!(null, "fullscreen", "https://evil.example.org")).toBe(false);
  });
});

describe("Content-Security-Policy", () => {
  it("is the core's own strict policy", () => {
    expect(CONTENT_SECURITY_POLICY).toBe(CORE_CSP);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/'unsafe-inline'|'unsafe-eval'|\s\*/);
  });

  it("replaces whatever policy a response carried, in any letter case", () => {
    const headers = withContentSecurityPolicy({
      "content-security-policy": ["default-src *"],
      "Content-Type": ["text/html"],
    });
    expect(headers).toEqual({
      "Content-Type": ["text/html"],
      "Content-Security-Policy": [CONTENT_SECURITY_POLICY],
    });
    expect(withContentSecurityPolicy(undefined)).toEqual({
      "Content-Security-Policy": [CONTENT_SECURITY_POLICY],
    });
  });
});
