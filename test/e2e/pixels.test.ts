/**
 * The image core in real Chromium against a real node: every pydicom test file with pixel data is imported,
 * opened in the viewport harness (renderer/viewport-harness.html: one Viewport, one CSS pixel per image
 * pixel at deviceScaleFactor 1), drawn through the WebGL2 pipeline with a fixed window, read back from the
 * GPU, and compared with DCMTK's rendering of the same file and window (dcmj2pnm / dcml2pnm `+Ww c w`,
 * PNG). DCMTK 3.6.7 has no JPEG 2000 decoder: those files are first decompressed by GDCM (gdcmconv --raw).
 *
 * Tolerance: ±1 grey level (rounding of the window arithmetic: DCMTK in double, the shader in float32 with
 * the GPU's float → 8-bit rounding). Colour through lossy JPEG: ±2 for the files listed in COLOR_TOLERANCE
 * (libjpeg-turbo's and DCMTK's IJG 6b colour conversion and upsampling round differently).
 *
 * Also printed (not asserted), for the benchmark: time to first image and to the whole 500-slice CT.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { receivedFromFile } from "../../electron/pacs/files/dicom-file.js";
import { decodePng } from "../imaging/truth.js";
import { type DisplayCase, writeDisplayCases } from "./display-cases.js";
import { PYDICOM_TEST_FILES } from "../support/archive.js";
import { launchBrowser } from "../support/browser.js";
import { cachedCtSeries } from "../support/fixture-cache.js";
import { type TestNode, startTestNode } from "../support/hilum.js";
import { storescu } from "../support/peers.js";
import { run } from "../support/process.js";

const USER = { username: "pixels", password: "pixel-perfect passphrase 1" };

interface Voi {
  center: number;
  width: number;
  fn: "LINEAR" | "LINEAR_EXACT" | "SIGMOID";
}

interface Rendered {
  index: number;
  length: number;
  frame: {
    frameNumber: number;
    rows: number;
    columns: number;
    photometricInterpretation: string;
    samplesPerPixel: number;
    transferSyntaxUid?: string;
  };
  voi: Voi;
  error?: string;
  width: number;
  height: number;
  rgba: string;
}

/**
 * Every pydicom test file with pixel data. Files sharing a SOP Instance UID replace one another in the
 * archive, so they are shown in rounds (a fresh browser context each, so no HTTP cache carries over).
 */
const FILES: string[][] = [
  [
    "693_J2KI.dcm",
    "CT_small.dcm",
    "ExplVR_BigEnd.dcm",
    "GDCMJ2K_TextGBR.dcm",
    "J2K_pixelrep_mismatch.dcm",
    "JPEG-lossy.dcm",
    "JPEG2000.dcm",
    "MR_small.dcm",
    "SC_jpeg_no_color_transform.dcm",
    "SC_jpeg_no_color_transform_2.dcm",
    "SC_rgb_dcmtk_+eb+cr.dcm",
    "SC_rgb_dcmtk_+eb+cy+n1.dcm",
    "SC_rgb_dcmtk_+eb+cy+n2.dcm",
    "SC_rgb_dcmtk_+eb+cy+np.dcm",
    "SC_rgb_dcmtk_+eb+cy+s2.dcm",
    "SC_rgb_dcmtk_+eb+cy+s4.dcm",
    "SC_rgb_gdcm_KY.dcm",
    "SC_rgb_jpeg.dcm",
    "SC_rgb_jpeg_dcmtk.dcm",
    "SC_rgb_jpeg_gdcm.dcm",
    "SC_rgb_jpeg_lossy_gdcm.dcm",
    "SC_rgb_small_odd.dcm",
    "SC_rgb_small_odd_jpeg.dcm",
    "image_dfl.dcm",
    "liver_1frame.dcm",
    "rtdose.dcm",
  ],
  [
    "JPGExtended.dcm",
    "JPEG2000-embedded-sequence-delimiter.dcm",
    "MR_small_RLE.dcm",
    "SC_rgb_jpeg_app14_dcmd.dcm",
    "SC_ybr_full_422_uncompressed.dcm",
    "SC_rgb_jpeg_dcmd.dcm",
    "SC_rgb_rle.dcm",
    "liver_expb_1frame.dcm",
    "rtdose_1frame.dcm",
  ],
  ["MR_small_bigendian.dcm", "SC_rgb_rle_16bit.dcm", "rtdose_expb.dcm"],
  ["MR_small_expb.dcm", "SC_rgb_rle_16bit_2frame.dcm", "rtdose_expb_1frame.dcm"],
  ["MR_small_implicit.dcm", "SC_rgb_rle_2frame.dcm", "rtdose_rle.dcm"],
  ["MR_small_jp2klossless.dcm", "SC_rgb_rle_32bit.dcm", "rtdose_rle_1frame.dcm"],
  ["MR_small_jpeg_ls_lossless.dcm", "SC_rgb_rle_32bit_2frame.dcm"],
  ["MR_small_padded.dcm"],
];

let browser: Browser;
let hilum: TestNode;
let scratch: string;
let cookie: { name: string; value: string };

async function importFile(path: string) {
  const object = await receivedFromFile(path, hilum.node.store);
  return hilum.node.ingest.ingest({ object, source: { kind: "import", actor: path, callingAeTitle: "" } });
}

async function harnessPage(deviceScaleFactor = 1): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ deviceScaleFactor, viewport: { width: 1200, height: 1200 } });
  const url = new URL(hilum.node.http.url);
  await context.addCookies([{ ...cookie, domain: url.hostname, path: "/" }]);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
  await page.goto(`${hilum.node.http.url}/viewport-harness.html`);
  await page.waitForFunction('document.documentElement.dataset.ready === "true"');
  (page as Page & { errors?: string[] }).errors = errors;
  return { context, page };
}

/** DCMTK's rendering of a frame (1-based) with a window (grayscale) as 8-bit samples, via PNG. */
async function dcmtkRender(
  path: string,
  syntax: string,
  frame: number,
  voi?: Voi,
  extra: readonly string[] = [],
): Promise<{ channels: number; data: Buffer; width: number; height: number }> {
  let input = path;
  const j2k = /^1\.2\.840\.10008\.1\.2\.4\.(9\d|20\d)$/.test(syntax);
  if (j2k) {
    input = join(scratch, `raw-${Math.random().toString(36).slice(2)}.dcm`);
    const converted = await run("gdcmconv", ["--raw", path, input]);
    expect(converted.code, converted.stderr).toBe(0);
  }
  const tool = /^1\.2\.840\.10008\.1\.2\.4\.8[01]$/.test(syntax) ? "dcml2pnm" : "dcmj2pnm";
  const out = join(scratch, `out-${Math.random().toString(36).slice(2)}.png`);
  const window = [
    ...(voi ? ["+Ww", String(voi.center), String(voi.width), ...(voi.fn === "SIGMOID" ? ["+Wfs"] : [])] : []),
    ...extra,
  ];
  let result = await run(tool, ["+on", "-il", "+F", String(frame), ...window, input, out]);
  if (result.code !== 0 && input === path) {
    // A data set DCMTK cannot parse (SC_rgb_jpeg.dcm: implicit VR under an explicit VR transfer syntax):
    // GDCM reads and decompresses it, DCMTK renders that.
    input = join(scratch, `raw-${Math.random().toString(36).slice(2)}.dcm`);
    const converted = await run("gdcmconv", ["--raw", path, input]);
    expect(converted.code, converted.stderr).toBe(0);
    result = await run("dcm2pnm", ["+on", "-il", "+F", String(frame), ...window, input, out]);
  }
  expect(result.code, `${tool}: ${result.stderr}${result.stdout}`).toBe(0);
  return decodePng(readFileSync(out));
}

/** window.hilumHarness (renderer/src/harness/viewport-harness.ts), as the tests call it inside the page. */
interface Harness {
  open(
    study: string,
    series: string,
    options?: { sopInstanceUid?: string },
  ): Promise<{ frames: number[]; error?: string }>;
  render(options: {
    index?: number;
    voi?: Voi;
    invert?: boolean;
    rotation?: number;
    flipHorizontal?: boolean;
    flipVertical?: boolean;
  }): Promise<Rendered>;
  values(): number[];
  probe(points: Array<{ x: number; y: number }>): Array<{ value?: number; patient?: number[] }>;
  timeSeries(
    study: string,
    series: string,
  ): Promise<{
    frames: number;
    firstImageMs: number;
    allMs: number;
    timing: { metadataMs?: number; fetchMs: number; decodeMs: number };
    progress: { loaded: number; total: number; failed: number; done: boolean };
    progressAtFirstImage: { loaded: number; total: number; done: boolean };
    shownIndex: number;
    loadOrder: number[];
    gpuBytes: number;
  }>;
  scroll(count: number): Promise<{ fps: number }>;
}
type HarnessWindow = { hilumHarness: Harness };

interface Comparison {
  maxDiff: number;
  differing: number;
  pixels: number;
}

function compare(
  rendered: Rendered,
  truth: { channels: number; data: Buffer; width: number; height: number },
): Comparison {
  expect([rendered.width, rendered.height]).toEqual([truth.width, truth.height]);
  const rgba = Buffer.from(rendered.rgba, "base64");
  let maxDiff = 0;
  let differing = 0;
  const pixels = truth.width * truth.height;
  for (let p = 0; p < pixels; p++) {
    let worst = 0;
    for (let c = 0; c < 3; c++) {
      const expected = truth.data[p * truth.channels + (truth.channels === 1 ? 0 : c)]!;
      worst = Math.max(worst, Math.abs(rgba[p * 4 + c]! - expected));
    }
    if (worst > 0) differing++;
    maxDiff = Math.max(maxDiff, worst);
  }
  return { maxDiff, differing, pixels };
}

const COLOR_TOLERANCE: Record<string, number> = {};

/**
 * DCMTK 3.6.7 reads 32-bit samples in big-endian OW Pixel Data as pairs of 16-bit words (their halves come
 * out swapped); pydicom reads them as 32-bit big-endian values — the dose grid of the little-endian twin,
 * which is what the node serves. These are compared with DCMTK's rendering of the twin.
 */
const TRUTH_TWIN: Record<string, string> = {
  "rtdose_expb.dcm": "rtdose.dcm",
  "rtdose_expb_1frame.dcm": "rtdose_1frame.dcm",
};

/** Files whose pixels no decoder can read (GDCM refuses them too): the viewport must say so. */
const UNDECODABLE: Record<string, RegExp> = {
  // A test of encapsulation parsing: its "codestream" has a sequence delimiter where the SIZ marker's image size is.
  "JPEG2000-embedded-sequence-delimiter.dcm": /cannot decode a frame in 1\.2\.840\.10008\.1\.2\.4\.91/,
};
const report: string[] = [];

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "hilum-pixels-"));
  [browser, hilum] = await Promise.all([launchBrowser(), startTestNode()]);
  const response = await fetch(`${hilum.node.http.url}/api/setup`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(USER),
  });
  expect(response.status).toBe(201);
  const setCookie = response.headers.get("set-cookie") ?? "";
  const [name = "", value = ""] = setCookie.split(";")[0]!.split("=");
  cookie = { name, value };
});

afterAll(async () => {
  await browser?.close();
  await hilum?.close();
  if (report.length) console.log(`\nPixels vs DCMTK\n${report.join("\n")}`);
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe("pixels: each pydicom test file rendered in Chromium matches DCMTK", () => {
  for (const [round, files] of FILES.entries()) {
    it(`round ${round + 1}: ${files.join(", ")}`, { timeout: 240_000 }, async () => {
      const stored = [];
      for (const name of files) stored.push({ name, ...(await importFile(join(PYDICOM_TEST_FILES, name))) });
      const { context, page } = await harnessPage();
      const failures: string[] = [];
      try {
        for (const file of stored) {
          const opened = await page.evaluate(
            ([s, se, i]) =>
              (globalThis as unknown as HarnessWindow).hilumHarness
                .open(s!, se!, { sopInstanceUid: i! })
                .then((r) => ({ frames: r.frames, error: r.error })),
            [file.studyInstanceUid, file.seriesInstanceUid, file.sopInstanceUid],
          );
          const undecodable = UNDECODABLE[file.name];
          if (undecodable) {
            expect(opened.error, file.name).toMatch(undecodable);
            report.push(`${file.name}: not decodable, the viewport says "${opened.error}"`);
            continue;
          }
          expect(opened.error, file.name).toBeUndefined();
          const indices =
            opened.frames.length > 1 ? [opened.frames[0]!, opened.frames.at(-1)!] : opened.frames;
          for (const index of indices) {
            const first = await page.evaluate(
              (i) => (globalThis as unknown as HarnessWindow).hilumHarness.render({ index: i }),
              index,
            );
            expect(first.error, file.name).toBeUndefined();
            const gray =
              first.frame.samplesPerPixel === 1 && first.frame.photometricInterpretation !== "PALETTE COLOR";
            const windows: Array<Voi | undefined> = gray
              ? [
                  first.voi,
                  {
                    center: first.voi.center - first.voi.width / 6,
                    width: Math.max(2, Math.round(first.voi.width / 3)),
                    fn: "LINEAR",
                  },
                ]
              : [undefined];
            for (const voi of windows) {
              const rendered = voi
                ? await page.evaluate(
                    ([i, v]) =>
                      (globalThis as unknown as HarnessWindow).hilumHarness.render({ index: i, voi: v }),
                    [index, voi] as const,
                  )
                : first;
              const syntax = rendered.frame.transferSyntaxUid ?? "";
              const truthFile = join(PYDICOM_TEST_FILES, TRUTH_TWIN[file.name] ?? file.name);
              const truth = await dcmtkRender(truthFile, syntax, rendered.frame.frameNumber, voi);
              const result = compare(rendered, truth);
              const tolerance = gray ? 1 : (COLOR_TOLERANCE[file.name] ?? 1);
              const line = `${file.name} frame ${rendered.frame.frameNumber}${voi ? ` W ${voi.center.toFixed(1)}/${voi.width.toFixed(1)}` : ""}: max diff ${result.maxDiff}, ${result.differing}/${result.pixels} pixels differ`;
              report.push(line);
              if (result.maxDiff > tolerance) failures.push(line);
            }
          }
        }
        expect((page as Page & { errors?: string[] }).errors ?? []).toEqual([]);
      } finally {
        await context.close();
      }
      expect(failures).toEqual([]);
    });
  }
});

describe("streaming a 500-slice CT (the benchmark series)", () => {
  it(
    "shows the middle slice first, streams middle-out, and loads every slice",
    { timeout: 600_000 },
    async () => {
      const ct = await cachedCtSeries({
        slices: 500,
        rows: 512,
        columns: 512,
        bitsStored: 16,
        patientName: "Bench^Ingest",
        patientId: "BENCH500",
        seed: "bench-ingest-500",
      });
      const sent = await storescu(hilum.target, ct.files, { timeoutMs: 300_000 });
      expect(sent.code, sent.stderr).toBe(0);
      const { context, page } = await harnessPage();
      try {
        const result = await page.evaluate(
          ([s, se]) => (globalThis as unknown as HarnessWindow).hilumHarness.timeSeries(s!, se!),
          [ct.studyInstanceUid, ct.seriesInstanceUid],
        );
        expect(result.frames).toBe(500);
        expect(result.progress).toEqual({ loaded: 500, total: 500, failed: 0, done: true });
        // The first image is up long before the series is in.
        expect(result.progressAtFirstImage.done).toBe(false);
        expect(result.progressAtFirstImage.loaded).toBeLessThan(100);
        // Sorted head first like InstanceNumber; shown at the middle, which is requested first and alone
        // (nothing shares the connection with the first image); then outward, several at once, so a
        // neighbour may complete a moment before a nearer one.
        const middle = 249;
        expect(result.shownIndex).toBe(middle);
        expect(result.loadOrder[0]).toBe(middle);
        expect(result.loadOrder.slice(0, 20).every((i: number) => Math.abs(i - middle) <= 16)).toBe(true);
        expect(new Set(result.loadOrder).size).toBe(500);
        const scroll = await page.evaluate(() =>
          (globalThis as unknown as HarnessWindow).hilumHarness.scroll(500),
        );
        const decodedMiB = (500 * 512 * 512 * 2) / 2 ** 20;
        const heap = await page.evaluate(
          () =>
            (globalThis as unknown as { performance: { memory?: { usedJSHeapSize: number } } }).performance
              .memory?.usedJSHeapSize ?? 0,
        );
        console.log(
          [
            "",
            "Image core, 500-slice 512×512 16-bit CT from an in-process node (viewport harness, SwiftShader):",
            `  series metadata: ${result.timing.metadataMs?.toFixed(0)} ms`,
            `  time to first image: ${result.firstImageMs.toFixed(0)} ms`,
            `  time to whole series: ${result.allMs.toFixed(0)} ms (${(500 / (result.allMs / 1000)).toFixed(0)} frames/s; fetch ${(result.timing.fetchMs / 500).toFixed(1)} ms/frame, decode ${(result.timing.decodeMs / 500).toFixed(2)} ms/frame, summed over workers)`,
            `  scroll through the cached series: ${scroll.fps.toFixed(0)} frames/s (show + draw, no vsync)`,
            `  decoded series ${decodedMiB.toFixed(0)} MiB; JS heap ${(heap / 2 ** 20).toFixed(0)} MiB; GPU textures ${(result.gpuBytes / 2 ** 20).toFixed(2)} MiB`,
          ].join("\n"),
        );
      } finally {
        await context.close();
      }
    },
  );
});

/** PS3.3 C.11.2.1.2 / C.11.2.1.3, written out again here as the reference for the shader. */
function reference(x: number, voi: Voi): number {
  const { center: c, width: w } = voi;
  if (voi.fn === "SIGMOID") return 1 / (1 + Math.exp((-4 * (x - c)) / w));
  if (voi.fn === "LINEAR_EXACT") return x <= c - w / 2 ? 0 : x > c + w / 2 ? 1 : (x - c) / w + 0.5;
  return x <= c - 0.5 - (w - 1) / 2 ? 0 : x > c - 0.5 + (w - 1) / 2 ? 1 : (x - (c - 0.5)) / (w - 1) + 0.5;
}

function compareWithReference(rendered: Rendered, values: number[], voi: Voi, inverse: boolean): Comparison {
  const rgba = Buffer.from(rendered.rgba, "base64");
  let maxDiff = 0;
  let differing = 0;
  values.forEach((x, p) => {
    const y = reference(x, voi);
    const expected = Math.round(255 * (inverse ? 1 - y : y));
    const diff = Math.abs(rgba[p * 4]! - expected);
    if (diff > 0) differing++;
    maxDiff = Math.max(maxDiff, diff);
  });
  return { maxDiff, differing, pixels: values.length };
}

describe("display pipeline cases the pydicom files lack", () => {
  let cases: DisplayCase[];
  let context: BrowserContext;
  let page: Page;
  const harness = () => page;
  beforeAll(async () => {
    cases = writeDisplayCases(scratch);
    ({ context, page } = await harnessPage());
  });
  afterAll(async () => {
    await context?.close();
  });

  async function open(path: string) {
    const stored = await importFile(path);
    const opened = await harness().evaluate(
      ([s, se]) => (globalThis as unknown as HarnessWindow).hilumHarness.open(s!, se!),
      [stored.studyInstanceUid, stored.seriesInstanceUid],
    );
    expect(opened.error).toBeUndefined();
  }

  const render = (options: Parameters<Harness["render"]>[0] = {}) =>
    harness().evaluate((o) => (globalThis as unknown as HarnessWindow).hilumHarness.render(o), options);

  it("MONOCHROME1, signed 8-bit, SIGMOID, Presentation LUT INVERSE, modality and VOI LUT sequences, palette: as DCMTK", async () => {
    const failures: string[] = [];
    for (const c of cases) {
      await open(c.path);
      const rendered = await render();
      const syntax = "1.2.840.10008.1.2.1";
      let line: string;
      if (c.name === "linear-exact-16bit") {
        // DCMTK 3.6.7 has no LINEAR_EXACT: the reference formula is the truth.
        expect(rendered.voi).toEqual({ center: 1000, width: 1000, fn: "LINEAR_EXACT" });
        const values = await harness().evaluate(() =>
          (globalThis as unknown as HarnessWindow).hilumHarness.values(),
        );
        const result = compareWithReference(rendered, values, rendered.voi, false);
        line = `${c.name} (stored LINEAR_EXACT) vs PS3.3: max diff ${result.maxDiff}, ${result.differing}/${result.pixels} differ`;
        if (result.maxDiff > 1) failures.push(line);
      } else {
        const args = c.dcmtk === "stored-window" ? ["+Wi", "1"] : c.dcmtk === "voi-lut" ? ["+Wl", "1"] : [];
        const result = compare(rendered, await dcmtkRender(c.path, syntax, 1, undefined, args));
        line = `${c.name} vs DCMTK: max diff ${result.maxDiff}, ${result.differing}/${result.pixels} differ`;
        if (result.maxDiff > 1) failures.push(line);
      }
      report.push(line);
    }
    expect(failures).toEqual([]);
  });

  it("the shader's LINEAR, LINEAR_EXACT and SIGMOID equal PS3.3's formulas on every pixel (also inverted)", async () => {
    await open(cases.find((c) => c.name === "linear-exact-16bit")!.path);
    const values = await harness().evaluate(() =>
      (globalThis as unknown as HarnessWindow).hilumHarness.values(),
    );
    expect(values.length).toBe(48 * 64);
    const failures: string[] = [];
    for (const fn of ["LINEAR", "LINEAR_EXACT", "SIGMOID"] as const) {
      for (const [center, width] of [
        [1000, 1000],
        [700.5, 2],
        [1500, 37],
      ] as const) {
        for (const invert of [false, true]) {
          const voi = { center, width, fn };
          const rendered = await render({ voi, invert });
          const result = compareWithReference(rendered, values, voi, invert);
          const line = `${fn} ${center}/${width}${invert ? " inverted" : ""} vs PS3.3: max diff ${result.maxDiff}, ${result.differing}/${result.pixels} differ`;
          report.push(line);
          if (result.maxDiff > 1) failures.push(line);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it("modality values and patient positions at image points (what measurements read)", async () => {
    await open(cases.find((c) => c.name === "signed-8bit-rescaled")!.path);
    await render();
    // Stored value at (x, y): the gradient from −128 to 127 over 64 × 48, the first two columns −128, the last two 127.
    const stored = (x: number, y: number) => {
      if (x < 2) return -128;
      if (x >= 62) return 127;
      return Math.round(-128 + ((y * 64 + x) / (48 * 64 - 1)) * 255);
    };
    const points = [
      { x: 0.5, y: 0.5 },
      { x: 10.2, y: 3.9 },
      { x: 30, y: 40 },
      { x: 63.99, y: 47.99 },
      { x: -0.01, y: 5 },
      { x: 64, y: 5 },
    ];
    const probed = await harness().evaluate(
      (p) => (globalThis as unknown as HarnessWindow).hilumHarness.probe(p),
      points,
    );
    expect(probed.map((p) => p.value)).toEqual([
      2 * stored(0, 0) + 10,
      2 * stored(10, 3) + 10,
      2 * stored(30, 40) + 10,
      2 * stored(63, 47) + 10,
      undefined,
      undefined,
    ]);
  });

  it("rotation, flips and invert match DCMTK's (+Rr, +Rtd, +Rl, +Lh, +Lv, +Piv)", async () => {
    const path = join(PYDICOM_TEST_FILES, "CT_small.dcm");
    await open(path);
    const voi = { center: 40, width: 400, fn: "LINEAR" as const };
    const failures: string[] = [];
    const views: Array<[Parameters<Harness["render"]>[0], string[]]> = [
      [{ rotation: 90 }, ["+Rr"]],
      [{ rotation: 180 }, ["+Rtd"]],
      [{ rotation: 270 }, ["+Rl"]],
      [{ rotation: -90 }, ["+Rl"]],
      [{ flipHorizontal: true }, ["+Lh"]],
      [{ flipVertical: true }, ["+Lv"]],
      [{ flipHorizontal: true, flipVertical: true }, ["+Lhv"]],
      [{ invert: true }, ["+Piv"]],
    ];
    for (const [view, args] of views) {
      const rendered = await render({ ...view, voi });
      const result = compare(rendered, await dcmtkRender(path, "1.2.840.10008.1.2.1", 1, voi, args));
      const line = `CT_small.dcm ${JSON.stringify(view)} vs DCMTK ${args.join(" ")}: max diff ${result.maxDiff}, ${result.differing}/${result.pixels} differ`;
      report.push(line);
      if (result.maxDiff > 1) failures.push(line);
    }
    expect(failures).toEqual([]);
    // Patient position of the first pixel's centre is ImagePositionPatient.
    const [first] = await harness().evaluate(() =>
      (globalThis as unknown as HarnessWindow).hilumHarness.probe([{ x: 0.5, y: 0.5 }]),
    );
    expect(first!.patient).toEqual([-158.135803, -179.035797, -75.699997]);
  });
});

describe("high-DPI displays", () => {
  it("at devicePixelRatio 2 the drawing buffer has twice the pixels and each image pixel is a sharp 2×2 block", async () => {
    const stored = await importFile(join(PYDICOM_TEST_FILES, "CT_small.dcm"));
    const voi = { center: 40, width: 400, fn: "LINEAR" as const };
    const shots: Rendered[] = [];
    for (const scale of [1, 2]) {
      const { context, page } = await harnessPage(scale);
      try {
        await page.evaluate(
          ([s, se]) => (globalThis as unknown as HarnessWindow).hilumHarness.open(s!, se!),
          [stored.studyInstanceUid, stored.seriesInstanceUid],
        );
        shots.push(
          await page.evaluate(
            (v) => (globalThis as unknown as HarnessWindow).hilumHarness.render({ voi: v }),
            voi,
          ),
        );
      } finally {
        await context.close();
      }
    }
    const [one, two] = shots as [Rendered, Rendered];
    expect([one.width, one.height]).toEqual([128, 128]);
    expect([two.width, two.height]).toEqual([256, 256]);
    const a = Buffer.from(one.rgba, "base64");
    const b = Buffer.from(two.rgba, "base64");
    let mismatches = 0;
    for (let y = 0; y < 256; y++) {
      for (let x = 0; x < 256; x++) {
        if (b[(y * 256 + x) * 4] !== a[((y >> 1) * 128 + (x >> 1)) * 4]) mismatches++;
      }
    }
    expect(mismatches).toBe(0);
  });
});
