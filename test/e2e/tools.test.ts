/**
 * Tools, measurements and overlays in real Chromium against a real node, on generated phantoms
 * (test/fixtures/phantom.ts: a 50.0 mm square of 120 HU at 0.5 mm pixels) and a small CT stack:
 * - the length tool dragged across the square, edge to edge as rendered, reads 50.0 ± 0.5 mm; the rectangle
 *   ROI inside it reads 120.0 HU; both are saved, survive a reload, and delete + Ctrl+Z work;
 * - orientation markers for axial, coronal, sagittal and a double-oblique image, after rotate and flips,
 *   agree with where the image's corner notch is actually drawn;
 * - ImagerPixelSpacing says "not calibrated at patient", no spacing measures in pixels, LOSSY shows;
 * - a viewer-role user can draw but not save: the API says 403 and the UI says so;
 * - stack scrolling (wheel, keys, scroll bar, cine), window/level, zoom and pan drags, presets, and the view
 *   commands; the corner text.
 */
import { dirname } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateCtSeries } from "../fixtures/ct-series.js";
import { generatePhantom, type Phantom, type PhantomPlane } from "../fixtures/phantom.js";
import { launchBrowser } from "../support/browser.js";
import { scratchDir, startTestNode, type TestNode } from "../support/hilum.js";
import { storescu } from "../support/peers.js";

const PASSWORD = "tools-test-password-1";

interface SlotReport {
  slot: number;
  seriesInstanceUid?: string;
  index?: number;
  length?: number;
  sopInstanceUid?: string;
  voi?: { center: number; width: number; fn: string };
  progress?: { done: boolean };
}

interface Transform {
  scale: number;
  center: { x: number; y: number };
  rotation: number;
  flipHorizontal: boolean;
  flipVertical: boolean;
  invert: boolean;
}

async function slots(page: Page): Promise<SlotReport[]> {
  return page.evaluate("globalThis.hilumViewer ? globalThis.hilumViewer.slots() : []") as Promise<
    SlotReport[]
  >;
}

async function until(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Opens a study and waits until `count` viewports show a loaded image. */
async function open(page: Page, base: string, studyUid: string, count: number): Promise<void> {
  await page.goto(`${base}/#/study/${studyUid}`);
  await until(
    async () => (await slots(page)).filter((s) => s.progress?.done && s.sopInstanceUid).length === count,
  );
  await until(async () => (await page.evaluate(readyScript(count))) as boolean);
}

function readyScript(count: number): string {
  return `(() => { const v = globalThis.hilumViewer; if (!v) return false;
    for (let i = 0; i < ${count}; i++) { const vp = v.viewport(i); if (!vp || !vp.ready) return false; }
    return true; })()`;
}

const viewportSelector = (slot: number) => `section.frame[data-slot="${slot}"] .hilum-viewport`;

async function box(
  page: Page,
  slot: number,
): Promise<{ x: number; y: number; width: number; height: number }> {
  const found = await page.locator(viewportSelector(slot)).boundingBox();
  if (!found) throw new Error(`no viewport in slot ${slot}`);
  return found;
}

async function transformOf(page: Page, slot: number): Promise<Transform> {
  return page.evaluate(`globalThis.hilumViewer.viewport(${slot}).transform`) as Promise<Transform>;
}

async function viewState(page: Page, slot: number): Promise<{ index: number; voi: SlotReport["voi"] }> {
  return page.evaluate(
    `(() => { const vp = globalThis.hilumViewer.viewport(${slot}); return { index: vp.index, voi: vp.voi }; })()`,
  ) as Promise<{ index: number; voi: SlotReport["voi"] }>;
}

/**
 * Where the image's bright things are on screen, from the drawn pixels (the image canvas, device pixels =
 * CSS pixels at deviceScaleFactor 1): the square's edges along the middle row and column (grey above half
 * of the square's level), and the centroid of the white notch.
 */
interface Drawn {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
  notch: { x: number; y: number } | undefined;
}

async function drawn(page: Page, slot: number): Promise<Drawn> {
  return page.evaluate(`(() => {
    const p = globalThis.hilumViewer.viewport(${slot}).readPixels();
    const at = (x, y) => p.data[(y * p.width + x) * 4];
    const midY = Math.floor(p.height / 2), midX = Math.floor(p.width / 2);
    let left = -1, right = -1, top = -1, bottom = -1;
    for (let x = 0; x < p.width; x++) if (at(x, midY) > 90 && at(x, midY) < 240) { if (left < 0) left = x; right = x; }
    for (let y = 0; y < p.height; y++) if (at(midX, y) > 90 && at(midX, y) < 240) { if (top < 0) top = y; bottom = y; }
    let sx = 0, sy = 0, n = 0;
    for (let y = 0; y < p.height; y++) for (let x = 0; x < p.width; x++) if (at(x, y) >= 250) { sx += x; sy += y; n++; }
    return { width: p.width, height: p.height, left, right: right + 1, top, bottom: bottom + 1,
      notch: n ? { x: sx / n, y: sy / n } : undefined };
  })()`) as Promise<Drawn>;
}

async function drag(
  page: Page,
  slot: number,
  from: { x: number; y: number },
  to: { x: number; y: number },
  button: "left" | "right" | "middle" = "left",
): Promise<void> {
  const b = await box(page, slot);
  await page.mouse.move(b.x + from.x, b.y + from.y);
  await page.mouse.down({ button });
  await page.mouse.move(b.x + (from.x + to.x) / 2, b.y + (from.y + to.y) / 2, { steps: 3 });
  await page.mouse.move(b.x + to.x, b.y + to.y, { steps: 3 });
  await page.mouse.up({ button });
}

async function markers(page: Page, slot: number): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const edge of ["top", "right", "bottom", "left"]) {
    out[edge] =
      (await page.locator(`${viewportSelector(slot)} [data-marker="${edge}"]`).textContent())?.trim() ?? "";
  }
  return out;
}

function labels(page: Page, slot: number, kind?: string) {
  return page.locator(`${viewportSelector(slot)} .label${kind ? `[data-kind="${kind}"]` : ""}`);
}

async function tool(page: Page, id: string): Promise<void> {
  await page.locator(`.tools button[data-tool="${id}"]`).click();
}

describe("tools, measurements and overlays", () => {
  let browser: Browser;
  let hilum: TestNode;
  let base: string;
  let radiologist: BrowserContext;
  let viewer: BrowserContext;
  let page: Page;
  const errors: string[] = [];

  let measure: Phantom;
  const planes = {} as Record<PhantomPlane, Phantom>;
  let planesStudy: string;
  let detector: Phantom;
  let uncalibrated: Phantom;
  let stackStudy: string;

  async function login(context: BrowserContext, username: string): Promise<Page> {
    const p = await context.newPage();
    p.on("console", (message) => {
      // The browser logs the refused save of the viewer-role test; that refusal is what it checks.
      if (message.type() === "error" && !/status of 403/.test(message.text()))
        errors.push(`${username}: ${message.text()}`);
    });
    p.on("pageerror", (error) => errors.push(`${username}: ${error.message}`));
    // Answers that failed (other than the 403 the viewer test provokes) are errors too, with their URL.
    p.on("response", (response) => {
      if (response.status() >= 400 && response.status() !== 403) {
        errors.push(`${username}: ${response.status()} ${response.request().method()} ${response.url()}`);
      }
    });
    const answer = await p.request.post(`${base}/api/login`, { data: { username, password: PASSWORD } });
    expect(answer.status()).toBe(200);
    return p;
  }

  async function stored(studyUid: string, p: Page = page): Promise<Array<{ id: string; kind: string }>> {
    const answer = await p.request.get(`${base}/api/studies/${studyUid}/measurements`);
    expect(answer.status()).toBe(200);
    return ((await answer.json()) as { measurements: Array<{ id: string; kind: string }> }).measurements;
  }

  beforeAll(async () => {
    const dir = scratchDir("tools-e2e");
    measure = generatePhantom({ dir, seed: "tools-measure" });
    planesStudy = generatePhantom({ dir, seed: "tools-planes-axial", plane: "axial" }).studyInstanceUid;
    (["axial", "coronal", "sagittal", "oblique"] as const).forEach((plane, i) => {
      planes[plane] = generatePhantom({
        dir,
        seed: `tools-planes-${plane}`,
        plane,
        studyInstanceUid: planesStudy,
        seriesNumber: i + 1,
        patientName: "Planes^Orient",
        patientId: "ORIENT01",
      });
    });
    detector = generatePhantom({
      dir,
      seed: "tools-detector",
      calibration: "ImagerPixelSpacing",
      lossy: true,
    });
    uncalibrated = generatePhantom({
      dir,
      seed: "tools-uncalibrated",
      calibration: "none",
      studyInstanceUid: detector.studyInstanceUid,
      seriesNumber: 2,
    });
    const ct = generateCtSeries({
      dir: `${dir}/stack`,
      slices: 20,
      rows: 64,
      columns: 64,
      patientName: "Stack^Tools",
      patientId: "STACK01",
      seed: "tools-stack",
    });
    stackStudy = ct.studyInstanceUid;

    [browser, hilum] = await Promise.all([launchBrowser(), startTestNode()]);
    base = hilum.node.http.url;
    const files = [measure, ...Object.values(planes), detector, uncalibrated].map((p) => p.file);
    const sent = await storescu(hilum.target, [...files, dirname(ct.files[0]!)]);
    expect(sent.code, sent.stderr).toBe(0);

    const setup = await fetch(`${base}/api/setup`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: PASSWORD }),
    });
    expect(setup.status).toBe(201);
    const { token } = (await setup.json()) as { token: string };
    for (const role of ["radiologist", "viewer"]) {
      const made = await fetch(`${base}/api/users`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ username: role, password: PASSWORD, role }),
      });
      expect(made.status).toBe(201);
    }
    const options = { viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 };
    [radiologist, viewer] = await Promise.all([browser.newContext(options), browser.newContext(options)]);
    page = await login(radiologist, "radiologist");
  });

  afterAll(async () => {
    await radiologist?.close();
    await viewer?.close();
    await browser?.close();
    await hilum?.close();
  });

  describe("measurements on the phantom", () => {
    let lengthId: string;

    it("reads the 50.0 mm square as 50.0 ± 0.5 mm with the length tool", async () => {
      await open(page, base, measure.studyInstanceUid, 1);
      const d = await drawn(page, 0);
      expect(d.right - d.left).toBeGreaterThan(150); // the square is drawn large enough to measure
      const y = (d.top + d.bottom) / 2;
      await tool(page, "length");
      await drag(page, 0, { x: d.left, y }, { x: d.right, y });
      const label = labels(page, 0, "length");
      await expect.poll(() => label.count()).toBe(1);
      const text = (await label.locator(".reading").first().textContent())!;
      const match = /^(\d+\.\d) mm$/.exec(text.trim());
      expect(match, text).not.toBeNull();
      expect(Math.abs(Number(match![1]) - 50)).toBeLessThanOrEqual(0.5);
      expect(await label.locator(".notice").count()).toBe(0);
      lengthId = (await label.getAttribute("data-measurement-id"))!;
      await expect.poll(() => label.getAttribute("data-save-state")).toBe("saved");
      expect((await stored(measure.studyInstanceUid)).map((m) => m.id)).toContain(lengthId);
    });

    it("reads the square's HU with the rectangle ROI, and its area in mm²", async () => {
      const d = await drawn(page, 0);
      const inset = (d.right - d.left) * 0.2;
      await tool(page, "rectangle");
      await drag(
        page,
        0,
        { x: d.left + inset, y: d.top + inset },
        { x: d.right - inset, y: d.bottom - inset },
      );
      const label = labels(page, 0, "rectangle");
      await expect.poll(() => label.count()).toBe(1);
      const lines = await label.locator(".reading").allTextContents();
      expect(lines[0]).toBe(`Mean ${measure.squareHu.toFixed(1)} HU  SD 0.0`);
      expect(lines[1]).toBe(`Min ${measure.squareHu}  Max ${measure.squareHu}`);
      // 60% of 50 mm each way: 900 mm², within the drag's pixel rounding.
      const area = Number(/^Area (\d+\.\d) mm²$/.exec(lines[2]!)?.[1]);
      expect(Math.abs(area - 900)).toBeLessThan(25);
      await expect.poll(() => label.getAttribute("data-save-state")).toBe("saved");
    });

    it("reads HU at the pointer with the probe", async () => {
      const d = await drawn(page, 0);
      const b = await box(page, 0);
      await tool(page, "probe");
      await page.mouse.move(b.x + (d.left + d.right) / 2, b.y + (d.top + d.bottom) / 2);
      await expect
        .poll(() => page.locator(`${viewportSelector(0)} [data-testid="probe-readout"]`).textContent())
        .toContain(`${measure.squareHu} HU`);
      await page.mouse.move(b.x + d.left - 20, b.y + (d.top + d.bottom) / 2);
      await expect
        .poll(() => page.locator(`${viewportSelector(0)} [data-testid="probe-readout"]`).textContent())
        .toContain(`${measure.backgroundHu} HU`);
    });

    it("shows the measurements again after a reload", async () => {
      const before = await labels(page, 0).evaluateAll((els) =>
        els.map((el) => (el as unknown as { textContent: string }).textContent.trim()),
      );
      expect(before).toHaveLength(2);
      await page.reload();
      await until(async () => (await page.evaluate(readyScript(1))) as boolean);
      // The ROI's statistics come with the pixels, on the redraw after they arrive.
      await expect
        .poll(async () =>
          (
            await labels(page, 0).evaluateAll((els) =>
              els.map((el) => (el as unknown as { textContent: string }).textContent.trim()),
            )
          ).sort(),
        )
        .toEqual(before.sort());
      expect(await labels(page, 0, "length").getAttribute("data-measurement-id")).toBe(lengthId);
    });

    it("deletes the selected measurement with Delete and brings it back with Ctrl+Z", async () => {
      const d = await drawn(page, 0);
      await tool(page, "window");
      // A click on the line selects it (whatever the tool).
      const y = (d.top + d.bottom) / 2;
      const b = await box(page, 0);
      await page.mouse.click(b.x + (d.left + d.right) / 2, b.y + y);
      await expect.poll(() => labels(page, 0, "length").getAttribute("class")).toMatch(/selected/);
      await page.keyboard.press("Delete");
      await expect.poll(() => labels(page, 0, "length").count()).toBe(0);
      await expect
        .poll(async () => (await stored(measure.studyInstanceUid)).map((m) => m.id))
        .not.toContain(lengthId);
      await page.keyboard.press("Control+z");
      await expect.poll(() => labels(page, 0, "length").count()).toBe(1);
      await expect
        .poll(async () => (await stored(measure.studyInstanceUid)).map((m) => m.id))
        .toContain(lengthId);
      expect(await labels(page, 0, "length").getAttribute("data-measurement-id")).toBe(lengthId);
    });

    it("moves a handle, saving the new length, and Ctrl+Z puts it back", async () => {
      const d = await drawn(page, 0);
      const y = (d.top + d.bottom) / 2;
      const label = labels(page, 0, "length");
      const reading = async () =>
        Number(/([\d.]+) mm/.exec((await label.locator(".reading").textContent())!)![1]);
      const before = await reading();
      // Drag the right end half-way back across the square.
      await drag(page, 0, { x: d.right, y }, { x: (d.left + d.right) / 2, y });
      await expect.poll(reading).toBeCloseTo(before / 2, 0);
      await expect.poll(() => label.getAttribute("data-save-state")).toBe("saved");
      await page.keyboard.press("Control+z");
      await expect.poll(reading).toBe(before);
    });

    it("lets a viewer-role user draw but not save: the API says 403 and the UI says so", async () => {
      const p = await login(viewer, "viewer");
      try {
        await open(p, base, measure.studyInstanceUid, 1);
        // The radiologist's measurements are there for every reader.
        await expect.poll(() => labels(p, 0).count()).toBe(2);
        const d = await drawn(p, 0);
        await p.locator('.tools button[data-tool="length"]').click();
        await drag(p, 0, { x: d.left, y: d.top + 10 }, { x: d.right, y: d.top + 10 });
        const mine = p.locator(`${viewportSelector(0)} .label[data-save-state="not-saved"]`);
        await expect.poll(() => mine.count()).toBe(1);
        await expect.poll(() => mine.textContent()).toContain("not saved");
        const notice = p.locator(`${viewportSelector(0)} [data-testid="measurement-notice"]`);
        await expect.poll(() => notice.textContent()).toMatch(/your role may not save measurements.*403/);
        const forced = await p.request.put(
          `${base}/api/instances/${measure.sopInstanceUid}/measurements/forced-by-viewer`,
          {
            data: {
              kind: "length",
              points: [
                { x: 1, y: 1 },
                { x: 9, y: 9 },
              ],
            },
          },
        );
        expect(forced.status()).toBe(403);
        expect((await stored(measure.studyInstanceUid, p)).map((m) => m.id)).not.toContain(
          "forced-by-viewer",
        );
        expect(await stored(measure.studyInstanceUid, p)).toHaveLength(2);
      } finally {
        await p.close();
      }
    });

    it("draws angles, Cobb angles, ellipse ROIs, arrows and text, and saves every kind", async () => {
      const d = await drawn(page, 0);
      const c = { x: (d.left + d.right) / 2, y: (d.top + d.bottom) / 2 };
      const b = await box(page, 0);
      const reading = async (kind: string) =>
        (await labels(page, 0, kind).locator(".reading").first().textContent())!;

      await tool(page, "angle");
      await drag(page, 0, { x: c.x + 100, y: c.y + 60 }, { x: c.x, y: c.y + 60 });
      await page.mouse.move(b.x + c.x + 30, b.y + c.y + 10, { steps: 3 });
      await page.mouse.click(b.x + c.x, b.y + c.y - 40);
      await expect.poll(() => reading("angle")).toBe("90.0°");

      await tool(page, "cobb");
      await drag(page, 0, { x: c.x - 100, y: c.y - 90 }, { x: c.x + 100, y: c.y - 90 });
      const rise = 200 * Math.tan((30 * Math.PI) / 180);
      await drag(page, 0, { x: c.x - 100, y: c.y + 100 }, { x: c.x + 100, y: c.y + 100 - rise });
      await expect
        .poll(async () => Math.abs(Number(/Cobb ([\d.]+)°/.exec(await reading("cobb"))![1]) - 30))
        .toBeLessThan(0.5);

      await tool(page, "ellipse");
      await drag(page, 0, { x: c.x - 50, y: c.y - 30 }, { x: c.x + 50, y: c.y + 30 });
      await expect.poll(() => reading("ellipse")).toBe(`Mean ${measure.squareHu.toFixed(1)} HU  SD 0.0`);

      await tool(page, "arrow");
      await drag(page, 0, { x: 40, y: 40 }, { x: d.left - 5, y: d.top - 5 });

      await tool(page, "text");
      await page.mouse.click(b.x + 40, b.y + b.height - 120);
      const input = page.locator(`${viewportSelector(0)} input[aria-label="Annotation text"]`);
      await expect.poll(() => input.count()).toBe(1);
      await page.keyboard.type("cyst?");
      await page.keyboard.press("Enter");
      await expect.poll(() => reading("text")).toBe("cyst?");

      await tool(page, "probe");
      await page.mouse.click(b.x + c.x + 30, b.y + c.y - 60);
      await expect.poll(() => reading("probe")).toBe(`${measure.squareHu} HU`);

      await expect
        .poll(async () => (await stored(measure.studyInstanceUid)).map((m) => m.kind).sort())
        .toEqual(["angle", "arrow", "cobb", "ellipse", "length", "probe", "rectangle", "text"]);
      await tool(page, "window");
    });

    it("writes patient, study, series, slice, window and zoom in the corners, with a scale bar", async () => {
      const corner = (name: string) =>
        page.locator(`${viewportSelector(0)} [data-corner="${name}"] > div`).allTextContents();
      expect(await corner("top-left")).toEqual(["Phantom, Measure", "PHANTOM01", "1980-02-15 F"]);
      expect(await corner("top-right")).toEqual([
        "PHANTOM MEASUREMENTS",
        "2024-03-01 09:15",
        "Se 1 PHANTOM AXIAL",
      ]);
      const bottomLeft = await corner("bottom-left");
      expect(bottomLeft[0]).toBe("Im 1 (1/1)");
      expect(bottomLeft).toContain("Thick 2.5 mm");
      expect(bottomLeft.some((line) => /^Loc -?[\d.]+ mm$/.test(line))).toBe(true);
      const bottomRight = await corner("bottom-right");
      expect(bottomRight[0]).toBe("W 400 L 40");
      const t = await transformOf(page, 0);
      expect(bottomRight[1]).toBe(`Zoom ${Math.round(t.scale * 100)}%`);
      const bar = page.locator(`${viewportSelector(0)} [data-testid="scale-bar"]`);
      expect(await bar.getAttribute("data-mm")).toBe("50");
      expect(await bar.textContent()).toContain("5 cm");
      // 50 mm at 0.5 mm per pixel is 100 image pixels on screen.
      const width = (await bar.locator(".bar").boundingBox())!.width;
      expect(Math.abs(width - 100 * t.scale)).toBeLessThan(1.5);
      expect(await page.locator(`${viewportSelector(0)} [data-testid="lossy-warning"]`).count()).toBe(0);
    });
  });

  describe("orientation markers", () => {
    const expected: Record<PhantomPlane, Record<string, string>> = {
      axial: { top: "A", right: "L", bottom: "P", left: "R" },
      coronal: { top: "H", right: "L", bottom: "F", left: "R" },
      sagittal: { top: "H", right: "P", bottom: "F", left: "A" },
      oblique: { top: "ALH", right: "LP", bottom: "PRF", left: "RA" },
    };
    /** The notch sits at the image's top-left: its screen quadrant faces the image's top and left directions. */
    const notchFaces: Record<PhantomPlane, string[]> = {
      axial: ["A", "R"],
      coronal: ["H", "R"],
      sagittal: ["A", "H"],
      oblique: ["ALH", "RA"],
    };
    const slotOf = new Map<PhantomPlane, number>();

    async function notchAgrees(plane: PhantomPlane): Promise<void> {
      const slot = slotOf.get(plane)!;
      const d = await drawn(page, slot);
      const m = await markers(page, slot);
      const horizontal = d.notch!.y < d.height / 2 ? m.top : m.bottom;
      const vertical = d.notch!.x < d.width / 2 ? m.left : m.right;
      expect([horizontal, vertical].sort()).toEqual([...notchFaces[plane]].sort());
    }

    it("reads L/R/A/P/H/F on all four edges of axial, coronal, sagittal and oblique images", async () => {
      await open(page, base, planesStudy, 4);
      const shown = await slots(page);
      for (const plane of Object.keys(planes) as PhantomPlane[]) {
        const slot = shown.find((s) => s.seriesInstanceUid === planes[plane].seriesInstanceUid)!.slot;
        slotOf.set(plane, slot);
        expect(await markers(page, slot), plane).toEqual(expected[plane]);
        await notchAgrees(plane);
      }
    });

    it("follows rotation and flips, as the pixels do", async () => {
      const slot = slotOf.get("axial")!;
      const b = await box(page, slot);
      await page.mouse.click(b.x + 20, b.y + b.height - 20); // activate
      await page.keyboard.press("r");
      await expect.poll(() => markers(page, slot)).toEqual({ top: "R", right: "A", bottom: "L", left: "P" });
      await notchAgrees("axial");
      await page.locator('.tools button[data-command="flip-h"]').click();
      await expect.poll(() => markers(page, slot)).toEqual({ top: "R", right: "P", bottom: "L", left: "A" });
      await notchAgrees("axial");
      await page.keyboard.press("v");
      await expect.poll(() => markers(page, slot)).toEqual({ top: "L", right: "P", bottom: "R", left: "A" });
      await notchAgrees("axial");
      await page.keyboard.press("x");
      await expect.poll(() => markers(page, slot)).toEqual(expected.axial);

      const oblique = slotOf.get("oblique")!;
      const ob = await box(page, oblique);
      await page.mouse.click(ob.x + 20, ob.y + ob.height - 20);
      await page.locator('.tools button[data-command="flip-v"]').click();
      await expect
        .poll(() => markers(page, oblique))
        .toEqual({ top: "PRF", right: "LP", bottom: "ALH", left: "RA" });
      await notchAgrees("oblique");
      await page.locator('.tools button[data-command="rotate-ccw"]').click();
      await expect
        .poll(() => markers(page, oblique))
        .toEqual({ top: "LP", right: "ALH", bottom: "RA", left: "PRF" });
      await notchAgrees("oblique");
      const sagittal = slotOf.get("sagittal")!;
      const sb = await box(page, sagittal);
      await page.mouse.click(sb.x + 20, sb.y + sb.height - 20);
      await page.keyboard.press("h");
      await expect
        .poll(() => markers(page, sagittal))
        .toEqual({ top: "H", right: "A", bottom: "F", left: "P" });
      await notchAgrees("sagittal");
    });
  });

  describe("calibration and compression", () => {
    it("measures in mm 'not calibrated at patient' from ImagerPixelSpacing, in pixels without spacing, and warns LOSSY", async () => {
      await open(page, base, detector.studyInstanceUid, 2);
      const shown = await slots(page);
      const slotOf = (p: Phantom) => shown.find((s) => s.seriesInstanceUid === p.seriesInstanceUid)!.slot;
      const cr = slotOf(detector);
      const ot = slotOf(uncalibrated);
      await tool(page, "length");
      for (const slot of [cr, ot]) {
        const d = await drawn(page, slot);
        const y = (d.top + d.bottom) / 2;
        await drag(page, slot, { x: d.left, y }, { x: d.right, y });
      }
      const crLabel = labels(page, cr, "length");
      await expect.poll(() => crLabel.count()).toBe(1);
      expect(
        Math.abs(Number(/([\d.]+) mm/.exec((await crLabel.locator(".reading").textContent())!)![1]) - 50),
      ).toBeLessThanOrEqual(0.5);
      expect(await crLabel.locator(".notice").textContent()).toBe("not calibrated at patient");
      const otLabel = labels(page, ot, "length");
      await expect.poll(() => otLabel.count()).toBe(1);
      const px = Number(/^([\d.]+) px$/.exec((await otLabel.locator(".reading").textContent())!.trim())![1]);
      expect(Math.abs(px - 100)).toBeLessThanOrEqual(1);
      expect(await otLabel.locator(".notice").textContent()).toMatch(/pixels/);

      const lossy = (slot: number) => page.locator(`${viewportSelector(slot)} [data-testid="lossy-warning"]`);
      expect(await lossy(cr).textContent()).toContain("LOSSY");
      expect(await lossy(ot).count()).toBe(0);
      expect(await page.locator(`${viewportSelector(cr)} [data-testid="scale-bar"]`).textContent()).toContain(
        "detector",
      );
      expect(await page.locator(`${viewportSelector(ot)} [data-testid="scale-bar"]`).count()).toBe(0);
    });
  });

  describe("view tools on a stack", () => {
    it("scrolls with the wheel, the keys and the scroll bar, and plays cine", async () => {
      await open(page, base, stackStudy, 1);
      await tool(page, "window");
      const b = await box(page, 0);
      await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2);
      const start = (await viewState(page, 0)).index;
      for (let i = 0; i < 3; i++) await page.mouse.wheel(0, 100);
      await expect.poll(async () => (await viewState(page, 0)).index).toBe(start + 3);
      await page.mouse.wheel(0, -100);
      await expect.poll(async () => (await viewState(page, 0)).index).toBe(start + 2);
      await page.mouse.click(b.x + b.width / 2, b.y + b.height / 2);
      for (const [key, index] of [
        ["End", 19],
        ["Home", 0],
        ["PageDown", 10],
        ["ArrowDown", 11],
        ["ArrowUp", 10],
      ] as const) {
        await page.keyboard.press(key);
        await expect.poll(async () => (await viewState(page, 0)).index, { message: key }).toBe(index);
      }
      const bar = page.locator(`${viewportSelector(0)} [data-testid="stack-scrollbar"]`);
      const barBox = (await bar.boundingBox())!;
      await page.mouse.click(barBox.x + barBox.width / 2, barBox.y + barBox.height - 1);
      await expect.poll(async () => (await viewState(page, 0)).index).toBe(19);
      await expect.poll(() => bar.getAttribute("aria-valuenow")).toBe("20");
      await expect
        .poll(() =>
          page
            .locator(`${viewportSelector(0)} [data-corner="bottom-left"] > div`)
            .first()
            .textContent(),
        )
        .toBe("Im 20 (20/20)");

      await page.locator('.tools button[data-command="cine"]').click();
      const seen = new Set<number>();
      const deadline = Date.now() + 3000;
      while (seen.size < 4 && Date.now() < deadline) {
        seen.add((await viewState(page, 0)).index);
        await page.waitForTimeout(50);
      }
      expect(seen.size).toBeGreaterThanOrEqual(4);
      await page.locator('.tools button[data-command="cine"]').click();
      const stopped = (await viewState(page, 0)).index;
      await page.waitForTimeout(300);
      expect((await viewState(page, 0)).index).toBe(stopped);
    });

    it("windows with the left button, zooms with the right, pans with the middle, and applies presets", async () => {
      await tool(page, "window");
      const b = await box(page, 0);
      const c = { x: b.width / 2, y: b.height / 2 };
      const before = (await viewState(page, 0)).voi!;
      await drag(page, 0, c, { x: c.x + 64, y: c.y + 32 });
      const step = Math.max(1, before.width / 256);
      await expect
        .poll(async () => (await viewState(page, 0)).voi!.width)
        .toBeCloseTo(before.width + 64 * step, 6);
      expect((await viewState(page, 0)).voi!.center).toBeCloseTo(before.center + 32 * step, 6);
      const voi = (await viewState(page, 0)).voi!;
      await expect
        .poll(() =>
          page
            .locator(`${viewportSelector(0)} [data-corner="bottom-right"] > div`)
            .first()
            .textContent(),
        )
        .toBe(`W ${Math.round(voi.width)} L ${Math.round(voi.center)}`);

      await page.keyboard.press("3");
      await expect
        .poll(async () => (await viewState(page, 0)).voi)
        .toMatchObject({ center: -600, width: 1500 });

      const t0 = await transformOf(page, 0);
      await drag(page, 0, c, { x: c.x, y: c.y - 200 }, "right");
      await expect.poll(async () => (await transformOf(page, 0)).scale).toBeCloseTo(t0.scale * 2, 6);
      const t1 = await transformOf(page, 0);
      await drag(page, 0, c, { x: c.x + 40, y: c.y - 30 }, "middle");
      const t2 = await transformOf(page, 0);
      expect(t2.scale).toBe(t1.scale);
      expect(t2.center.x).toBeCloseTo(t1.center.x - 40 / t1.scale, 6);
      expect(t2.center.y).toBeCloseTo(t1.center.y + 30 / t1.scale, 6);
    });

    it("fits, shows 1:1, rotates, flips, inverts and resets from the toolbar", async () => {
      const command = (id: string) => page.locator(`.tools button[data-command="${id}"]`).click();
      await command("one-to-one");
      await expect.poll(async () => (await transformOf(page, 0)).scale).toBe(1);
      await command("fit");
      const fitted = await transformOf(page, 0);
      expect(fitted.center).toEqual({ x: 32, y: 32 });
      expect(fitted.scale).toBeGreaterThan(5);
      await command("rotate-cw");
      await command("rotate-cw");
      await command("flip-h");
      await command("invert");
      await expect
        .poll(() => transformOf(page, 0))
        .toMatchObject({ rotation: 180, flipHorizontal: true, flipVertical: false, invert: true });
      await command("reset");
      await expect
        .poll(() => transformOf(page, 0))
        .toMatchObject({
          rotation: 0,
          flipHorizontal: false,
          flipVertical: false,
          invert: false,
          scale: fitted.scale,
        });
      expect((await viewState(page, 0)).voi).toMatchObject({ center: 40, width: 400 });
      expect(errors).toEqual([]);
    });
  });
});
