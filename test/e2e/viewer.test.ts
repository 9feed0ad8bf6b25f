/**
 * The viewer page in real Chromium against a real node: layouts, the thumbnail strip (click and drag),
 * maximise, synchronised scrolling by position, synchronised window/level, reference lines, per-viewport
 * load progress — on a study of one phantom cut four ways in one frame of reference
 * (test/fixtures/planes-study.ts). Saves the 2×2 screenshot the README shows.
 */
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PlanesStudy, generatePlanesStudy } from "../fixtures/planes-study.js";
import { launchBrowser } from "../support/browser.js";
import { cachedFixture } from "../support/fixture-cache.js";
import { REPO_ROOT, type TestNode, startTestNode } from "../support/hilum.js";
import { storescu } from "../support/peers.js";

/** Polls wait this long: the machines these run on are shared and sometimes slow. */
const POLL = { timeout: 15_000, interval: 50 };
const USER = { username: "reader", password: "viewer-test-password-1" };
const SCREENSHOT = join(REPO_ROOT, "docs/screenshots/ct-2x2.png");

/** What `globalThis.hilumViewer.slots()` reports (renderer/src/components/viewer/diagnostics.ts). */
interface SlotReport {
  slot: number;
  seriesInstanceUid?: string;
  index?: number;
  length?: number;
  sopInstanceUid?: string;
  imagePositionPatient?: number[];
  voi?: { center: number; width: number; fn: string };
  referenceLine?: { x0: number; y0: number; x1: number; y1: number };
  progress?: { loaded: number; total: number; failed: number; done: boolean };
}

async function slots(page: Page): Promise<SlotReport[]> {
  return page.evaluate("globalThis.hilumViewer ? globalThis.hilumViewer.slots() : []") as Promise<
    SlotReport[]
  >;
}

/** Polls `check` until it holds (expect.poll is for inside tests; waitForFunction's string form meets the CSP). */
async function until(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function grid(page: Page): Promise<string | null> {
  return page.locator(".grid").getAttribute("data-layout");
}

/** Shows slice `index` in the viewport of `slot` (as the stack scroll tools do, through the ViewportApi). */
async function show(page: Page, slot: number, index: number): Promise<void> {
  await page.evaluate(`globalThis.hilumViewer.viewport(${slot}).show(${index})`);
}

async function setVoi(page: Page, slot: number, center: number, width: number): Promise<void> {
  await page.evaluate(
    `globalThis.hilumViewer.viewport(${slot}).voi = { center: ${center}, width: ${width}, fn: "LINEAR" }`,
  );
}

/** Activates a viewport the way a user does: a click on its image. */
async function activate(page: Page, slot: number): Promise<void> {
  await page.locator(`section.frame[data-slot="${slot}"] .image`).click();
  await expect.poll(() => page.evaluate("globalThis.hilumViewer.active"), POLL).toBe(slot);
}

describe("the viewer page", () => {
  let browser: Browser;
  let hilum: TestNode;
  let context: BrowserContext;
  let page: Page;
  let study: PlanesStudy;
  const errors: string[] = [];

  const seriesUid = (n: number) => study.series[n - 1]!.seriesInstanceUid;
  const z = (report: SlotReport) => report.imagePositionPatient![2]!;

  beforeAll(async () => {
    const fixture = await cachedFixture(
      "planes-study",
      { patientName: "Planes^Phantom", patientId: "PLANES1", seed: "viewer-e2e" },
      (dir) =>
        generatePlanesStudy({ dir, patientName: "Planes^Phantom", patientId: "PLANES1", seed: "viewer-e2e" }),
    );
    study = fixture.value;
    [browser, hilum] = await Promise.all([launchBrowser(), startTestNode()]);
    const stored = await storescu(
      hilum.target,
      study.series.map((series) => dirname(series.files[0]!)),
    );
    expect(stored.code, stored.stderr).toBe(0);
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
    page = await context.newPage();
    page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
    page.on("pageerror", (error) => errors.push(error.message));
    const setup = await page.request.post(`${hilum.node.http.url}/api/setup`, { data: USER });
    expect(setup.status()).toBe(201);
    await page.goto(`${hilum.node.http.url}/#/study/${study.studyInstanceUid}`);
    await until(
      async () => (await slots(page)).filter((s) => s.progress?.done && s.sopInstanceUid).length === 4,
    );
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await hilum?.close();
  });

  it("hangs the study's four series in a 2×2 layout with a thumbnail strip", async () => {
    expect(await grid(page)).toBe("2x2");
    const shown = await slots(page);
    expect(shown.map((s) => s.seriesInstanceUid)).toEqual([1, 2, 3, 4].map(seriesUid));
    expect(shown.map((s) => s.length)).toEqual(study.series.map((s) => s.files.length));
    const thumbnails = page.locator("nav.strip img");
    await expect.poll(() => thumbnails.count(), POLL).toBe(4);
    await expect
      .poll(
        () =>
          thumbnails.evaluateAll(
            (imgs) =>
              imgs.filter((img) => (img as unknown as { naturalWidth: number }).naturalWidth > 0).length,
          ),
        POLL,
      )
      .toBe(4);
    // Every slice carries its position; the first image appeared and every series loaded.
    expect(shown.every((s) => s.imagePositionPatient?.length === 3)).toBe(true);
    const marks = (await page.evaluate("globalThis.hilumViewer.marks")) as Record<string, number>;
    expect(marks.firstImage).toBeGreaterThan(marks.open!);
    expect(marks.seriesLoaded).toBeGreaterThanOrEqual(marks.firstImage!);
  });

  it("shows each viewport's load progress while its series streams in", async () => {
    // A fresh page: the progress bar is there before the series is loaded, and gone after.
    const fresh = await context.newPage();
    try {
      await fresh.goto(`${hilum.node.http.url}/#/study/${study.studyInstanceUid}`);
      const bars = fresh.locator('section.frame [role="progressbar"]');
      await expect.poll(() => bars.count(), { timeout: 15_000 }).toBeGreaterThan(0);
      const now = Number(await bars.first().getAttribute("aria-valuenow"));
      const max = Number(await bars.first().getAttribute("aria-valuemax"));
      expect(now).toBeLessThan(max);
      await expect.poll(() => bars.count(), { timeout: 30_000 }).toBe(0);
    } finally {
      await fresh.close();
    }
  });

  it("switches layouts and keeps every viewport's content", async () => {
    await show(page, 0, 7);
    await show(page, 3, 4);
    const before = await slots(page);
    await page.locator('.layout-picker button[data-layout="1×1"]').click();
    expect(await grid(page)).toBe("1x1");
    let now = await slots(page);
    expect(now).toHaveLength(1);
    expect(now[0]!.sopInstanceUid).toBe(before[0]!.sopInstanceUid);
    await page.locator('.layout-picker button[data-layout="1×2"]').click();
    expect(await grid(page)).toBe("1x2");
    await page.locator('.layout-picker button[data-layout="2×1"]').click();
    expect(await grid(page)).toBe("2x1");
    await page.locator('.layout-picker button[data-layout="3×3"]').click();
    expect(await grid(page)).toBe("3x3");
    await expect.poll(async () => (await slots(page)).filter((s) => s.sopInstanceUid).length, POLL).toBe(4);
    now = await slots(page);
    expect(now).toHaveLength(9);
    // The four series came back at the slices they showed, the other five cells are empty.
    expect(now.slice(0, 4).map((s) => s.sopInstanceUid)).toEqual(before.map((s) => s.sopInstanceUid));
    expect(now.slice(4).every((s) => s.seriesInstanceUid === undefined)).toBe(true);
    // A custom grid from the picker.
    await page.locator('.layout-picker button[data-layout="custom"]').click();
    await page.locator('.layout-picker .popover button[data-layout="2×3"]').click();
    expect(await grid(page)).toBe("2x3");
    expect(await page.locator("section.frame").count()).toBe(6);
    await page.locator('.layout-picker button[data-layout="2×2"]').click();
    await expect
      .poll(async () => (await slots(page)).map((s) => s.sopInstanceUid), POLL)
      .toEqual(before.map((s) => s.sopInstanceUid));
  });

  it("maximises a viewport on double-click and restores the grid on the next", async () => {
    const frame = page.locator('section.frame[data-slot="2"]');
    await frame.locator(".image").dblclick();
    await expect.poll(() => page.locator("section.frame:visible").count(), POLL).toBe(1);
    const box = (await frame.boundingBox())!;
    expect(box.width).toBeGreaterThan(1000);
    await frame.locator(".image").dblclick();
    await expect.poll(() => page.locator("section.frame:visible").count(), POLL).toBe(4);
    expect((await frame.boundingBox())!.width).toBeLessThan(700);
  });

  it("loads a series dragged from the strip into a viewport, or clicked into the active one", async () => {
    await page
      .locator(`nav.strip button[data-series-uid="${seriesUid(4)}"]`)
      .dragTo(page.locator('section.frame[data-slot="1"] .image'));
    await expect.poll(async () => (await slots(page))[1]!.seriesInstanceUid, POLL).toBe(seriesUid(4));
    expect(await page.evaluate("globalThis.hilumViewer.active")).toBe(1);
    expect(await page.locator('section.frame[data-slot="1"]').getAttribute("class")).toMatch(/\bactive\b/);
    await activate(page, 3);
    await page.locator(`nav.strip button[data-series-uid="${seriesUid(2)}"]`).click();
    await expect.poll(async () => (await slots(page))[3]!.seriesInstanceUid, POLL).toBe(seriesUid(2));
    // Back to the four series in order for the next tests.
    await page
      .locator(`nav.strip button[data-series-uid="${seriesUid(2)}"]`)
      .dragTo(page.locator('section.frame[data-slot="1"] .image'));
    await page
      .locator(`nav.strip button[data-series-uid="${seriesUid(4)}"]`)
      .dragTo(page.locator('section.frame[data-slot="3"] .image'));
    await expect
      .poll(async () => (await slots(page)).map((s) => s.seriesInstanceUid), POLL)
      .toEqual([1, 2, 3, 4].map(seriesUid));
    await expect.poll(async () => (await slots(page)).every((s) => s.progress?.done), POLL).toBe(true);
  });

  it("scrolls the other axial series to the slice nearest by position, not by index", async () => {
    const thin = study.series[1]!.positions.map((p) => p[2]);
    await activate(page, 0);
    const before = await slots(page);
    for (const index of [2, 9, 13, 20, 24]) {
      await show(page, 0, index);
      const sourceZ = study.series[0]!.positions[index]![2];
      const nearest = Math.min(...thin.map((t) => Math.abs(t - sourceZ)));
      await expect
        .poll(async () => Math.abs(z((await slots(page))[1]!) - sourceZ), POLL)
        .toBeCloseTo(nearest, 3);
      const now = await slots(page);
      expect(now[1]!.index).not.toBe(index); // positions differ from indices in this study
      // The coronal and sagittal series are perpendicular: they do not scroll.
      expect(now[2]!.sopInstanceUid).toBe(before[2]!.sopInstanceUid);
      expect(now[3]!.sopInstanceUid).toBe(before[3]!.sopInstanceUid);
    }
    // The mouse wheel (the stack scroll tool) drives it the same way.
    const image = page.locator('section.frame[data-slot="0"] .image');
    const box = (await image.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await show(page, 0, 12);
    const from = 12;
    await page.mouse.wheel(0, 120);
    await expect.poll(async () => (await slots(page))[0]!.index, POLL).not.toBe(from);
    const wheeled = await slots(page);
    const wheeledZ = z(wheeled[0]!);
    await expect
      .poll(async () => Math.abs(z((await slots(page))[1]!) - wheeledZ), POLL)
      .toBeCloseTo(Math.min(...thin.map((t) => Math.abs(t - wheeledZ))), 3);
    // Off: the other series stays where it is.
    await page.locator('button[data-sync="scroll"]').click();
    const held = (await slots(page))[1]!.sopInstanceUid;
    await show(page, 0, 3);
    await page.waitForTimeout(200);
    expect((await slots(page))[1]!.sopInstanceUid).toBe(held);
    await page.locator('button[data-sync="scroll"]').click(); // on again: aligned at once
    const sourceZ = study.series[0]!.positions[3]![2];
    await expect
      .poll(async () => Math.abs(z((await slots(page))[1]!) - sourceZ), POLL)
      .toBe(Math.min(...thin.map((t) => Math.abs(t - sourceZ))));
  });

  it("draws the active axial slice as a reference line on the coronal viewport at its z", async () => {
    await activate(page, 0);
    const coronal = study.series[2]!;
    const top = coronal.positions[0]![2]; // z of the first row's centre
    for (const index of [4, 16]) {
      await show(page, 0, index);
      const sliceZ = study.series[0]!.positions[index]![2];
      const expectedRow = (top - sliceZ) / coronal.pixelSpacing[0] + 0.5;
      await expect
        .poll(async () => (await slots(page))[2]!.referenceLine?.y0, POLL)
        .toBeCloseTo(expectedRow, 3);
      const line = (await slots(page))[2]!.referenceLine!;
      expect(line.y1).toBeCloseTo(expectedRow, 3);
      expect(Math.abs(line.x1 - line.x0)).toBeCloseTo(coronal.columns, 3);
      // And it is drawn: the overlay pixels along that row are the reference line's yellow.
      const canvasY = (await page.evaluate(
        `globalThis.hilumViewer.viewport(2).imageToCanvas({ x: ${coronal.columns / 2}, y: ${expectedRow} }).y`,
      )) as number;
      expect(await yellowAt(page, 2, canvasY)).toBe(true);
    }
    // Not on the other axial series (parallel), and none when turned off.
    expect((await slots(page))[1]!.referenceLine).toBeUndefined();
    await page.locator('button[data-sync="reference-lines"]').click();
    await expect.poll(async () => (await slots(page))[2]!.referenceLine, POLL).toBeUndefined();
    await page.locator('button[data-sync="reference-lines"]').click();
  });

  it("synchronises window/level when on, and not when off", async () => {
    await activate(page, 0);
    await setVoi(page, 0, -600, 1500);
    await expect
      .poll(async () => (await slots(page)).map((s) => [s.voi?.center, s.voi?.width]), POLL)
      .toEqual([...Array(4)].map(() => [-600, 1500]));
    await page.locator('button[data-sync="voi"]').click();
    await setVoi(page, 0, 400, 1800);
    await page.waitForTimeout(200);
    const now = await slots(page);
    expect([now[0]!.voi?.center, now[1]!.voi?.center]).toEqual([400, -600]);
    await page.locator('button[data-sync="voi"]').click();
    await expect.poll(async () => (await slots(page))[1]!.voi?.center, POLL).toBe(400);
  });

  it("saves the 2×2 screenshot for the README, without a console error", async () => {
    await activate(page, 0);
    await setVoi(page, 0, 40, 400);
    await show(page, 0, 8);
    await expect.poll(async () => (await slots(page))[2]!.referenceLine, POLL).toBeDefined();
    mkdirSync(join(REPO_ROOT, "docs/screenshots"), { recursive: true });
    await page.waitForTimeout(300);
    await page.screenshot({ path: SCREENSHOT });
    expect(errors).toEqual([]);
  });
});

/** Whether the overlay of `slot` has the reference line's yellow at canvas row `y` (CSS px), mid-width. */
async function yellowAt(page: Page, slot: number, y: number): Promise<boolean> {
  const image = page.locator(`section.frame[data-slot="${slot}"] .image`);
  const box = (await image.boundingBox())!;
  const shot = await page.screenshot({
    clip: { x: box.x + box.width / 2 - 20, y: box.y + Math.round(y) - 3, width: 40, height: 7 },
  });
  return (await page.evaluate(
    `(async () => {
      const bitmap = await createImageBitmap(new Blob([new Uint8Array(${JSON.stringify([...shot])})], { type: "image/png" }));
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const ctx = canvas.getContext("2d");
      ctx.drawImage(bitmap, 0, 0);
      const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
      let yellow = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i] > 200 && data[i + 1] > 170 && data[i + 2] < 110) yellow++;
      }
      return yellow >= 20;
    })()`,
  )) as boolean;
}
