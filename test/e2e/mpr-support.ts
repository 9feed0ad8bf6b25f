/**
 * Shared by the MPR and 3D end-to-end tests: the volume phantom study on a test node, a signed-in page
 * with Math.random seeded (vtk.js jitters its rays with it), opening a phantom series in MPR or 3D from the
 * viewer, and reading a view's pixels through `globalThis.hilumMpr` (renderer/src/lib/mpr/diagnostics.ts).
 * Scripts run in the page as strings: the CSP forbids eval, playwright evaluates strings through the debugger.
 */
import { crc32, deflateSync } from "node:zlib";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { expect } from "vitest";
import {
  type PhantomName,
  type VolumePhantoms,
  generateVolumePhantoms,
} from "../fixtures/volume-phantoms.js";
import { launchBrowser } from "../support/browser.js";
import { cachedFixture } from "../support/fixture-cache.js";
import { type TestNode, startTestNode } from "../support/hilum.js";
import { storescu } from "../support/peers.js";

export type Vec3 = [number, number, number];
export type View = "axial" | "coronal" | "sagittal";

export interface MprSession {
  browser: Browser;
  hilum: TestNode;
  context: BrowserContext;
  page: Page;
  phantoms: VolumePhantoms;
  errors: string[];
  close(): Promise<void>;
}

/** mulberry32 in place of Math.random, before any page script runs. */
const SEED_RANDOM = `(() => {
  let state = 0x5eed1234;
  Math.random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
})();`;

export async function startMprSession(user: { username: string; password: string }): Promise<MprSession> {
  const fixture = await cachedFixture("volume-phantoms", { seed: "mpr-e2e" }, (dir) =>
    generateVolumePhantoms({ dir, seed: "mpr-e2e" }),
  );
  const phantoms = fixture.value;
  const [browser, hilum] = await Promise.all([launchBrowser(), startTestNode()]);
  const stored = await storescu(
    hilum.target,
    Object.values(phantoms.series).map((series) => series.dir),
  );
  expect(stored.code, stored.stderr).toBe(0);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  await context.addInitScript(SEED_RANDOM);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
  page.on("pageerror", (error) => errors.push(error.message));
  const setup = await page.request.post(`${hilum.node.http.url}/api/setup`, { data: user });
  expect(setup.status()).toBe(201);
  await page.goto(`${hilum.node.http.url}/#/study/${phantoms.studyInstanceUid}`);
  // The first viewer load also builds the page's workers: give a loaded machine time.
  await page.locator('.layout-picker button[data-layout="1×1"]').click({ timeout: 60_000 });
  return {
    browser,
    hilum,
    context,
    page,
    phantoms,
    errors,
    async close() {
      await context.close();
      await browser.close();
      await hilum.close();
    },
  };
}

export async function until(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Shows a phantom series in the (single) viewport and opens it in MPR or 3D; resolves when the volume is full. */
export async function openVolume(session: MprSession, name: PhantomName, mode: "mpr" | "3d"): Promise<void> {
  const { page } = session;
  const uid = session.phantoms.series[name].seriesInstanceUid;
  if (await page.locator(".workspace").count()) await page.keyboard.press("Escape");
  await page.locator(`nav.strip button[data-series-uid="${uid}"]`).click();
  await until(async () =>
    Boolean(
      await page.evaluate(
        `(() => { const s = globalThis.hilumViewer?.slots()[0]; return s?.seriesInstanceUid === "${uid}" && s.sopInstanceUid !== undefined; })()`,
      ),
    ),
  );
  await page.locator(".viewer").click({ position: { x: 5, y: 5 }, force: true });
  await page.keyboard.press(mode === "mpr" ? "Shift+M" : "Shift+D");
  await until(async () =>
    Boolean(
      await page.evaluate(
        `(() => { const m = globalThis.hilumMpr; if (!m || m.seriesInstanceUid !== "${uid}") return false; const f = m.fill(); return f.filled === f.total; })()`,
      ),
    ),
  );
}

export function mpr<T>(page: Page, script: string): Promise<T> {
  return page.evaluate(`globalThis.hilumMpr.${script}`) as Promise<T>;
}

export interface Gray {
  width: number;
  height: number;
  /** One byte per pixel (the red channel: the views are grey). */
  data: Uint8Array;
  at(x: number, y: number): number;
}

export async function viewPixels(page: Page, name: View | "3d"): Promise<Gray> {
  const result = await mpr<{ width: number; height: number; rgba: string }>(
    page,
    `pixels(${JSON.stringify(name)})`,
  );
  const rgba = Buffer.from(result.rgba, "base64");
  const data = new Uint8Array(result.width * result.height);
  for (let i = 0; i < data.length; i++) data[i] = rgba[i * 4]!;
  return {
    width: result.width,
    height: result.height,
    data,
    at: (x, y) => data[Math.floor(y) * result.width + Math.floor(x)] ?? 0,
  };
}

export async function screenOf(page: Page, view: View, point: Vec3): Promise<{ x: number; y: number }> {
  return mpr(page, `screenOf(${JSON.stringify(view)}, ${JSON.stringify(point)})`);
}

/** Centroid (CSS pixels) of the bright pixels (above half) within `radius` of a point. */
export function blobCentroid(
  image: Gray,
  near: { x: number; y: number },
  radius: number,
): { x: number; y: number } {
  let [sx, sy, n] = [0, 0, 0];
  for (
    let y = Math.max(0, Math.floor(near.y - radius));
    y <= Math.min(image.height - 1, near.y + radius);
    y++
  ) {
    for (
      let x = Math.max(0, Math.floor(near.x - radius));
      x <= Math.min(image.width - 1, near.x + radius);
      x++
    ) {
      const v = image.data[y * image.width + x]!;
      if (v < 128) continue;
      sx += (x + 0.5) * v;
      sy += (y + 0.5) * v;
      n += v;
    }
  }
  expect(n, "a bright blob near the point").toBeGreaterThan(0);
  return { x: sx / n, y: sy / n };
}

/**
 * The width (CSS pixels) of the bright run through a point along a direction: the two places where the
 * grey level crosses half height, interpolated between pixels.
 */
export function runWidth(
  image: Gray,
  from: { x: number; y: number },
  direction: { x: number; y: number },
): number {
  const edge = (sign: number) => {
    let previous = image.at(from.x, from.y);
    for (let t = 1; t < 2000; t++) {
      const x = from.x + sign * direction.x * t;
      const y = from.y + sign * direction.y * t;
      if (x < 0 || y < 0 || x >= image.width || y >= image.height) return t;
      const value = image.at(x, y);
      if (value < 127.5) return t - 1 + (previous - 127.5) / (previous - value);
      previous = value;
    }
    return 2000;
  };
  return edge(1) + edge(-1);
}

/** An 8-bit RGB PNG of a view's pixels (RGBA in, alpha dropped): what the golden files hold. */
export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) raw[y * (width * 3 + 1) + 1 + x * 3 + c] = rgba[(y * width + x) * 4 + c]!;
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** A view's pixels as RGBA. */
export async function viewRgba(
  page: Page,
  name: View | "3d",
): Promise<{ width: number; height: number; rgba: Uint8Array }> {
  const result = await mpr<{ width: number; height: number; rgba: string }>(
    page,
    `pixels(${JSON.stringify(name)})`,
  );
  return {
    width: result.width,
    height: result.height,
    rgba: new Uint8Array(Buffer.from(result.rgba, "base64")),
  };
}
