import { fork } from "node:child_process";
import { EventEmitter } from "node:events";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import type { JobProgress } from "../../shared/desktop/ipc.js";
import { type CoreProcess, CoreHost, CoreStartError } from "../../electron/main/core/host.js";
import { throttled } from "../../electron/main/core/jobs.js";
import { loopbackUrl } from "../../electron/main/core/loopback.js";
import type { ToCore } from "../../electron/main/core/messages.js";
import {
  defaultConfigText,
  ensureConfigFile,
  readDesktopState,
  writeDesktopState,
} from "../../electron/main/desktop-files.js";

const SECRET = "a-per-launch-secret-of-at-least-32-characters";

/** The core in a Node child process, behind the same interface as Electron's UtilityProcess. */
function forkCore(): CoreProcess {
  const child = fork(join(import.meta.dirname, "support/utility-process.mjs"), [], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return {
    postMessage: (message: ToCore) => void child.send(message),
    on: ((event: string, listener: (...args: unknown[]) => void) =>
      child.on(event, listener)) as CoreProcess["on"],
    kill: () => child.kill("SIGKILL"),
  };
}

function configFile(name: string, edit: (text: string) => string = (text) => text): string {
  const dir = join(inject("scratchRoot"), `electron-core-${name}`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "hilum.yaml");
  const text = defaultConfigText(join(dir, "data"))
    .replace("port: 8043", "port: 0")
    .concat("dicom:\n  port: 0\n  bind: 127.0.0.1\nlog:\n  level: silent\n  file: false\n");
  writeFileSync(file, edit(text));
  return file;
}

describe("the core in its own process", () => {
  it("starts, serves the app API on loopback to the per-launch secret only, and stops cleanly", async () => {
    let crashed = false;
    const host = new CoreHost(forkCore, {
      configFile: configFile("start"),
      launchSecret: SECRET,
      onJob: () => {},
      onCrash: () => (crashed = true),
      onProtocolError: (problem) => {
        throw new Error(problem);
      },
    });
    const ready = await host.start();
    expect(ready.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const me = await fetch(`${ready.url}/api/me`, { headers: { authorization: `Bearer ${SECRET}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ name: "desktop", role: "admin" });
    expect((await fetch(`${ready.url}/api/me`)).status).toBe(401);
    const config = (await (
      await fetch(`${ready.url}/api/config`, { headers: { authorization: `Bearer ${SECRET}` } })
    ).json()) as {
      config: { http: { launchSecret: string }; updates: unknown };
    };
    expect(config.config.http.launchSecret).toBe("[redacted]");
    expect(config.config.updates).toEqual({ enabled: true, channel: "stable" });
    expect(host.running).toBe(true);
    await host.stop();
    expect(host.running).toBe(false);
    expect(crashed).toBe(false);
    await expect(fetch(`${ready.url}/api/status`)).rejects.toThrow();
  }, 60_000);

  it("reports an import job's progress and the studies it touched", async () => {
    const jobs: JobProgress[] = [];
    const host = new CoreHost(forkCore, {
      configFile: configFile("import"),
      launchSecret: SECRET,
      onJob: (progress) => jobs.push(progress),
      onCrash: () => {},
      onProtocolError: () => {},
    });
    await host.start();
    const notDicom = join(inject("scratchRoot"), "electron-core-import", "notes.txt");
    writeFileSync(notDicom, "not DICOM");
    expect(host.post({ type: "import", jobId: "j1", paths: [notDicom] })).toBe(true);
    await expect.poll(() => jobs.at(-1)?.phase, { timeout: 20_000 }).toBe("done");
    expect(jobs.at(-1)).toMatchObject({
      jobId: "j1",
      kind: "import",
      total: 1,
      done: 1,
      succeeded: 0,
      failed: 1,
      studyInstanceUids: [],
    });
    expect(jobs.at(-1)?.message).toContain("not DICOM or unreadable");
    await host.stop();
    expect(host.post({ type: "import", jobId: "j2", paths: [notDicom] })).toBe(false);
  }, 60_000);

  it("says why the core could not start, naming the bad key", async () => {
    const host = new CoreHost(forkCore, {
      configFile: configFile("bad", (text) => text.replace("channel: stable", "channel: nightly")),
      launchSecret: SECRET,
      onJob: () => {},
      onCrash: () => {},
      onProtocolError: () => {},
    });
    const started = host.start();
    await expect(started).rejects.toThrow(CoreStartError);
    await expect(started).rejects.toThrow("updates.channel");
  }, 60_000);
});

class FakeChild extends EventEmitter implements CoreProcess {
  readonly sent: ToCore[] = [];
  killed = false;
  postMessage(message: ToCore): void {
    this.sent.push(message);
  }
  kill(): boolean {
    this.killed = true;
    this.emit("exit", 9);
    return true;
  }
}

describe("the core host", () => {
  const options = {
    configFile: "/x/hilum.yaml",
    launchSecret: SECRET,
    onJob: () => {},
    onProtocolError: () => {},
  };

  it("passes the secret in the start message, never on a command line", async () => {
    const child = new FakeChild();
    const host = new CoreHost(() => child, { ...options, onCrash: () => {} });
    const ready = host.start();
    expect(child.sent).toEqual([{ type: "start", configFile: "/x/hilum.yaml", launchSecret: SECRET }]);
    child.emit("message", { type: "ready", url: "http://127.0.0.1:8043" });
    await expect(ready).resolves.toEqual({ url: "http://127.0.0.1:8043" });
  });

  it("reports a crash, but not an exit it asked for", async () => {
    const crashes: number[] = [];
    const child = new FakeChild();
    const host = new CoreHost(() => child, { ...options, onCrash: (code) => crashes.push(code) });
    const ready = host.start();
    child.emit("message", { type: "ready", url: "http://127.0.0.1:1" });
    await ready;
    child.emit("exit", 134);
    expect(crashes).toEqual([134]);
    const again = new FakeChild();
    const host2 = new CoreHost(() => again, { ...options, onCrash: (code) => crashes.push(code) });
    const ready2 = host2.start();
    again.emit("message", { type: "ready", url: "http://127.0.0.1:1" });
    await ready2;
    const stopped = host2.stop();
    expect(again.sent.at(-1)).toEqual({ type: "stop" });
    again.emit("exit", 0);
    await stopped;
    expect(crashes).toEqual([134]);
  });

  it("kills a core that does not stop in time", async () => {
    const child = new FakeChild();
    const host = new CoreHost(() => child, { ...options, onCrash: () => {}, stopTimeoutMs: 20 });
    const ready = host.start();
    child.emit("message", { type: "ready", url: "http://127.0.0.1:1" });
    await ready;
    await host.stop();
    expect(child.killed).toBe(true);
  });

  it("ignores and reports malformed messages from the core", async () => {
    const problems: string[] = [];
    const child = new FakeChild();
    const host = new CoreHost(() => child, {
      ...options,
      onCrash: () => {},
      onProtocolError: (p) => problems.push(p),
    });
    const ready = host.start();
    child.emit("message", { type: "ready" });
    child.emit("message", { type: "ready", url: "http://127.0.0.1:2" });
    await expect(ready).resolves.toEqual({ url: "http://127.0.0.1:2" });
    expect(problems).toHaveLength(1);
  });
});

describe("small pieces of the desktop core", () => {
  it("reaches a wildcard-bound core over loopback", () => {
    expect(loopbackUrl("http://0.0.0.0:8043")).toBe("http://127.0.0.1:8043");
    expect(loopbackUrl("http://[::]:8043")).toBe("http://[::1]:8043");
    expect(loopbackUrl("https://127.0.0.1:8443")).toBe("https://127.0.0.1:8443");
  });

  it("throttles running progress but always passes the final report", () => {
    let now = 0;
    const seen: string[] = [];
    const report = throttled(
      (p) => seen.push(`${p.phase}:${p.done}`),
      100,
      () => now,
    );
    const base = { jobId: "j", kind: "import" as const, total: 5, succeeded: 0, failed: 0 };
    for (let done = 1; done <= 4; done++) {
      now += 40;
      report({ ...base, phase: "running", done });
    }
    report({ ...base, phase: "done", done: 5 });
    expect(seen).toEqual(["running:1", "running:4", "done:5"]);
  });

  it("creates the desktop configuration once, and keeps the first-run state", () => {
    const dir = join(inject("scratchRoot"), "electron-files");
    const file = join(dir, "hilum.yaml");
    expect(ensureConfigFile(file, "C:\\Users\\rad\\Documents\\Hilum")).toBe(true);
    expect(ensureConfigFile(file, "/elsewhere")).toBe(false);
    const state = join(dir, "desktop.json");
    expect(readDesktopState(state)).toEqual({ firstRunComplete: false });
    writeDesktopState(state, { firstRunComplete: true });
    expect(readDesktopState(state)).toEqual({ firstRunComplete: true });
  });
});
