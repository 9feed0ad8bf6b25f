/**
 * Peak resident memory of a process, from the kernel's high-water mark (VmHWM in /proc/<pid>/status),
 * polled while it runs: the last poll before a short-lived process exits is what is kept.
 */
import { readFileSync } from "node:fs";

/** A memory figure of `pid` in bytes, or undefined when the process is gone (or /proc is missing). */
function readStatus(pid: number, field: "VmHWM" | "VmRSS"): number | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, "m").exec(status);
  return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
}

/** Peak resident memory so far (VmHWM), in bytes. */
export const readPeakRss = (pid: number): number | undefined => readStatus(pid, "VmHWM");

/** Resident memory now (VmRSS), in bytes. */
export const readRss = (pid: number): number | undefined => readStatus(pid, "VmRSS");

export interface RssSampler {
  /** Polls once more and stops; the largest VmHWM seen, in bytes (NaN if the process was never seen). */
  stop(): number;
}

/** Polls the VmHWM of `pid` every `intervalMs` until stop(). */
export function peakRss(pid: number, intervalMs = 50): RssSampler {
  let peak = Number.NaN;
  const sample = (): void => {
    const value = readPeakRss(pid);
    if (value !== undefined && (Number.isNaN(peak) || value > peak)) peak = value;
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

/** Runs `body` while polling the VmHWM of `pid`; the poller stops however `body` ends. */
export async function whileSamplingRss<T>(pid: number, body: () => Promise<T>): Promise<[T, number]> {
  const sampler = peakRss(pid);
  let peakBytes = Number.NaN;
  try {
    const value = await body();
    peakBytes = sampler.stop();
    return [value, peakBytes];
  } finally {
    if (Number.isNaN(peakBytes)) sampler.stop();
  }
}
