/**
 * Runs one command the way a benchmark needs it: wall time from spawn to exit, the command's own peak RSS
 * polled while it runs, and its output. Peers get TCP_NODELAY=1 (peerEnv), as everywhere in the tests.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { peerEnv } from "../../test/support/process.js";
import { peakRss } from "./rss.js";

export interface TimedRun {
  command: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** performance.now() at spawn, to line up commands run at once. */
  startedMs: number;
  /** Spawn to exit, in milliseconds. */
  wallMs: number;
  /** The process's VmHWM, in bytes (NaN when not measured). */
  peakRssBytes: number;
  stdout: string;
  stderr: string;
}

export interface TimedOptions {
  cwd?: string;
  timeoutMs?: number;
  /** Poll the command's VmHWM while it runs (default false: short commands are timed bare). */
  measureRss?: boolean;
}

const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export function timedRun(cmd: string, args: readonly string[], opts: TimedOptions = {}): Promise<TimedRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { cwd: opts.cwd, env: peerEnv(), stdio: ["ignore", "pipe", "pipe"] });
    running.add(child);
    const sampler = opts.measureRss === true && child.pid !== undefined ? peakRss(child.pid) : undefined;
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    let wallMs = Number.NaN;
    let timedOut = false;
    const timer = setTimeout(
      () => {
        timedOut = true;
        child.kill("SIGKILL");
      },
      opts.timeoutMs ?? 10 * 60_000,
    );
    child.once("exit", () => {
      wallMs = performance.now() - started;
    });
    child.once("error", (error) => {
      clearTimeout(timer);
      sampler?.stop();
      running.delete(child);
      reject(new Error(`cannot run ${cmd}: ${error.message}`));
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({
        command: [cmd, ...args].join(" "),
        code,
        signal,
        timedOut,
        startedMs: started,
        wallMs,
        peakRssBytes: sampler?.stop() ?? Number.NaN,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
      });
    });
  });
}

/** Throws with the command's output unless it exited 0. */
export function expectSuccess(result: TimedRun, what: string): TimedRun {
  if (result.code === 0) return result;
  const why = result.timedOut ? "timed out" : `exited ${result.code ?? result.signal}`;
  const output = `${result.stdout}\n${result.stderr}`.trim().split("\n").slice(-15).join("\n");
  throw new Error(`${what} ${why}:\n${output}`);
}
