import { createHash } from "node:crypto";
import { EventEmitter } from "node:events";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UpdateState } from "../../shared/desktop/updates.js";
import { UpdateController, type UpdaterLike } from "../../electron/main/updates/controller.js";
import {
  FeedError,
  compareVersions,
  feedFileName,
  fetchFeed,
  parseFeed,
} from "../../electron/main/updates/feed.js";
import { initialUpdateState, nextUpdateState } from "../../electron/main/updates/state.js";

const INSTALLER = Buffer.alloc(256 * 1024, 7);
const SHA512 = createHash("sha512").update(INSTALLER).digest("base64");
const feed = (version: string) => `version: ${version}
files:
  - url: Hilum-${version}.AppImage
    sha512: ${SHA512}
    size: ${INSTALLER.length}
path: Hilum-${version}.AppImage
sha512: ${SHA512}
releaseDate: '2026-01-15T10:00:00.000Z'
`;

/** A generic-provider update server, as electron-builder's `publish: generic` lays one out. */
let server: Server;
let base = "";
const requests: string[] = [];
let failFeeds = false;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? "";
    requests.push(path);
    if (failFeeds) return void res.writeHead(500).end("<html>Internal error\nstack…</html>");
    if (path === "/hilum/latest-linux.yml")
      return void res.writeHead(200, { "content-type": "text/yaml" }).end(feed("1.2.0"));
    if (path === "/hilum/beta-linux.yml") return void res.writeHead(200).end(feed("1.3.0-beta.2"));
    if (path === "/hilum/broken-linux.yml")
      return void res.writeHead(200).end("version: [1, 2]\nfiles: nope\n");
    if (path.startsWith("/hilum/Hilum-") && path.endsWith(".AppImage")) {
      res.writeHead(200, { "content-length": INSTALLER.length });
      // In chunks, so that the download reports progress.
      let offset = 0;
      const next = () => {
        if (offset >= INSTALLER.length) return void res.end();
        res.write(INSTALLER.subarray(offset, offset + 32 * 1024), next);
        offset += 32 * 1024;
      };
      return next();
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hilum`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/**
 * Stands in for electron-updater's AppUpdater (which needs Electron's app object): it reads the same feed
 * from the same server with fetchFeed, compares versions, downloads the file the feed names and checks its
 * sha512, emitting electron-updater's events.
 */
class HttpUpdater extends EventEmitter implements UpdaterLike {
  autoDownload = true;
  autoInstallOnAppQuit = false;
  allowPrerelease = false;
  installed = false;
  private feedUrl = "";
  private channel = "latest";
  private found: { version: string; url: string; sha512: string } | undefined;

  constructor(private readonly current: string) {
    super();
  }

  setFeedURL(options: { provider: "generic"; url: string; channel: string }): void {
    this.feedUrl = options.url;
    this.channel = options.channel;
  }

  async checkForUpdates(): Promise<unknown> {
    this.emit("checking-for-update");
    try {
      const latest = await fetchFeed(this.feedUrl, this.channel === "beta" ? "beta" : "stable", "linux");
      if (compareVersions(latest.version, this.current) > 0) {
        this.found = { version: latest.version, url: latest.files[0]!.url, sha512: latest.files[0]!.sha512 };
        this.emit("update-available", { version: latest.version });
      } else {
        this.emit("update-not-available", { version: latest.version });
      }
    } catch (err) {
      this.emit("error", err);
      throw err;
    }
    return this.found;
  }

  async downloadUpdate(): Promise<unknown> {
    const found = this.found!;
    const response = await fetch(new URL(found.url, `${this.feedUrl}/`));
    const total = Number(response.headers.get("content-length"));
    const hash = createHash("sha512");
    let transferred = 0;
    for await (const chunk of response.body! as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      transferred += chunk.length;
      this.emit("download-progress", {
        percent: (transferred / total) * 100,
        transferred,
        total,
        bytesPerSecond: 1,
      });
    }
    if (hash.digest("base64") !== found.sha512) throw new Error("sha512 checksum mismatch");
    this.emit("update-downloaded", { version: found.version });
    return [];
  }

  quitAndInstall(): void {
    this.installed = true;
  }
}

function controller(
  current: string,
  settings: { enabled: boolean; channel: "stable" | "beta"; url?: string },
) {
  const updater = new HttpUpdater(current);
  const seen: UpdateState[] = [];
  const control = new UpdateController(
    updater,
    settings,
    (state) => seen.push(state),
    () => new Date("2026-02-01T08:00:00Z"),
  );
  return { updater, control, seen };
}

describe("the generic provider's feed", () => {
  it("names the feed files as electron-builder does", () => {
    expect(feedFileName("stable", "linux")).toBe("latest-linux.yml");
    expect(feedFileName("stable", "win32")).toBe("latest.yml");
    expect(feedFileName("beta", "darwin")).toBe("beta-mac.yml");
  });

  it("fetches and parses latest.yml from a real HTTP server", async () => {
    const latest = await fetchFeed(base, "stable", "linux");
    expect(latest).toEqual({
      version: "1.2.0",
      files: [{ url: "Hilum-1.2.0.AppImage", sha512: SHA512, size: INSTALLER.length }],
      releaseDate: "2026-01-15T10:00:00.000Z",
    });
    expect((await fetchFeed(`${base}/`, "beta", "linux")).version).toBe("1.3.0-beta.2");
  });

  it("says what is wrong with a feed, naming the URL or the key", async () => {
    await expect(fetchFeed(`${base}/missing`, "stable", "linux")).rejects.toThrow(
      /missing\/latest-linux\.yml answered 404/,
    );
    await expect(fetchFeed("http://127.0.0.1:1/", "stable", "linux")).rejects.toThrow(
      /cannot reach http:\/\/127\.0\.0\.1:1\/latest-linux\.yml/,
    );
    expect(() => parseFeed("version: [1, 2]\nfiles: nope\n", "broken-linux.yml")).toThrow(FeedError);
    expect(() => parseFeed("version: '1.2'\nfiles: []\n", "latest.yml")).toThrow(
      "latest.yml: version: not a semantic version",
    );
    expect(() => parseFeed("version: 1.2.0\nfiles: []\n", "latest.yml")).toThrow(
      "latest.yml: files: lists no files",
    );
    expect(() => parseFeed("version: 1.2.0\n  bad: indent\n:", "latest.yml")).toThrow(
      "latest.yml is not YAML",
    );
  });

  it("orders versions by semantic-version precedence", () => {
    const sorted = [
      "1.0.0",
      "1.0.0-rc.1",
      "1.0.0-beta.11",
      "1.0.0-beta.2",
      "1.0.0-alpha",
      "1.0.0-alpha.1",
      "0.9.9",
      "1.0.1",
      "1.10.0",
      "1.2.0+build.5",
    ];
    expect([...sorted].sort(compareVersions)).toEqual([
      "0.9.9",
      "1.0.0-alpha",
      "1.0.0-alpha.1",
      "1.0.0-beta.2",
      "1.0.0-beta.11",
      "1.0.0-rc.1",
      "1.0.0",
      "1.0.1",
      "1.2.0+build.5",
      "1.10.0",
    ]);
    expect(compareVersions("1.2.0", "1.2.0+other")).toBe(0);
    expect(() => compareVersions("1.2", "1.2.0")).toThrow(FeedError);
  });
});

describe("the update state machine", () => {
  it("finds, downloads with progress and offers to restart (stable channel)", async () => {
    const { updater, control, seen } = controller("1.1.0", { enabled: true, channel: "stable", url: base });
    expect(updater.autoDownload).toBe(false);
    expect(control.state).toEqual({ status: "idle", channel: "stable" });
    expect(await control.check()).toEqual({ status: "available", channel: "stable", version: "1.2.0" });
    const downloaded = await control.download();
    expect(downloaded).toEqual({ status: "downloaded", channel: "stable", version: "1.2.0" });
    const progress = seen.filter((s) => s.status === "downloading");
    expect(progress.length).toBeGreaterThanOrEqual(4);
    expect(progress.map((s) => (s.status === "downloading" ? s.percent : 0))).toEqual(
      [...progress.map((s) => (s.status === "downloading" ? s.percent : 0))].sort((a, b) => a - b),
    );
    expect(progress.at(-1)).toMatchObject({
      percent: 100,
      transferred: INSTALLER.length,
      total: INSTALLER.length,
    });
    expect(seen.map((s) => s.status).filter((s, i, all) => s !== all[i - 1])).toEqual([
      "checking",
      "available",
      "downloading",
      "downloaded",
    ]);
    await control.install();
    expect(updater.installed).toBe(true);
  });

  it("is up to date when the feed is not newer; the beta channel reads beta.yml", async () => {
    const stable = controller("1.2.0", { enabled: true, channel: "stable", url: base });
    expect(await stable.control.check()).toEqual({
      status: "up-to-date",
      channel: "stable",
      checkedAt: "2026-02-01T08:00:00.000Z",
    });
    const beta = controller("1.2.0", { enabled: true, channel: "beta", url: base });
    expect(beta.updater.allowPrerelease).toBe(true);
    expect(await beta.control.check()).toEqual({
      status: "available",
      channel: "beta",
      version: "1.3.0-beta.2",
    });
    expect(requests).toContain("/hilum/beta-linux.yml");
  });

  it("shows update errors as a state, never throws, and recovers on the next check", async () => {
    const { control } = controller("1.1.0", { enabled: true, channel: "stable", url: base });
    failFeeds = true;
    try {
      const state = await control.check();
      expect(state.status).toBe("error");
      expect(state.status === "error" && state.message).toMatch(/latest-linux\.yml answered 500/);
      expect(state.status === "error" && state.message).not.toContain("\n");
    } finally {
      failFeeds = false;
    }
    expect((await control.check()).status).toBe("available");
  });

  it("off switch: a locked-down site never contacts the server", async () => {
    const before = requests.length;
    const off = controller("1.0.0", { enabled: false, channel: "stable", url: base });
    expect(off.control.state).toEqual({
      status: "disabled",
      reason: "updates are turned off in the configuration (updates.enabled)",
    });
    expect(await off.control.check()).toEqual(off.control.state);
    expect(await off.control.download()).toEqual(off.control.state);
    const noUrl = controller("1.0.0", { enabled: true, channel: "stable" });
    expect(noUrl.control.state).toMatchObject({
      status: "disabled",
      reason: expect.stringContaining("updates.url"),
    });
    await noUrl.control.check();
    expect(requests.length).toBe(before);
  });

  it("switching channel or turning updates off applies at once", async () => {
    const { control, seen } = controller("1.2.0", { enabled: true, channel: "stable", url: base });
    expect(control.configure({ enabled: true, channel: "beta", url: base })).toEqual({
      status: "idle",
      channel: "beta",
    });
    expect((await control.check()).status).toBe("available");
    expect(control.configure({ enabled: false, channel: "beta", url: base }).status).toBe("disabled");
    expect(seen.at(-1)?.status).toBe("disabled");
  });

  it("ignores events that make no sense in the current state", () => {
    const idle = initialUpdateState({ enabled: true, channel: "stable", url: base });
    expect(
      nextUpdateState(idle, { type: "progress", percent: 50, transferred: 1, total: 2, bytesPerSecond: 1 }),
    ).toBe(idle);
    expect(nextUpdateState(idle, { type: "downloaded", version: "9.9.9" })).toBe(idle);
    expect(nextUpdateState(idle, { type: "not-available", at: new Date() })).toBe(idle);
    const done = { status: "downloaded", channel: "stable", version: "1.2.0" } as const;
    expect(nextUpdateState(done, { type: "checking" })).toBe(done);
    expect(nextUpdateState(done, { type: "available", version: "1.3.0" })).toBe(done);
    expect(
      nextUpdateState(done, { type: "configure", settings: { enabled: true, channel: "stable", url: base } }),
    ).toBe(done);
    const disabled = initialUpdateState({ enabled: false, channel: "stable" });
    expect(nextUpdateState(disabled, { type: "error", message: "x" })).toBe(disabled);
    expect(
      initialUpdateState({
        enabled: true,
        channel: "stable",
        url: base,
        unavailable: "updates work only in an installed build",
      }),
    ).toEqual({ status: "disabled", reason: "updates work only in an installed build" });
  });

  it("a failed download can be retried from the error", async () => {
    const { control, updater } = controller("1.1.0", { enabled: true, channel: "stable", url: base });
    await control.check();
    const original = updater.downloadUpdate.bind(updater);
    updater.downloadUpdate = async () => {
      throw new Error("net::ERR_CONNECTION_RESET\n    at long stack");
    };
    expect(await control.download()).toEqual({
      status: "error",
      channel: "stable",
      message: "net::ERR_CONNECTION_RESET",
      version: "1.2.0",
    });
    updater.downloadUpdate = original;
    expect((await control.download()).status).toBe("downloaded");
  });
});
