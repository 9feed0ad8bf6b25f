/**
 * `npm run bench`, volume part (issue 5): Debian's Chromium (SwiftShader WebGL2) driving the served app against
 * a `npm run serve` node holding the 500-slice 512×512 16-bit CT. The study opens in the 2D viewer; as soon
 * as its first image is up, Shift+M opens MPR — so the volume streams in with the series — and this measures:
 * time from Shift+M to the first MPR draw with data (interactive) and to the whole volume; reslice frames
 * per second while the crosshair moves (all three views redrawn per step, read back so the GPU work counts);
 * seconds per full-quality 3D frame with the 3D view sized to exactly 800×800 CSS px at device scale 1 (the
 * page is resized until it is; one warm-up frame, then FRAMES_3D frames); the JS heap (after a forced GC, with
 * ArrayBuffer backing stores) and the volume's GPU texture against the raw volume's size. Prints a markdown
 * section on stdout, progress on stderr, the samples to bench/results/<timestamp>-mpr.json. Exits 0 whatever
 * the verdicts. Method: docs/benchmarks.md, "Volume (issue 5)".
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Page, chromium } from "playwright-core";
import { CHROMIUM } from "../test/support/browser.js";
import { cachedCtSeries } from "../test/support/fixture-cache.js";
import { REPO_ROOT, scratchDir, spawnServe } from "../test/support/hilum.js";
import { storescu } from "../test/support/peers.js";
import { loadFolder } from "./lib/files.js";
import { describeMachine } from "./lib/machine.js";
import { settle } from "./lib/settle.js";
import { MB, median } from "./lib/stats.js";
import { BENCH_CT_SERIES } from "./lib/series.js";

const SERIES = BENCH_CT_SERIES;
const USER = { username: "bench", password: "renderer-bench-password-1" };
const RAW_BYTES = SERIES.slices * SERIES.rows * SERIES.columns * 2;
const TARGETS = { interactiveMs: 3000, resliceFps: 60, memoryRatio: 1.3 };
const RESLICE_STEPS = 120;
/** Full-quality 3D frames measured after the warm-up frame (each takes tens of seconds on SwiftShader). */
const FRAMES_3D = 2;
/** The 3D view's size for the frame time, CSS pixels at device scale 1 (the 800×800). */
const VIEW_3D = { width: 800, height: 800 };

const log = (line: string) => process.stderr.write(`[bench:mpr] ${line}\n`);

async function until<T>(
  probe: () => Promise<T | undefined | false>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const evaluate = <T>(page: Page, script: string) => page.evaluate(script) as Promise<T>;

async function memory(page: Page): Promise<{ heapBytes: number; backingBytes: number; gpuBytes: number }> {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send("HeapProfiler.collectGarbage");
    const heap = (await cdp.send("Runtime.getHeapUsage")) as {
      usedSize: number;
      backingStorageSize?: number;
    };
    const gpu = await evaluate<{ gpuBytes: number }>(page, "globalThis.hilumMpr.memory()");
    return { heapBytes: heap.usedSize, backingBytes: heap.backingStorageSize ?? 0, gpuBytes: gpu.gpuBytes };
  } finally {
    await cdp.detach();
  }
}

type Size = { width: number; height: number };

/**
 * Resizes the page until the 3D view is exactly VIEW_3D (the workspace's bar and the viewer's chrome around
 * it keep their size, though the bar may wrap differently at another width, hence a few rounds).
 */
async function size3dView(page: Page): Promise<Size> {
  let viewport: Size = page.viewportSize() ?? { width: 1280, height: 900 };
  for (let round = 0; ; round++) {
    const rect = await until(
      () => evaluate<Size | false>(page, 'globalThis.hilumMpr.rect("3d") ?? false'),
      10_000,
      "3D view",
    );
    if (rect.width === VIEW_3D.width && rect.height === VIEW_3D.height) return rect;
    if (round === 6)
      throw new Error(`the 3D view is ${rect.width}×${rect.height}, not ${VIEW_3D.width}×${VIEW_3D.height}`);
    viewport = {
      width: viewport.width + Math.round(VIEW_3D.width - rect.width),
      height: viewport.height + Math.round(VIEW_3D.height - rect.height),
    };
    await page.setViewportSize(viewport);
    await page.evaluate("new Promise((resolve) => requestAnimationFrame(() => resolve(undefined)))");
  }
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  log("building the renderer");
  execFileSync("npm", ["run", "--silent", "build:renderer"], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "ignore", "inherit"],
  });
  const series = await cachedCtSeries(SERIES);
  const machine = await describeMachine();
  const load = loadFolder(series.files, "mpr");
  const node = await spawnServe([], scratchDir("bench-mpr"));
  const url = `http://127.0.0.1:${node.httpPort}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless=new",
      "--no-sandbox",
      "--use-angle=swiftshader",
      "--enable-unsafe-swiftshader",
      "--disable-background-networking",
      "--no-first-run",
    ],
  });
  try {
    log("storing the series");
    const stored = await storescu(node.target, load.folder, { timeoutMs: 300_000 });
    if (stored.code !== 0) throw new Error(`storescu: ${stored.stderr}`);
    await settle();
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      deviceScaleFactor: 1,
    });
    const setup = await context.request.post(`${url}/api/setup`, { data: USER });
    if (!setup.ok()) throw new Error(`sign-in: HTTP ${setup.status()}`);
    const page = await context.newPage();
    await page.goto(`${url}/#/study/${series.studyInstanceUid}`);
    await until(
      () => evaluate<boolean>(page, "globalThis.hilumViewer?.marks.firstImage !== undefined"),
      60_000,
      "first image",
    );
    await page.locator('.layout-picker button[data-layout="1×1"]').click();
    await page.keyboard.press("Shift+M");
    const opened = await until(
      () =>
        evaluate<{ interactive: number; opened: number } | false>(
          page,
          "globalThis.hilumMpr?.timings.interactive !== undefined && globalThis.hilumMpr.timings",
        ),
      60_000,
      "MPR interactive",
    );
    const interactiveMs = opened.interactive - opened.opened;
    log(`MPR interactive after ${interactiveMs.toFixed(0)} ms`);
    const filled = await until(
      () =>
        evaluate<{ filled: number; opened: number } | false>(
          page,
          "globalThis.hilumMpr.timings.filled !== undefined && globalThis.hilumMpr.timings",
        ),
      300_000,
      "volume filled",
    );
    const filledMs = filled.filled - filled.opened;
    log(`volume full after ${filledMs.toFixed(0)} ms`);
    const fps: number[] = [];
    for (const view of ["axial", "coronal", "sagittal"]) {
      fps.push(await evaluate<number>(page, `globalThis.hilumMpr.dragFps("${view}", ${RESLICE_STEPS})`));
    }
    log(`reslice ${fps.map((f) => f.toFixed(1)).join(", ")} fps`);
    const mprMemory = await memory(page);
    await page.locator('button[data-mode-button="3d"]').click();
    const rect = await size3dView(page);
    const frame = async () => {
      const t = Date.now();
      await evaluate(page, 'globalThis.hilumMpr.pixels("3d").width');
      return (Date.now() - t) / 1000;
    };
    await frame(); // builds the transfer functions and the ray caster's shaders
    const still: number[] = [];
    for (let i = 0; i < FRAMES_3D; i++) still.push(await frame());
    log(`3D ${rect.width}×${rect.height} CSS px at device scale 1: ${median(still).toFixed(2)} s/frame`);
    const volumeMemory = await memory(page);
    const viewport3d = page.viewportSize();
    await context.close();
    const jsRatio = (volumeMemory.heapBytes + volumeMemory.backingBytes) / RAW_BYTES;
    const gpuRatio = volumeMemory.gpuBytes / RAW_BYTES;
    const report = {
      startedAt,
      finishedAt: new Date().toISOString(),
      machine,
      series: { ...SERIES, rawBytes: RAW_BYTES },
      interactiveMs,
      filledMs,
      resliceFps: fps,
      frame3d: {
        width: rect.width,
        height: rect.height,
        deviceScaleFactor: 1,
        viewport: viewport3d,
        seconds: still,
      },
      memory: { mpr: mprMemory, withVolumeRendering: volumeMemory },
    };
    const dir = join(REPO_ROOT, "bench/results");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${startedAt.replace(/[:.]/g, "-")}-mpr.json`), JSON.stringify(report, null, 2));
    const ok = (pass: boolean) => (pass ? "PASS" : "**MISS**");
    console.log(
      [
        "## Volume (issue 5): MPR and 3D of the 500-slice 512×512 CT (SwiftShader)",
        "",
        "| measure | result | target | |",
        "| --- | --- | --- | --- |",
        `| Shift+M → MPR interactive | ${interactiveMs.toFixed(0)} ms | < ${TARGETS.interactiveMs} ms | ${ok(interactiveMs < TARGETS.interactiveMs)} |`,
        `| Shift+M → whole volume in | ${filledMs.toFixed(0)} ms | | |`,
        `| reslice while the crosshair moves (axial, coronal, sagittal) | ${fps.map((f) => f.toFixed(1)).join(", ")} fps | ≥ ${TARGETS.resliceFps} fps | ${ok(Math.min(...fps) >= TARGETS.resliceFps)} |`,
        `| 3D frame at ${rect.width}×${rect.height} (CSS px, device scale 1; median of ${FRAMES_3D} after a warm-up) | ${median(still).toFixed(2)} s | | |`,
        `| JS heap + array buffers / raw volume (${(RAW_BYTES / MB).toFixed(0)} MB) | ${jsRatio.toFixed(2)}× | ≤ ${TARGETS.memoryRatio}× | ${ok(jsRatio <= TARGETS.memoryRatio)} |`,
        `| GPU volume texture / raw volume | ${gpuRatio.toFixed(2)}× | ≤ ${TARGETS.memoryRatio}× | ${ok(gpuRatio <= TARGETS.memoryRatio)} |`,
        "",
      ].join("\n"),
    );
  } finally {
    await browser.close();
    await node.service.stop(10_000);
    rmSync(load.folder, { recursive: true, force: true });
  }
}

await main();
