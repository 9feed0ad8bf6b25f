/** What the figures were measured on: hardware, load, and the versions of everything compared. */
import { readFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from "node:os";
import { REPO_ROOT } from "../../test/support/hilum.js";
import { timedRun } from "./command.js";
import { MB } from "./stats.js";

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryMb: number;
  kernel: string;
  /** `df -h` of the temp folder every store lives in. */
  disk: string;
  loadAverageAtStart: number[];
  node: string;
  hilum: string;
  gitCommit: string;
  dcmtk: string;
  orthanc: string;
}

async function firstLine(cmd: string, args: string[], pattern?: RegExp): Promise<string> {
  try {
    const run = await timedRun(cmd, args, { cwd: REPO_ROOT, timeoutMs: 10_000 });
    const lines = `${run.stdout}\n${run.stderr}`.split("\n").map((line) => line.trim());
    return lines.find((line) => line !== "" && (pattern === undefined || pattern.test(line))) ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** The last line of `df --output=source,fstype,size,avail`: "/dev/vda (ext4, 252G, 74G free)". */
function describeDisk(df: string): string {
  const [source, fstype, size, avail] = df.trim().split("\n").at(-1)?.split(/\s+/) ?? [];
  return source === undefined ? "unknown" : `${source} (${fstype}, ${size}, ${avail} free)`;
}

export async function describeMachine(): Promise<Machine> {
  const pkg = JSON.parse(readFileSync(`${REPO_ROOT}/package.json`, "utf8")) as { version: string };
  const df = await timedRun("df", ["-h", "--output=source,fstype,size,avail", tmpdir()]);
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? "unknown",
    memoryMb: Math.round(totalmem() / MB),
    kernel: release(),
    disk: describeDisk(df.stdout),
    loadAverageAtStart: loadavg().map((load) => Math.round(load * 100) / 100),
    node: process.version,
    hilum: pkg.version,
    gitCommit: await firstLine("git", ["rev-parse", "--short", "HEAD"]),
    dcmtk: (await firstLine("storescu", ["--version"], /dcmtk/i)).replace(/^\$dcmtk: (.*) \$$/, "DCMTK $1"),
    orthanc: await firstLine("Orthanc", ["--version"], /^Orthanc/),
  };
}
