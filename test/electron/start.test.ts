import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = join(import.meta.dirname, "../..");

/** `npm start` (scripts/start.mjs) with an environment; its exit code and what it printed. */
async function start(env: Record<string, string | undefined>): Promise<{ code: number; output: string }> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !["DISPLAY", "WAYLAND_DISPLAY", "ELECTRON_OVERRIDE_DIST_PATH"].includes(key),
    ),
  );
  try {
    const { stdout, stderr } = await run(process.execPath, ["scripts/start.mjs"], {
      cwd: root,
      env: { ...base, ...env },
      timeout: 20_000,
    });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

describe("npm start where Electron cannot start", () => {
  it("says the Electron binary is missing and how to run npm run serve, and exits non-zero", async () => {
    // An override folder without the binary: Electron's own package resolves the path into it.
    const empty = mkdtempSync(join(tmpdir(), "hilum-no-electron-"));
    const { code, output } = await start({ ELECTRON_OVERRIDE_DIST_PATH: empty, DISPLAY: ":0" });
    expect(code).not.toBe(0);
    expect(output).toContain("The Hilum desktop app cannot start here: the Electron binary is not installed");
    expect(output).toContain("npm run serve");
    expect(output.trim().split("\n")).toHaveLength(2);
  });

  it.runIf(process.platform === "linux")("says there is no display, with the same hint", async () => {
    const dist = mkdtempSync(join(tmpdir(), "hilum-fake-electron-"));
    const binary = join(dist, "electron");
    writeFileSync(binary, "#!/bin/sh\necho must not run\nexit 3\n");
    chmodSync(binary, 0o755);
    const { code, output } = await start({ ELECTRON_OVERRIDE_DIST_PATH: dist });
    expect(code).not.toBe(0);
    expect(output).toContain(
      "there is no display to open windows on (neither DISPLAY nor WAYLAND_DISPLAY is set)",
    );
    expect(output).toContain("npm run serve");
    expect(output).not.toContain("must not run");
  });
});
