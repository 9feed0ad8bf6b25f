import { mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, inject, it } from "vitest";
import { freePort } from "../support/ports.js";
import { run, spawnService, waitForPort } from "../support/process.js";

const scratch = () => mkdtempSync(join(inject("scratchRoot"), "process-"));

/** A tiny TCP server in a child Node process, listening on the port given as its argument. */
const LISTENER = "require('net').createServer(s => s.end()).listen(Number(process.argv[1]), '127.0.0.1')";

describe("run", () => {
  it("reports a non-zero exit instead of throwing", async () => {
    const result = await run("sh", ["-c", "echo out; echo err >&2; exit 3"]);
    expect(result).toMatchObject({ code: 3, stdout: "out\n", stderr: "err\n", timedOut: false });
  });

  it("gives every command TCP_NODELAY=1, even over a caller's env", async () => {
    const result = await run("sh", ["-c", "echo $TCP_NODELAY $EXTRA"], {
      env: { TCP_NODELAY: "0", EXTRA: "x" },
    });
    expect(result.stdout).toBe("1 x\n");
  });

  it("feeds input to stdin", async () => {
    expect((await run("cat", [], { input: "hello" })).stdout).toBe("hello");
  });

  it("kills a command that runs past its timeout and says so", async () => {
    const started = Date.now();
    const result = await run("sleep", ["30"], { timeoutMs: 200 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result).toMatchObject({ code: null, signal: "SIGKILL", timedOut: true });
    expect(result.stderr).toContain("timeout");
  });

  it("rejects when the command does not exist", async () => {
    await expect(run("hilum-no-such-command", [])).rejects.toThrow(/cannot run/);
  });
});

describe("freePort", () => {
  it("never hands out the same port twice", async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    expect(new Set(ports).size).toBe(20);
  });
});

describe("spawnService and waitForPort", () => {
  it("waits until the service itself listens, and stop() ends it", async () => {
    const port = await freePort();
    const logFile = join(scratch(), "listener.log");
    const service = spawnService("listener", process.execPath, ["-e", LISTENER, String(port)], { logFile });
    await waitForPort(port, 10_000, service);
    expect(service.running).toBe(true);
    await service.stop();
    expect(service.running).toBe(false);
    expect(await goneSoon(service.pid)).toBe(true);
  });

  it("fails at once, with the log, when the service exits before listening", async () => {
    const port = await freePort();
    const logFile = join(scratch(), "failing.log");
    const service = spawnService("failing", "sh", ["-c", "echo cannot bind; exit 1"], { logFile });
    const started = Date.now();
    await expect(waitForPort(port, 10_000, service)).rejects.toThrow(/failing exited.*\n.*cannot bind/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("does not take another process's listener for the service's", async () => {
    const port = await freePort();
    const dir = scratch();
    const other = spawnService("other", process.execPath, ["-e", LISTENER, String(port)], {
      logFile: join(dir, "other.log"),
    });
    await waitForPort(port, 10_000, other);
    const idle = spawnService("idle", "sleep", ["30"], { logFile: join(dir, "idle.log") });
    await expect(waitForPort(port, 300, idle)).rejects.toThrow(/nothing listened/);
    await Promise.all([other.stop(), idle.stop()]);
  });

  it("kills the whole process group, forked children included", async () => {
    const dir = scratch();
    const service = spawnService("forker", "sh", ["-c", "sleep 30 & echo $! > child.pid; wait"], {
      logFile: join(dir, "forker.log"),
      cwd: dir,
    });
    const childPid = await readPid(join(dir, "child.pid"));
    await service.stop();
    expect(await goneSoon(childPid)).toBe(true);
  });
});

/** True once `pid` is dead or a zombie (signalled processes need a moment, and reaping is init's job). */
async function goneSoon(pid: number): Promise<boolean> {
  for (let attempt = 0; attempt < 100; attempt++) {
    let state: string | undefined;
    try {
      state = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0];
    } catch {
      return true;
    }
    if (state === "Z") return true;
    await sleep(20);
  }
  return false;
}

/** The pid a shell wrote to `file`, once it is there. */
async function readPid(file: string): Promise<number> {
  for (let attempt = 0; attempt < 250; attempt++) {
    const text = readFileSync(file, { encoding: "utf8", flag: "a+" }).trim();
    if (text !== "") return Number(text);
    await sleep(20);
  }
  throw new Error(`no pid in ${file}`);
}
