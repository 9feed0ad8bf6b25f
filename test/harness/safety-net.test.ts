import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, inject, it } from "vitest";

const PEERS = fileURLToPath(new URL("../support/peers.ts", import.meta.url));

/** Runs a script that starts storescp, prints its pid and folder, then ends as `ending` says. */
function orphanScript(ending: string): string {
  return [
    `import { startStorescp } from ${JSON.stringify(PEERS)};`,
    "const peer = await startStorescp();",
    "console.log(JSON.stringify({ pid: peer.service.pid, dir: peer.dir }));",
    ending,
  ].join("\n");
}

async function startScript(
  source: string,
): Promise<{ pid: number; dir: string; parent: number; done: Promise<void> }> {
  const file = join(mkdtempSync(join(inject("scratchRoot"), "safety-")), "script.mts");
  writeFileSync(file, source);
  const child = spawn(process.execPath, ["--import", "tsx", file], { stdio: ["ignore", "pipe", "inherit"] });
  const done = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const line = await new Promise<string>((resolve) =>
    child.stdout.once("data", (chunk: Buffer) => resolve(String(chunk))),
  );
  return { ...(JSON.parse(line) as { pid: number; dir: string }), parent: child.pid ?? 0, done };
}

/** Dead or a zombie waiting for init: either way no longer serving. */
async function goneSoon(pid: number): Promise<boolean> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (!existsSync(`/proc/${pid}`)) return true;
    if (readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("Z")) return true;
    await sleep(20);
  }
  return false;
}

describe("the safety net", () => {
  it("kills peers and removes their folders when the process exits without stopping them", async () => {
    const run = await startScript(orphanScript("process.exit(0);"));
    await run.done;
    expect(await goneSoon(run.pid)).toBe(true);
    expect(existsSync(run.dir)).toBe(false);
  });

  it("kills peers and removes their folders when the process is terminated by a signal", async () => {
    const run = await startScript(orphanScript("setInterval(() => {}, 1000);"));
    process.kill(run.parent, "SIGTERM");
    await run.done;
    expect(await goneSoon(run.pid)).toBe(true);
    expect(existsSync(run.dir)).toBe(false);
  });
});
