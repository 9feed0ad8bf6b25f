import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync, readdirSync, readlinkSync } from "node:fs";
import { connect } from "node:net";
import { constants } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Kill the command (SIGKILL) after this long; default 5 minutes so a hung peer never hangs a run. */
  timeoutMs?: number;
  input?: string | Uint8Array;
}

export interface RunResult {
  /** Exit status; null when the process died by a signal (see `signal`, `timedOut`). */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Service {
  readonly name: string;
  readonly pid: number;
  readonly running: boolean;
  readonly exited: Promise<ExitInfo>;
  /** Everything the service wrote to stdout and stderr so far. */
  log(): string;
  /** SIGTERM to the whole process group, SIGKILL after `graceMs`; resolves once it is gone. */
  stop(graceMs?: number): Promise<ExitInfo>;
}

export interface ServiceOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** stdout and stderr go here (a file, not a pipe, so a chatty peer never blocks on a full pipe). */
  logFile: string;
}

const DEFAULT_RUN_TIMEOUT_MS = 5 * 60_000;

/** Debian's DCMTK and Orthanc leave Nagle on without this; loopback DICOM is then 20–40× slower. */
export function peerEnv(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...process.env, ...extra, TCP_NODELAY: "1" };
}

// ---------------------------------------------------------------------------------------------------------
// Every child is tracked so that a crashed or interrupted test run never leaves peers listening.

interface Tracked {
  child: ChildProcess;
  /** Services run in their own process group so that forked workers (dcmqrscp) die with them. */
  group: boolean;
}

const tracked = new Set<Tracked>();

function signalTracked(entry: Tracked, signal: NodeJS.Signals): void {
  const pid = entry.child.pid;
  if (pid === undefined) return;
  try {
    process.kill(entry.group ? -pid : pid, signal);
  } catch {
    // Already gone.
  }
}

function killAllNow(): void {
  for (const entry of tracked) signalTracked(entry, "SIGKILL");
  tracked.clear();
}

function installExitHooks(): void {
  process.on("exit", killAllNow);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      killAllNow();
      // Exit as the default action would (status 128 + signal), but through the "exit" handlers, which
      // remove temp folders; unless someone else handles the signal.
      if (process.listenerCount(signal) === 0) process.exit(128 + constants.signals[signal]);
    });
  }
}

installExitHooks();

function track(child: ChildProcess, group: boolean): Tracked {
  const entry = { child, group };
  tracked.add(entry);
  child.once("exit", () => {
    // A group leader's exit may leave forked workers behind; they stay tracked until stop() reaps them.
    if (!group) tracked.delete(entry);
  });
  return entry;
}

// ---------------------------------------------------------------------------------------------------------

/** Runs a command to completion. Never throws on a non-zero exit; rejects only when it cannot start. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: peerEnv(opts.env),
      stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    track(child, false);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout?.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk));
    let timedOut = false;
    const timeoutMs = opts.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${cmd}: ${error.message}`));
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      const err = Buffer.concat(stderr).toString("utf8");
      resolve({
        code,
        signal,
        timedOut,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: timedOut ? `${err}\n[run] ${cmd} killed after ${timeoutMs} ms timeout` : err,
      });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Starts a long-running peer in its own process group, output to `logFile`; stop() or process exit ends it. */
export function spawnService(
  name: string,
  cmd: string,
  args: readonly string[],
  opts: ServiceOptions,
): Service {
  const logFd = openSync(opts.logFile, "a");
  let child: ChildProcess;
  try {
    child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: peerEnv(opts.env),
      stdio: ["ignore", logFd, logFd],
      detached: true,
    });
  } finally {
    closeSync(logFd);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`cannot start ${name} (${cmd})`);
  // A forgotten service must not keep the test worker alive; the exit hook kills it.
  child.unref();
  const entry = track(child, true);
  let exitInfo: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once("exit", (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
  });

  async function stop(graceMs = 5000): Promise<ExitInfo> {
    if (exitInfo === undefined) {
      child.ref(); // a caller awaiting the exit must keep the event loop alive until it comes
      signalTracked(entry, "SIGTERM");
      const timer = setTimeout(() => signalTracked(entry, "SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    }
    signalTracked(entry, "SIGKILL"); // reaps forked workers left in the group
    tracked.delete(entry);
    return exited;
  }

  return {
    name,
    pid,
    get running() {
      return exitInfo === undefined;
    },
    exited,
    log: () => readFileSync(opts.logFile, "utf8"),
    stop,
  };
}

// ---------------------------------------------------------------------------------------------------------

/** Inodes of sockets listening on `port` (IPv4 or IPv6), from /proc/net; undefined where /proc is missing. */
function listeningInodes(port: number): Set<string> | undefined {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      return undefined;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      const localPort = fields[1]?.split(":")[1];
      if (localPort === hexPort && fields[3] === "0A" && fields[9] !== undefined) inodes.add(fields[9]);
    }
  }
  return inodes;
}

function ownsSocket(pid: number, inodes: Set<string>): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  return fds.some((fd) => {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      return match?.[1] !== undefined && inodes.has(match[1]);
    } catch {
      return false;
    }
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** True when `owner` itself listens on `port`; without /proc, when anything accepts a connection there. */
async function isListening(port: number, owner?: Service): Promise<boolean> {
  if (owner === undefined) return canConnect(port);
  const inodes = listeningInodes(port);
  if (inodes === undefined) return canConnect(port);
  return inodes.size > 0 && ownsSocket(owner.pid, inodes);
}

/**
 * Waits until `port` on 127.0.0.1 accepts connections. With `owner`, waits until that very process listens
 * there (checked in /proc, without connecting, so a stranger on the port never passes for our peer) and
 * fails at once, with its log, if it exits first.
 */
export async function waitForPort(port: number, timeoutMs = 15_000, owner?: Service): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (owner !== undefined && !owner.running) {
      throw new Error(`${owner.name} exited before listening on port ${port}:\n${tail(owner.log())}`);
    }
    if (await isListening(port, owner)) return;
    if (Date.now() > deadline) {
      const detail = owner === undefined ? "" : `:\n${tail(owner.log())}`;
      throw new Error(`nothing listened on port ${port} within ${timeoutMs} ms${detail}`);
    }
    await sleep(25);
  }
}

/** The last lines of a log, for error messages. */
export function tail(text: string, lines = 30): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}
