/**
 * `npm run bench`, renderer part (issue 4): Debian's Chromium (playwright-core, SwiftShader WebGL) driving the
 * served app against a `npm run serve` node holding the 500-slice 512×512 16-bit CT — time to the first image
 * and to the whole series loaded after navigating to `#/study/{uid}`, scroll frames per second through it,
 * the JS heap at the end and a GPU memory estimate, against the series' decoded size. Prints a markdown
 * section on stdout, progress on stderr, every sample to bench/results/<timestamp>-renderer.json; exits 0
 * whatever the verdicts. See docs/benchmarks.md ("Renderer") for the method.
 *
 * The page is read through what the viewer exposes for this (renderer/src/components/viewer/diagnostics.ts):
 * the `hilum:viewer:*` performance marks and `globalThis.hilumViewer`. Scripts run in the page as strings:
 * the CSP forbids eval, but playwright evaluates strings through the debugger, and tsx would otherwise wrap
 * functions in helpers the page does not have.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Browser, type BrowserContext, type Page, chromium } from "playwright-core";
import { CHROMIUM } from "../test/support/browser.js";
import { cachedCtSeries } from "../test/support/fixture-cache.js";
import { REPO_ROOT, scratchDir, spawnServe } from "../test/support/hilum.js";
import { storescu } from "../test/support/peers.js";
import { loadFolder } from "./lib/files.js";
import { describeMachine, type Machine } from "./lib/machine.js";
import { settle } from "./lib/settle.js";
import { MB, median, percentile } from "./lib/stats.js";
import { BENCH_CT_SERIES, RESULTS_DIR } from "./lib/series.js";

const RUNS = 3;
const SCROLL_STEPS = 200;
const SERIES = BENCH_CT_SERIES;
const USER = { username: "bench", password: "renderer-bench-password-1" };
const VIEWPORT = { width: 1280, height: 800 };
const TARGETS = { firstImageMs: 300, seriesLoadedMs: 3000, scrollFps: 60, heapRatio: 1.5 };

const log = (line: string) => process.stderr.write(`[bench:renderer] ${line}\n`);

/** One load of the study in a fresh browser context (empty HTTP and frame caches). */
interface LoadSample {
  /** "in-app": the app was open on the study list and the hash changed; "cold": a new page at `#/study/{uid}`. */
  kind: "in-app" | "cold";
  /** From the navigation (hash change, or the page's navigation start) to the first image drawn. */
  firstImageMs: number;
  /** From the navigation to every frame of the series loaded and decoded. */
  seriesLoadedMs: number;
  /** From the navigation to the viewer page mounted, and to its openSeries() call (after the QIDO series list). */
  mountedMs: number;
  openSeriesMs: number;
  /** The image core's own clock, from openSeries(): metadata, first frame decoded, all frames decoded. */
  stack: {
    metadataMs?: number;
    firstFrameMs?: number;
    allLoadedMs?: number;
    fetchMs: number;
    decodeMs: number;
  };
  failed: number;
}

interface ScrollSample {
  /** Animation frames per second of an idle page (what the display paces rAF at). */
  displayFps: number;
  /** A new slice shown at every animation frame: frames per second, over SCROLL_STEPS steps. */
  fps: number;
  /** Redraws of the viewport during the scroll, per second (one per distinct slice when it keeps up). */
  drawnFps: number;
  /** Main-thread time of a step (show() a cached slice, redraw at once), apart from the display's pacing (ms). */
  frameCostMs: { p50: number; p95: number };
  /** The same with the draw finished and read back (`Viewport.readPixels()`): the GPU's share included (ms). */
  drawMs: { p50: number; p95: number };
}

interface MemorySample {
  /** V8 heap in use after a forced GC, and the ArrayBuffer backing stores (decoded pixels live there). */
  heapUsedBytes: number;
  backingStoreBytes: number;
  /** The two together: what "JS heap" is judged on. */
  jsBytes: number;
  /** Textures the viewports hold on the GPU (image and lookup tables) and their drawing buffers. */
  gpuTextureBytes: number;
  gpuCanvasBytes: number;
}

interface RunSample {
  run: number;
  load: LoadSample;
  scroll: ScrollSample;
  memory: MemorySample;
}

interface RendererReport {
  startedAt: string;
  finishedAt: string;
  machine: Machine;
  chromium: string;
  /** WebGL's UNMASKED_RENDERER of the judged runs. */
  webgl: string;
  series: typeof SERIES & { decodedBytes: number; datasetBytes: number };
  runs: RunSample[];
  cold: LoadSample[];
  /** One in-app load and scroll with WebGL on Mesa's llvmpipe instead of SwiftShader (reported, not judged). */
  llvmpipe?: { renderer: string; load: LoadSample; scroll: ScrollSample };
  failures: Array<{ what: string; error: string }>;
}

/** WebGL backends: SwiftShader (what the tests use, everywhere) and Mesa's llvmpipe through ANGLE on EGL. */
const BACKENDS = {
  swiftshader: ["--use-angle=swiftshader", "--enable-unsafe-swiftshader"],
  llvmpipe: ["--use-angle=gl-egl", "--ignore-gpu-blocklist"],
} as const;

function launch(backend: keyof typeof BACKENDS): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless=new",
      "--no-sandbox",
      ...BACKENDS[backend],
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
}

const WEBGL_RENDERER = `(() => {
  const gl = document.createElement("canvas").getContext("webgl2");
  const info = gl && gl.getExtension("WEBGL_debug_renderer_info");
  return info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : "unknown";
})()`;

async function webglRenderer(page: Page): Promise<string> {
  return (await page.evaluate(WEBGL_RENDERER)) as string;
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function signedInContext(browser: Browser, url: string, first: boolean): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 });
  const response = await context.request.post(`${url}/api/${first ? "setup" : "login"}`, { data: USER });
  if (!response.ok()) throw new Error(`sign-in: HTTP ${response.status()} ${await response.text()}`);
  return context;
}

const LOAD_STATE = `(() => {
  const h = globalThis.hilumViewer;
  if (!h || h.marks.seriesLoaded === undefined) return undefined;
  const stack = h.stacks()[0];
  return { marks: { ...h.marks }, timing: { ...stack.timing }, progress: { ...stack.progress.current } };
})()`;

interface LoadState {
  marks: { open: number; firstImage?: number; seriesLoaded?: number };
  timing: LoadSample["stack"] & { started: number };
  progress: { failed: number };
}

function loadSample(kind: LoadSample["kind"], start: number, state: LoadState): LoadSample {
  const { metadataMs, firstFrameMs, allLoadedMs, fetchMs, decodeMs } = state.timing;
  return {
    kind,
    firstImageMs: (state.marks.firstImage ?? Number.NaN) - start,
    seriesLoadedMs: (state.marks.seriesLoaded ?? Number.NaN) - start,
    mountedMs: state.marks.open - start,
    openSeriesMs: state.timing.started - start,
    stack: { metadataMs, firstFrameMs, allLoadedMs, fetchMs, decodeMs },
    failed: state.progress.failed,
  };
}

/** The app open on the study list, then the hash changed to the study: the in-app navigation. */
async function loadInApp(page: Page, url: string, studyUid: string): Promise<LoadSample> {
  await page.goto(`${url}/#/studies`);
  await until(
    async () =>
      (await page.evaluate(`document.querySelector("[data-testid=current-user]") !== null`))
        ? true
        : undefined,
    30_000,
    "the study list",
  );
  await page.waitForLoadState("networkidle");
  const start = (await page.evaluate(
    `(() => { const t = performance.mark("bench:navigate").startTime; location.hash = "#/study/${studyUid}"; return t; })()`,
  )) as number;
  const state = await until(
    async () => (await page.evaluate(LOAD_STATE)) as LoadState | undefined,
    120_000,
    "series loaded",
  );
  return loadSample("in-app", start, state);
}

/** A new page straight at `#/study/{uid}` (as an EMR launch link opens it): times from navigation start. */
async function loadCold(page: Page, url: string, studyUid: string): Promise<LoadSample> {
  await page.goto(`${url}/#/study/${studyUid}`);
  const state = await until(
    async () => (await page.evaluate(LOAD_STATE)) as LoadState | undefined,
    120_000,
    "series loaded",
  );
  return loadSample("cold", 0, state);
}

const SCROLL = `(async () => {
  const vp = globalThis.hilumViewer.viewport(0);
  const frames = (count) => new Promise((resolve) => {
    const stamps = [];
    const tick = (t) => { stamps.push(t); if (stamps.length > count) resolve(stamps); else requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  });
  const idle = await frames(60);
  const displayFps = (1000 * (idle.length - 1)) / (idle[idle.length - 1] - idle[0]);
  let renders = 0;
  const off = vp.onRender(() => { renders++; });
  const steps = ${SCROLL_STEPS};
  const first = 0;
  await vp.show(first);
  await frames(2);
  renders = 0;
  // Each slice is asked for in a task right after a frame, as a wheel event would: the viewport redraws
  // on the next animation frame. (Asked for inside a rAF callback, its redraw would slip a frame.)
  const stamps = await new Promise((resolve) => {
    const stamps = [];
    let i = 0;
    const step = (t) => {
      stamps.push(t);
      if (i === steps) { resolve(stamps); return; }
      i++;
      const index = (first + i) % vp.length;
      setTimeout(() => void vp.show(index), 0);
      requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  });
  await frames(1);
  off();
  const elapsed = stamps[stamps.length - 1] - stamps[0];
  // The main thread's share of a step, apart from the display's pacing: show() a cached slice (the texture
  // upload) and redraw at once (the GL calls queued; the GPU process draws afterwards).
  const costs = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    await vp.show((first + 2 * i) % vp.length);
    vp.renderNow();
    costs.push(performance.now() - t0);
  }
  // And with the GPU's share: the same, then the drawn pixels read back (waits for the draw to finish).
  const draws = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    await vp.show((first + 2 * i + 1) % vp.length);
    vp.readPixels();
    draws.push(performance.now() - t0);
  }
  return { displayFps, fps: (1000 * steps) / elapsed, drawnFps: (1000 * renders) / elapsed, costs, draws };
})()`;

async function measureScroll(page: Page): Promise<ScrollSample> {
  const raw = (await page.evaluate(SCROLL)) as Omit<ScrollSample, "frameCostMs" | "drawMs"> & {
    costs: number[];
    draws: number[];
  };
  return {
    displayFps: raw.displayFps,
    fps: raw.fps,
    drawnFps: raw.drawnFps,
    frameCostMs: { p50: percentile(raw.costs, 50), p95: percentile(raw.costs, 95) },
    drawMs: { p50: percentile(raw.draws, 50), p95: percentile(raw.draws, 95) },
  };
}

const GPU = `(() => {
  const h = globalThis.hilumViewer;
  let textures = 0;
  let canvases = 0;
  for (const slot of h.slots()) {
    const vp = h.viewport(slot.slot);
    if (!vp) continue;
    textures += vp.gpuBytes ?? 0;
    for (const canvas of vp.element.querySelectorAll("canvas")) {
      // WebGL: a front and a back buffer of RGBA8; the 2D overlay: one.
      const buffers = canvas.getContext("webgl2") ? 2 : 1;
      canvases += canvas.width * canvas.height * 4 * buffers;
    }
  }
  return { textures, canvases };
})()`;

async function measureMemory(page: Page): Promise<MemorySample> {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send("HeapProfiler.collectGarbage");
    const heap = (await cdp.send("Runtime.getHeapUsage")) as {
      usedSize: number;
      backingStorageSize?: number;
    };
    const gpu = (await page.evaluate(GPU)) as { textures: number; canvases: number };
    const backing = heap.backingStorageSize ?? 0;
    return {
      heapUsedBytes: heap.usedSize,
      backingStoreBytes: backing,
      jsBytes: heap.usedSize + backing,
      gpuTextureBytes: gpu.textures,
      gpuCanvasBytes: gpu.canvases,
    };
  } finally {
    await cdp.detach();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Report

const fmt = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : "—");
const verdict = (ok: boolean) => (ok ? "PASS" : "**MISS**");

function markdown(report: RendererReport): string {
  const runs = report.runs;
  const inApp = runs.map((r) => r.load);
  const decoded = report.series.decodedBytes;
  const med = (values: number[]) => median(values.filter(Number.isFinite));
  const first = med(inApp.map((l) => l.firstImageMs));
  const loaded = med(inApp.map((l) => l.seriesLoadedMs));
  const coldFirst = med(report.cold.map((l) => l.firstImageMs));
  const coldLoaded = med(report.cold.map((l) => l.seriesLoadedMs));
  const fps = med(runs.map((r) => r.scroll.fps));
  const display = med(runs.map((r) => r.scroll.displayFps));
  const drawn = med(runs.map((r) => r.scroll.drawnFps));
  const cost50 = med(runs.map((r) => r.scroll.frameCostMs.p50));
  const cost95 = med(runs.map((r) => r.scroll.frameCostMs.p95));
  const draw50 = med(runs.map((r) => r.scroll.drawMs.p50));
  const js = Math.max(...runs.map((r) => r.memory.jsBytes));
  const heap = med(runs.map((r) => r.memory.heapUsedBytes));
  const backing = med(runs.map((r) => r.memory.backingStoreBytes));
  const textures = med(runs.map((r) => r.memory.gpuTextureBytes));
  const canvases = med(runs.map((r) => r.memory.gpuCanvasBytes));
  const metadata = med(inApp.map((l) => l.stack.metadataMs ?? Number.NaN));
  const mounted = med(inApp.map((l) => l.mountedMs));
  const opened = med(inApp.map((l) => l.openSeriesMs));
  const firstDecoded = med(inApp.map((l) => l.openSeriesMs + (l.stack.firstFrameMs ?? Number.NaN)));
  const fetchPerFrame = med(inApp.map((l) => l.stack.fetchMs / SERIES.slices));
  const decodePerFrame = med(inApp.map((l) => l.stack.decodeMs / SERIES.slices));
  const failed = Math.max(0, ...inApp.map((l) => l.failed), ...report.cold.map((l) => l.failed));
  const m = report.machine;
  const lines = [
    `### Renderer: the 500-slice 512×512 16-bit CT in Chromium (issue 4)`,
    "",
    `${report.chromium}, headless, WebGL on SwiftShader (no GPU: ${report.webgl}); viewport ${VIEWPORT.width}×${VIEWPORT.height} at deviceScaleFactor 1, one 1×1 viewport. ` +
      `${m.cpus} CPUs (${m.cpuModel}), load average at start ${m.loadAverageAtStart.join(" / ")}. ` +
      `Series: ${report.series.slices} frames, ${fmt(decoded / MB, 1)} MB decoded (${fmt(report.series.datasetBytes / MB, 1)} MB of datasets on disk), stored uncompressed. ` +
      `Medians of ${runs.length} runs, each in a fresh browser context; MB = 10^6 bytes.`,
    "",
    "| Measure | Median | Runs | Target | Verdict |",
    "| --- | ---: | --- | --- | --- |",
    `| First image after navigating to the study (app open) | ${fmt(first)} ms | ${inApp.map((l) => fmt(l.firstImageMs)).join(", ")} | < ${TARGETS.firstImageMs} ms | ${verdict(first < TARGETS.firstImageMs)} |`,
    `| Whole series loaded and decoded (app open) | ${fmt(loaded)} ms | ${inApp.map((l) => fmt(l.seriesLoadedMs)).join(", ")} | < ${TARGETS.seriesLoadedMs} ms | ${verdict(loaded < TARGETS.seriesLoadedMs && failed === 0)} |`,
    `| First image, cold page load at \`#/study/{uid}\` | ${fmt(coldFirst)} ms | ${report.cold.map((l) => fmt(l.firstImageMs)).join(", ")} | (reported) | |`,
    `| Whole series, cold page load | ${fmt(coldLoaded)} ms | ${report.cold.map((l) => fmt(l.seriesLoadedMs)).join(", ")} | (reported) | |`,
    `| Scroll, a new slice every animation frame | ${fmt(fps, 1)} fps | ${runs.map((r) => fmt(r.scroll.fps, 1)).join(", ")} | ≥ ${TARGETS.scrollFps} fps | ${verdict(fps >= TARGETS.scrollFps * 0.98 && drawn >= fps * 0.98)} |`,
    ...(report.llvmpipe
      ? [
          `| Scroll, the same on Mesa llvmpipe (ANGLE on EGL), one run | ${fmt(report.llvmpipe.scroll.fps, 1)} fps | — | (reported) | |`,
        ]
      : []),
    `| JS heap after GC + ArrayBuffers, at the end | ${fmt(js / MB)} MB = ${fmt(js / decoded, 2)}× decoded | ${runs.map((r) => fmt(r.memory.jsBytes / MB)).join(", ")} | < ${TARGETS.heapRatio}× | ${verdict(js < TARGETS.heapRatio * decoded)} |`,
    `| GPU memory estimate (textures held; + drawing buffers) | ${fmt(textures / MB, 2)} MB (+ ${fmt(canvases / MB, 1)} MB) | ${runs.map((r) => fmt(r.memory.gpuTextureBytes / MB, 2)).join(", ")} | (reported) | |`,
    "",
    `Scroll detail: the idle page's animation frames ran at ${fmt(display, 1)} fps (headless Chromium paces them, so no figure above can exceed it); ` +
      `${fmt(drawn, 1)} redraws/s during the scroll; main-thread time per step (show() a cached slice and redraw at once, 50 steps apart from the display's pacing) ` +
      `${fmt(cost50, 2)} ms median, ${fmt(cost95, 2)} ms p95 — the rest of a frame is the GPU process drawing ` +
      `and compositing (SwiftShader: on the CPU); with the draw waited for and read back (\`readPixels\`) ` +
      `${fmt(draw50, 1)} ms median. ` +
      `Heap split: V8 heap ${fmt(heap / MB, 1)} MB, ArrayBuffer backing stores ${fmt(backing / MB, 1)} MB (the frame cache holds the decoded pixels there). ` +
      `Where the first image's time goes (in-app, medians from the navigation): page mounted ${fmt(mounted)} ms, ` +
      `series listed (QIDO) and openSeries() called ${fmt(opened)} ms, metadata ${fmt(opened + metadata)} ms, ` +
      `first frame decoded ${fmt(firstDecoded)} ms, drawn ${fmt(first)} ms. ` +
      `The image core's clock: metadata in ${fmt(metadata)} ms, per frame ${fmt(fetchPerFrame, 2)} ms fetching and ${fmt(decodePerFrame, 2)} ms decoding (summed over the workers). ` +
      `The scroll verdict: PASS when the median is within 2% of 60 fps and every step was drawn.` +
      (failed > 0 ? ` **${failed} frames failed to load.**` : ""),
  ];
  if (report.failures.length > 0) {
    lines.push("", "Failures:", ...report.failures.map((f) => `- ${f.what}: ${f.error}`));
  }
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  log("building the renderer");
  execFileSync("npm", ["run", "--silent", "build:renderer"], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "ignore", "inherit"],
  });
  const series = await cachedCtSeries(SERIES);
  const machine = await describeMachine();
  const load = loadFolder(series.files, "renderer");
  const dataDir = scratchDir("bench-renderer");
  const node = await spawnServe([], dataDir);
  const url = `http://127.0.0.1:${node.httpPort}`;
  let browser: Browser | undefined;
  const failures: RendererReport["failures"] = [];
  const runs: RunSample[] = [];
  const cold: LoadSample[] = [];
  try {
    log("storing the series");
    const stored = await storescu(node.target, load.folder, { timeoutMs: 300_000 });
    if (stored.code !== 0) throw new Error(`storescu: ${stored.stderr}`);
    browser = await launch("swiftshader");
    let first = true;
    let webgl: string | undefined;
    for (let run = 1; run <= RUNS; run++) {
      for (const kind of ["in-app", "cold"] as const) {
        await settle();
        const context = await signedInContext(browser, url, first);
        first = false;
        try {
          const page = await context.newPage();
          if (kind === "cold") {
            const sample = await loadCold(page, url, series.studyInstanceUid);
            cold.push(sample);
            log(
              `run ${run} cold: first image ${fmt(sample.firstImageMs)} ms, series ${fmt(sample.seriesLoadedMs)} ms`,
            );
            continue;
          }
          const sample = await loadInApp(page, url, series.studyInstanceUid);
          log(
            `run ${run} in-app: first image ${fmt(sample.firstImageMs)} ms, series ${fmt(sample.seriesLoadedMs)} ms`,
          );
          webgl ??= await webglRenderer(page);
          const scroll = await measureScroll(page);
          log(
            `run ${run} scroll: ${fmt(scroll.fps, 1)} fps (display ${fmt(scroll.displayFps, 1)}, drawn ${fmt(scroll.drawnFps, 1)})`,
          );
          const memory = await measureMemory(page);
          log(
            `run ${run} memory: JS ${fmt(memory.jsBytes / MB)} MB, GPU textures ${fmt(memory.gpuTextureBytes / MB, 2)} MB`,
          );
          runs.push({ run, load: sample, scroll, memory });
        } catch (error) {
          failures.push({ what: `run ${run} ${kind}`, error: errorText(error) });
          log(`FAILED run ${run} ${kind}: ${errorText(error)}`);
        } finally {
          await context.close();
        }
      }
    }
    // The same scroll on Mesa's llvmpipe (ANGLE on EGL): another software rasteriser, for comparison.
    let llvmpipe: RendererReport["llvmpipe"];
    const other = await launch("llvmpipe");
    try {
      await settle();
      const context = await signedInContext(other, url, false);
      try {
        const page = await context.newPage();
        const sample = await loadInApp(page, url, series.studyInstanceUid);
        const scroll = await measureScroll(page);
        llvmpipe = { renderer: await webglRenderer(page), load: sample, scroll };
        log(`llvmpipe: scroll ${fmt(scroll.fps, 1)} fps (drawn ${fmt(scroll.drawnFps, 1)})`);
      } finally {
        await context.close();
      }
    } catch (error) {
      failures.push({ what: "llvmpipe", error: errorText(error) });
      log(`FAILED llvmpipe: ${errorText(error)}`);
    } finally {
      await other.close();
    }
    const report: RendererReport = {
      startedAt,
      finishedAt: new Date().toISOString(),
      machine,
      chromium: `Chromium ${browser.version()}`,
      webgl: webgl ?? "unknown",
      series: {
        ...SERIES,
        decodedBytes: SERIES.slices * SERIES.rows * SERIES.columns * 2,
        datasetBytes: load.datasetBytes,
      },
      runs,
      cold,
      ...(llvmpipe ? { llvmpipe } : {}),
      failures,
    };
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = join(RESULTS_DIR, `${startedAt.replaceAll(":", "-").replace(".", "-")}-renderer.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    await new Promise<void>((resolve) => process.stdout.write(`${markdown(report)}\n`, () => resolve()));
    log(`results: ${file}`);
  } finally {
    await browser?.close();
    await node.service.stop(10_000);
    load.remove();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
