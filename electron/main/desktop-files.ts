/**
 * The desktop's own files under the user-data folder: the core's configuration file (created with the
 * desktop's defaults on first start; the settings screen edits it through `PUT /api/config`) and the
 * small desktop state (whether the first-run wizard was completed).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";

export interface DesktopPaths {
  configFile: string;
  stateFile: string;
  windowStateFile: string;
}

export function desktopPaths(userData: string): DesktopPaths {
  return {
    configFile: join(userData, "hilum.yaml"),
    stateFile: join(userData, "desktop.json"),
    windowStateFile: join(userData, "window-state.json"),
  };
}

/**
 * The configuration a new installation starts with. The HTTP server stays on loopback (the desktop's
 * windows are its only clients until an admin opens it up) on a port of its own, so that a headless node
 * (`npm run serve`, 8042) can run beside it.
 */
export function defaultConfigText(dataDir: string): string {
  return [
    "# Hilum desktop configuration (docs/desktop.md). The Settings screen edits this file;",
    "# every key of the README's configuration section may be used here.",
    `dataDir: ${JSON.stringify(dataDir)}`,
    "aeTitle: HILUM",
    "http:",
    "  port: 8043",
    "  bind: 127.0.0.1",
    "updates:",
    "  enabled: true",
    "  channel: stable",
    "",
  ].join("\n");
}

/** Creates the configuration file when there is none; true when it did (a first start). */
export function ensureConfigFile(file: string, dataDir: string): boolean {
  if (existsSync(file)) return false;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, defaultConfigText(dataDir), { flag: "wx", mode: 0o600 });
  return true;
}

const stateSchema = z.object({ firstRunComplete: z.boolean() });
export type DesktopState = z.infer<typeof stateSchema>;

export function readDesktopState(file: string): DesktopState {
  try {
    const parsed = stateSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
    if (parsed.success) return parsed.data;
  } catch {
    // no state yet
  }
  return { firstRunComplete: false };
}

export function writeDesktopState(file: string, state: DesktopState): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`);
}
