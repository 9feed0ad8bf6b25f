/**
 * 3D volume rendering, streaming, and the golden screenshots of MPR and 3D, in real Chromium (SwiftShader
 * WebGL2, Math.random seeded) against a real node, on the sphere phantom (test/fixtures/volume-phantoms.ts):
 * - the views work while the series is still arriving (frame responses held back);
 * - each 3D preset draws the spheres; the clipping box takes away what is outside it; dragging turns the
 *   view at a coarser sampling, and it refines when still; reset brings the first view back;
 * - MPR and 3D views match their golden images (test/e2e/golden/, per-pixel difference count), which are
 *   tied to the WebGL renderer that made them: on another renderer the comparison is skipped, not failed.
 *   HILUM_UPDATE_GOLDEN=1 rewrites them. The screenshots in docs/screenshots/ are written on every run.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodePng } from "../imaging/truth.js";
import { SPHERES } from "../fixtures/volume-phantoms.js";
import { REPO_ROOT } from "../support/hilum.js";
import {
  type MprSession,
  type View,
  encodePng,
  mpr,
  openVolume,
  screenOf,
  startMprSession,
  until,
  viewPixels,
  viewRgba,
} from "./mpr-support.js";

const USER = { username: "volume", password: "render-the-volume-1" };
const GOLDEN_DIR = join(REPO_ROOT, "test/e2e/golden");
const RENDERER_FILE = join(GOLDEN_DIR, "RENDERER.txt");
const SCREENSHOTS = join(REPO_ROOT, "docs/screenshots");
/** A pixel differs when a channel is off by more than this; an image matches when at most MAX_DIFFERING of its pixels differ. */
const PIXEL_TOLERANCE = 16;
const MAX_DIFFERING = 0.005;

let session: MprSession;

beforeAll(async () => {
  session = await startMprSession(USER);
}, 300_000);

afterAll(async () => {
  await session?.close();
});

function brightCount(image: { data: Uint8Array }, from = 0, to = Infinity, width = Infinity): number {
  let n = 0;
  image.data.forEach((v, i) => {
    const x = i % width;
    if (v > 60 && x >= from && x < to) n++;
  });
  return n;
}

async function webglRenderer(): Promise<string> {
  return (await session.page.evaluate(`(() => {
    const gl = document.createElement("canvas").getContext("webgl2");
    const info = gl && gl.getExtension("WEBGL_debug_renderer_info");
    return info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : "unknown";
  })()`)) as string;
}

/** Compares a view with its golden image (or writes it), and saves it for the docs. */
async function golden(name: string, view: View | "3d", docs: string): Promise<void> {
  const shot = await viewRgba(session.page, view);
  const png = encodePng(shot.width, shot.height, shot.rgba);
  mkdirSync(SCREENSHOTS, { recursive: true });
  writeFileSync(join(SCREENSHOTS, docs), png);
  const file = join(GOLDEN_DIR, `${name}.png`);
  const renderer = await webglRenderer();
  if (process.env.HILUM_UPDATE_GOLDEN === "1" || !existsSync(file)) {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(file, png);
    writeFileSync(RENDERER_FILE, `${renderer}\n`);
    return;
  }
  if (readFileSync(RENDERER_FILE, "utf8").trim() !== renderer) {
    console.warn(`golden ${name}: made with another WebGL renderer, not compared on ${renderer}`);
    return;
  }
  const truth = decodePng(readFileSync(file));
  expect([shot.width, shot.height]).toEqual([truth.width, truth.height]);
  let differing = 0;
  for (let p = 0; p < truth.width * truth.height; p++) {
    for (let c = 0; c < 3; c++) {
      if (Math.abs(shot.rgba[p * 4 + c]! - truth.data[p * truth.channels + c]!) > PIXEL_TOLERANCE) {
        differing++;
        break;
      }
    }
  }
  expect(differing / (truth.width * truth.height), `${name}: ${differing} pixels differ`).toBeLessThanOrEqual(
    MAX_DIFFERING,
  );
}

describe("streaming", () => {
  it("draws and moves the crosshair while the series is still arriving", { timeout: 120_000 }, async () => {
    const { page } = session;
    // Hold every frame response back a little, so the series takes seconds to arrive.
    await page.route("**/frames/**", async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 120));
      await route.continue().catch(() => undefined); // the page may have moved on
    });
    try {
      const uid = session.phantoms.series.spheres.seriesInstanceUid;
      await page.locator(`nav.strip button[data-series-uid="${uid}"]`).click();
      await until(async () =>
        Boolean(await page.evaluate(`globalThis.hilumViewer?.slots()[0]?.sopInstanceUid !== undefined`)),
      );
      await page.keyboard.press("Shift+M");
      await until(async () => Boolean(await page.evaluate(`(globalThis.hilumMpr?.fill().filled ?? 0) > 0`)));
      // The middle slice is in first: the axial view through it shows sphere 0 at once.
      const sphere = SPHERES[0]!;
      await mpr(page, `setCenter(${JSON.stringify([sphere.center[0], sphere.center[1], 0.5])})`);
      await mpr(page, "setVoi(200, 400)");
      const axial = await viewPixels(page, "axial");
      const fill = await mpr<{ filled: number; total: number }>(page, "fill()");
      expect(fill.filled).toBeLessThan(fill.total);
      expect(brightCount(axial)).toBeGreaterThan(100);
      await until(async () =>
        Boolean(
          await page.evaluate(
            `(() => { const f = globalThis.hilumMpr.fill(); return f.filled === f.total; })()`,
          ),
        ),
      );
      const timings = await mpr<{ opened: number; interactive: number; filled: number }>(page, "timings");
      expect(timings.interactive).toBeLessThan(timings.filled);
      // The slices that came after the texture was made went up alone (texSubImage3D of what arrived), and
      // in the right place: sphere 1, far from the middle slice that came first, is where it should be.
      const uploads = await mpr<{ direct: number; vtk: number }>(page, "uploads()");
      expect(uploads.direct).toBeGreaterThan(0);
      const far = SPHERES[1]!;
      await mpr(page, `setCenter(${JSON.stringify(far.center)})`);
      for (const view of ["axial", "coronal", "sagittal"] as const) {
        const pixels = await viewPixels(page, view);
        const centre = await screenOf(page, view, far.center);
        const at = Math.round(centre.y) * pixels.width + Math.round(centre.x);
        expect(pixels.data[at], view).toBeGreaterThan(200);
        expect(brightCount(pixels), view).toBeGreaterThan(100);
      }
    } finally {
      await page.unroute("**/frames/**");
    }
  });
});

/** Ray casting on SwiftShader costs seconds a frame at full window size: the 3D tests use a smaller window. */
const SMALL = { width: 720, height: 560 };

describe("3D", () => {
  beforeAll(async () => {
    await session.page.setViewportSize(SMALL);
    await openVolume(session, "spheres", "3d");
  }, 120_000);

  it("renders every preset", async () => {
    for (const preset of ["CT bone", "CT soft tissue", "CT lung", "CT angio", "MIP"]) {
      await mpr(session.page, `setPreset(${JSON.stringify(preset)})`);
      const image = await viewPixels(session.page, "3d");
      // Lung shows only air (none here): the rest draw the water cube or the spheres.
      if (preset !== "CT lung") expect(image.data.filter((v) => v > 10).length, preset).toBeGreaterThan(500);
    }
  });

  it("clips away what is outside the clipping box", async () => {
    const { page } = session;
    await mpr(page, 'setPreset("MIP")');
    // Seen from the front, the patient's left (x > 0: sphere 1) is on the right half of the view.
    const before = await viewPixels(page, "3d");
    const half = before.width / 2;
    expect(brightCount(before, half, Infinity, before.width)).toBeGreaterThan(200);
    await mpr(page, "setClip({ i: [0, 0.5], j: [0, 1], k: [0, 1] })");
    const after = await viewPixels(page, "3d");
    expect(brightCount(after, half + 10, Infinity, after.width)).toBe(0);
    expect(brightCount(after, 0, half - 10, after.width)).toBeGreaterThan(200);
    await mpr(page, "setClip({ i: [0, 1], j: [0, 1], k: [0, 1] })");
  });

  it("turns with the mouse at a coarser sampling and refines when still", async () => {
    const { page } = session;
    await mpr(page, 'setPreset("CT bone")');
    const before = await viewPixels(page, "3d");
    const box = (await page.locator('.workspace .cell[data-view="3d"]').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 60, box.y + box.height / 2, { steps: 3 });
    expect((await mpr<{ quality: string }>(page, "state()")).quality).toBe("interactive");
    await page.mouse.move(box.x + box.width / 2 + 120, box.y + box.height / 2, { steps: 3 });
    await page.mouse.up();
    await until(async () => (await mpr<{ quality: string }>(page, "state()")).quality === "still", 30_000);
    const after = await viewPixels(page, "3d");
    let changed = 0;
    before.data.forEach((v, i) => Math.abs(v - after.data[i]!) > 30 && changed++);
    expect(changed).toBeGreaterThan(500);
    await page.keyboard.press("r");
  });
});

describe("golden screenshots", () => {
  it("MPR views of the sphere phantom", { timeout: 120_000 }, async () => {
    const { page } = session;
    await page.setViewportSize({ width: 1280, height: 900 });
    await openVolume(session, "spheres", "mpr");
    await mpr(page, `setCenter(${JSON.stringify(SPHERES[0]!.center)})`);
    await mpr(page, "setVoi(200, 800)");
    for (const view of ["axial", "coronal", "sagittal"] as const)
      await golden(`mpr-${view}`, view, `mpr-${view}.png`);
  });

  it("3D views of the sphere phantom", { timeout: 120_000 }, async () => {
    const { page } = session;
    await page.setViewportSize(SMALL);
    await page.locator('button[data-mode-button="3d"]').click();
    await mpr(page, 'setPreset("CT bone")');
    await golden("3d-bone", "3d", "3d-bone.png");
    await mpr(page, 'setPreset("MIP")');
    await golden("3d-mip", "3d", "3d-mip.png");
    expect(session.errors).toEqual([]);
  });
});
