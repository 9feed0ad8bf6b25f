/**
 * Peak resident memory of a process, from the kernel's high-water mark (VmHWM in /proc/<pid>/status),
 * polled while it runs: the last poll before a short-lived process exits is what is kept.
 */
import { readdirSync, readFileSync } from "node:fs";

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

/** `pid` and its descendants alive now (from /proc/<pid>/task/<tid>/children). */
function processTree(pid: number): number[] {
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    const tasks = `/proc/${tree[i]!}/task`;
    let tids: string[];
    try {
      tids = readdirSync(tasks);
    } catch {
      continue; // gone meanwhile
    }
    for (const tid of tids) {
      try {
        const children = readFileSync(`${tasks}/${tid}/children`, "utf8").trim();
        if (children !== "") tree.push(...children.split(/\s+/).map(Number));
      } catch {
        // The thread ended meanwhile.
      }
    }
  }
  return tree;
}

/**
 * The VmHWM of `pid` plus those of its descendants alive now, in bytes: a server that forks a process per
 * association (storescp --fork) counted whole. For a single process, its VmHWM.
 */
export function readTreePeakRss(pid: number): number | undefined {
  const peaks = processTree(pid)
    .map(readPeakRss)
    .filter((value) => value !== undefined);
  return peaks.length === 0 ? undefined : peaks.reduce((sum, value) => sum + value, 0);
}

export interface RssSampler {
  /** Polls once more and stops; the largest VmHWM seen, in bytes (NaN if the process was never seen). */
  stop(): number;
}

/** Polls the VmHWM of `pid` (or what `read` says) every `intervalMs` until stop(). */
export function peakRss(pid: number, intervalMs = 50, read = readPeakRss): RssSampler {
  let peak = Number.NaN;
  const sample = (): void => {
    const value = read(pid);
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

/** Runs `body` while polling the VmHWM of `pid` (or `read`); the poller stops however `body` ends. */
export async function whileSamplingRss<T>(
  pid: number,
  body: () => Promise<T>,
  read = readPeakRss,
): Promise<[T, number]> {
  const sampler = peakRss(pid, 50, read);
  let peakBytes = Number.NaN;
  try {
    const value = await body();
    peakBytes = sampler.stop();
    return [value, peakBytes];
  } finally {
    if (Number.isNaN(peakBytes)) sampler.stop();
  }
}
