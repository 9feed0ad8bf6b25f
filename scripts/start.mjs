// `npm start`: builds the desktop app (electron-vite build) and launches it in Electron. Where Electron
// cannot start — no Electron binary installed, or no display to open windows on — it says so in one
// message, with the way to run the same Hilum without Electron (`npm run serve`), and exits non-zero.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const root = dirname(dirname(fileURLToPath(import.meta.url)));
const SERVE_HINT =
  "Run Hilum without Electron instead: npm run serve   (the PACS node with the web viewer at http://127.0.0.1:8042)";

/** The Electron executable, or undefined when it is not installed (the npm package without its download). */
function electronBinary() {
  try {
    const path = require("electron");
    return typeof path === "string" && existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

function whyElectronCannotStart() {
  if (!electronBinary()) {
    return "the Electron binary is not installed (npm install downloads it unless ELECTRON_SKIP_BINARY_DOWNLOAD is set, and a machine without internet cannot fetch it)";
  }
  if (process.platform === "linux" && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return "there is no display to open windows on (neither DISPLAY nor WAYLAND_DISPLAY is set)";
  }
  return undefined;
}

const reason = whyElectronCannotStart();
if (reason) {
  console.error(`The Hilum desktop app cannot start here: ${reason}.\n${SERVE_HINT}`);
  process.exit(1);
}

process.chdir(root);
const { build } = await import("electron-vite");
await build({ configFile: join(root, "electron.vite.config.ts"), logLevel: "warn" });

const electron = spawn(electronBinary(), [join(root, "out/main/index.js"), ...process.argv.slice(2)], {
  stdio: "inherit",
});
electron.on("error", (err) => {
  console.error(
    `The Hilum desktop app cannot start here: Electron did not run (${err.message}).\n${SERVE_HINT}`,
  );
  process.exit(1);
});
electron.on("exit", (code, signal) => {
  if (code !== 0 && signal === null) console.error(`Electron exited with code ${code}. ${SERVE_HINT}`);
  process.exit(code ?? 1);
});
