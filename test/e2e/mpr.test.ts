/**
 * MPR in real Chromium (SwiftShader WebGL2) against a real node, on generated phantoms of known geometry
 * (test/fixtures/volume-phantoms.ts), opened from the viewer with Shift+M:
 * - the crosshair placed by clicking on each sphere (the bright blob's centre in one view, then another)
 *   lands at the sphere's known centre within half a voxel, and every view shows that sphere around it;
 * - coronal and sagittal views face the right way (labels, and the anatomy on the expected side);
 * - an axial, a 20° gantry-tilted and a sagittal acquisition reconstruct the same sphere: its diameter in
 *   each plane within 1 mm of the truth;
 * - an oblique (double-oblique) plane across a turned cylinder shows a circle; a MIP slab shows the whole
 *   of a thin winding vessel that a single plane cuts in pieces.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BACKGROUND_HU,
  CYLINDER,
  OBLIQUE_TURNS,
  SPHERES,
  VESSEL,
  vesselY,
} from "../fixtures/volume-phantoms.js";
import {
  type MprSession,
  type Vec3,
  type View,
  blobCentroid,
  mpr,
  openVolume,
  runWidth,
  screenOf,
  startMprSession,
  viewPixels,
} from "./mpr-support.js";

const USER = { username: "mpr", password: "reformat-every-plane-1" };
const VIEWS: View[] = ["axial", "coronal", "sagittal"];
/** mm per CSS pixel for measuring: four pixels per voxel. */
const FINE = 0.25;

let session: MprSession;

beforeAll(async () => {
  session = await startMprSession(USER);
}, 300_000);

afterAll(async () => {
  await session?.close();
});

async function setup(center: Vec3, voi = { center: 200, width: 400 }, zoom = FINE): Promise<void> {
  const { page } = session;
  await mpr(page, `setCenter(${JSON.stringify(center)})`);
  await mpr(page, `setVoi(${voi.center}, ${voi.width})`);
  for (const view of VIEWS) await mpr(page, `setZoom("${view}", ${zoom})`);
}

async function center(): Promise<Vec3> {
  return (await mpr<{ center: Vec3 }>(session.page, "state()")).center;
}

/** Clicks a view at a CSS point of its cell, as a reader does. */
async function click(view: View, point: { x: number; y: number }): Promise<void> {
  const box = (await session.page.locator(`.workspace .cell[data-view="${view}"]`).boundingBox())!;
  await session.page.mouse.click(box.x + point.x, box.y + point.y);
}

describe("MPR of the sphere phantom", () => {
  beforeAll(async () => {
    await openVolume(session, "spheres", "mpr");
  }, 120_000);

  it("builds the volume from the positions, not SliceThickness", async () => {
    const g = await mpr<{ dimensions: number[]; spacing: number[] }>(session.page, "geometry");
    expect(g.dimensions).toEqual([112, 112, 96]);
    g.spacing.forEach((value) => expect(value).toBeCloseTo(1, 6));
    expect(await mpr(session.page, "warnings")).toEqual([]);
  });

  it("puts the crosshair on each sphere's centre within half a voxel, and the point on the same sphere in every view", async () => {
    for (const sphere of SPHERES) {
      // Start a few mm off, then click on the blob's centre in the axial view, then in the coronal one.
      await setup([sphere.center[0] + 3, sphere.center[1] - 2, sphere.center[2] + 2]);
      for (const view of ["axial", "coronal", "axial"] as const) {
        const image = await viewPixels(session.page, view);
        const guess = await screenOf(session.page, view, await center());
        await click(view, blobCentroid(image, guess, (sphere.radius + 6) / FINE));
      }
      const placed = await center();
      placed.forEach((value, axis) =>
        expect(Math.abs(value - sphere.center[axis]!)).toBeLessThanOrEqual(0.5),
      );
      for (const view of VIEWS) {
        const image = await viewPixels(session.page, view);
        const point = await screenOf(session.page, view, placed);
        const blob = blobCentroid(image, point, (sphere.radius + 4) / FINE);
        expect(Math.hypot(blob.x - point.x, blob.y - point.y) * FINE, `${view} view`).toBeLessThanOrEqual(
          0.5,
        );
      }
    }
  });

  it("labels the coronal and sagittal views and shows the anatomy on the labelled side", async () => {
    expect(await mpr(session.page, 'markers("coronal")')).toEqual({
      left: "R",
      right: "L",
      top: "H",
      bottom: "F",
    });
    expect(await mpr(session.page, 'markers("sagittal")')).toEqual({
      left: "A",
      right: "P",
      top: "H",
      bottom: "F",
    });
    expect(await mpr(session.page, 'markers("axial")')).toEqual({
      left: "R",
      right: "L",
      top: "A",
      bottom: "P",
    });
    // Sphere 0 is on the patient's right (x < 0), anterior (y < 0) and above sphere 1 (z 8 vs −14).
    await setup([0, 0, 0], undefined, 0.5);
    const origin = {
      coronal: await screenOf(session.page, "coronal", [0, 0, 0]),
      sagittal: await screenOf(session.page, "sagittal", [0, 0, 0]),
    };
    await mpr(session.page, `setCenter(${JSON.stringify(SPHERES[0]!.center)})`);
    const coronal = blobCentroid(
      await viewPixels(session.page, "coronal"),
      await screenOf(session.page, "coronal", SPHERES[0]!.center),
      30,
    );
    expect(coronal.x).toBeLessThan(origin.coronal.x); // right of the patient: left of the screen
    expect(coronal.y).toBeLessThan(origin.coronal.y); // head: up
    const sagittal = blobCentroid(
      await viewPixels(session.page, "sagittal"),
      await screenOf(session.page, "sagittal", SPHERES[0]!.center),
      30,
    );
    expect(sagittal.x).toBeLessThan(origin.sagittal.x); // anterior: left
  });

  it("measures lengths in mm", async () => {
    const { page } = session;
    await setup(SPHERES[0]!.center);
    await mpr(page, 'setTool("length")');
    const a = await screenOf(page, "axial", [
      SPHERES[0]!.center[0] - 10,
      SPHERES[0]!.center[1],
      SPHERES[0]!.center[2],
    ]);
    const b = await screenOf(page, "axial", [
      SPHERES[0]!.center[0] + 10,
      SPHERES[0]!.center[1],
      SPHERES[0]!.center[2],
    ]);
    const box = (await page.locator('.workspace .cell[data-view="axial"]').boundingBox())!;
    await page.mouse.move(box.x + a.x, box.y + a.y);
    await page.mouse.down();
    await page.mouse.move(box.x + b.x, box.y + b.y, { steps: 4 });
    await page.mouse.up();
    const state = await mpr<{ measurements: Array<{ length: number }> }>(page, "state()");
    expect(state.measurements.at(-1)!.length).toBeCloseTo(20, 1);
    await mpr(page, 'setTool("crosshair")');
  });

  it("measures an angle, and ellipse and rectangle ROIs read the sphere's HU", async () => {
    const { page } = session;
    const sphere = SPHERES[0]!;
    await setup(sphere.center);
    const box = (await page.locator('.workspace .cell[data-view="axial"]').boundingBox())!;
    /** The page point of the axial view at the sphere's centre moved by (dx, dy) mm. */
    const at = async (dx: number, dy: number) => {
      const [x, y, z] = sphere.center;
      const p = await screenOf(page, "axial", [x + dx, y + dy, z]);
      return { x: box.x + p.x, y: box.y + p.y };
    };
    const drag = async (from: { x: number; y: number }, to: { x: number; y: number }) => {
      await page.mouse.move(from.x, from.y);
      await page.mouse.down();
      await page.mouse.move(to.x, to.y, { steps: 4 });
      await page.mouse.up();
    };
    type Read = {
      kind: string;
      value?: number;
      lines: string[];
      stats?: { mean: number; sd: number; min: number; max: number; area: number; areaUnit: string };
    };
    const last = async () => (await mpr<{ measurements: Read[] }>(page, "state()")).measurements.at(-1)!;

    // Angle: the first arm dragged from 10 mm left of the centre to the centre, the second clicked 10 mm below.
    await page.keyboard.press("a");
    await drag(await at(-10, 0), await at(0, 0));
    const end = await at(0, 10);
    await page.mouse.move(end.x, end.y, { steps: 3 });
    await page.mouse.click(end.x, end.y);
    const angle = await last();
    expect(angle.kind).toBe("angle");
    expect(angle.value!).toBeCloseTo(90, 0);

    // A 10 mm ellipse and a 10 mm square well inside the 12 mm sphere: every sample is the sphere's value.
    for (const [key, kind, area] of [
      ["e", "ellipse", Math.PI * 25],
      ["b", "rectangle", 100],
    ] as const) {
      await page.keyboard.press(key);
      await drag(await at(-5, -5), await at(5, 5));
      const roi = await last();
      expect(roi.kind).toBe(kind);
      expect(roi.stats!.mean).toBeCloseTo(sphere.hu, 1);
      expect(roi.stats!.sd).toBeCloseTo(0, 1);
      expect([roi.stats!.min, roi.stats!.max]).toEqual([sphere.hu, sphere.hu]);
      expect(roi.stats!.areaUnit).toBe("mm²");
      expect(roi.stats!.area).toBeGreaterThan(area * 0.97);
      expect(roi.stats!.area).toBeLessThan(area * 1.03);
      expect(roi.lines[0]).toMatch(new RegExp(`^Mean ${sphere.hu}\\.0 HU`));
    }
    // Off the sphere, the ROI reads the background.
    await drag(await at(14, 14), await at(22, 22));
    expect((await last()).stats!.mean).toBeCloseTo(BACKGROUND_HU, 1);
    await mpr(page, 'setTool("crosshair")');
  });
});

/** Diameters (mm) of sphere 0 across and down each view, with the crosshair at its centre. */
async function sphereDiameters(): Promise<number[]> {
  const sphere = SPHERES[0]!;
  await setup(sphere.center);
  const out: number[] = [];
  for (const view of VIEWS) {
    const image = await viewPixels(session.page, view);
    const point = await screenOf(session.page, view, sphere.center);
    out.push(runWidth(image, point, { x: 1, y: 0 }) * FINE, runWidth(image, point, { x: 0, y: 1 }) * FINE);
  }
  return out;
}

describe("acquisition geometry", () => {
  it(
    "reconstructs the gantry-tilted and the sagittal acquisitions to the axial phantom's shape",
    { timeout: 240_000 },
    async () => {
      const results: Record<string, number[]> = {};
      for (const name of ["spheres", "tilt", "sagittal"] as const) {
        await openVolume(session, name, "mpr");
        results[name] = await sphereDiameters();
        if (name === "tilt")
          expect((await mpr<string[]>(session.page, "warnings")).join()).toMatch(/gantry tilt of 20°/);
      }
      const truth = 2 * SPHERES[0]!.radius;
      for (const [name, diameters] of Object.entries(results)) {
        diameters.forEach((d, i) =>
          expect(Math.abs(d - truth), `${name} #${i}: ${d.toFixed(2)} mm`).toBeLessThanOrEqual(1),
        );
      }
      results.tilt!.forEach((d, i) => expect(Math.abs(d - results.spheres![i]!)).toBeLessThanOrEqual(1));
      results.sagittal!.forEach((d, i) => expect(Math.abs(d - results.spheres![i]!)).toBeLessThanOrEqual(1));
    },
  );
});

describe("oblique planes and slabs", () => {
  it(
    "shows a circle on the double-oblique plane across a turned cylinder",
    { timeout: 120_000 },
    async () => {
      const { page } = session;
      await openVolume(session, "cylinder", "mpr");
      await setup([0, 0, 0]);
      const across = async () => {
        const image = await viewPixels(page, "axial");
        const point = await screenOf(page, "axial", [0, 0, 0]);
        return [runWidth(image, point, { x: 1, y: 0 }) * FINE, runWidth(image, point, { x: 0, y: 1 }) * FINE];
      };
      // The axial plane cuts the turned cylinder in an ellipse, wider than the cylinder…
      expect(Math.max(...(await across()))).toBeGreaterThan(2 * CYLINDER.radius + 2);
      // …turning the crosshair in the sagittal view, then in the coronal one, aligns it across the axis: a circle.
      await mpr(page, `rotate("sagittal", ${OBLIQUE_TURNS.sagittal})`);
      await mpr(page, `rotate("coronal", ${OBLIQUE_TURNS.coronal})`);
      const [x, y] = await across();
      expect(Math.abs(x! - 2 * CYLINDER.radius), `${x} mm`).toBeLessThanOrEqual(1);
      expect(Math.abs(y! - 2 * CYLINDER.radius), `${y} mm`).toBeLessThanOrEqual(1);
      const markers = await mpr<{ top: string; right: string }>(page, 'markers("axial")');
      expect(markers.top.length + markers.right.length).toBeGreaterThan(2); // oblique: combined letters
    },
  );

  it("turns the planes by dragging a crosshair line", async () => {
    const { page } = session;
    await setup([0, 0, 0], undefined, 0.5);
    const before = await mpr<{ axes: { coronal: { normal: Vec3 } } }>(page, "state()");
    const c = await screenOf(page, "axial", [0, 0, 0]);
    const box = (await page.locator('.workspace .cell[data-view="axial"]').boundingBox())!;
    // The coronal plane's trace on the axial view is horizontal: grab it 80 px right of the centre, drag down.
    await page.mouse.move(box.x + c.x + 80, box.y + c.y);
    await page.mouse.down();
    await page.mouse.move(box.x + c.x + 80, box.y + c.y + 80, { steps: 5 });
    await page.mouse.up();
    const after = await mpr<{ axes: { coronal: { normal: Vec3 } }; center: Vec3 }>(page, "state()");
    const cos = before.axes.coronal.normal.reduce((s, v, i) => s + v * after.axes.coronal.normal[i]!, 0);
    expect((Math.acos(Math.min(1, cos)) * 180) / Math.PI).toBeCloseTo(45, 0);
    after.center.forEach((v) => expect(Math.abs(v)).toBeLessThan(1e-6)); // turning does not move the point
  });

  it(
    "shows the whole of a thin winding vessel in a MIP slab, only pieces of it in one plane",
    { timeout: 120_000 },
    async () => {
      const { page } = session;
      await openVolume(session, "vessel", "mpr");
      await setup([0, 0, VESSEL.z], { center: 300, width: 600 }, 0.5);
      const coverage = async () => {
        const image = await viewPixels(page, "coronal");
        let bright = 0;
        let total = 0;
        for (let x = VESSEL.from + 2; x <= VESSEL.to - 2; x += 0.5) {
          const p = await screenOf(page, "coronal", [x, 0, VESSEL.z]);
          total++;
          if (image.at(p.x, p.y) >= 128) bright++;
        }
        return bright / total;
      };
      const single = await coverage();
      expect(single).toBeLessThan(0.5);
      await mpr(page, `setSlab("MIP", ${2 * (VESSEL.amplitude + VESSEL.radius) + 2})`);
      expect(await coverage()).toBe(1);
      // The slab is centred on the plane: the vessel's extremes (y = ±amplitude) are inside it.
      expect(Math.abs(vesselY(10))).toBeCloseTo(VESSEL.amplitude, 6);
      await mpr(page, 'setSlab("MIP", 0)');
    },
  );
});

describe("the workspace", () => {
  it("raises no page errors and goes back to the 2D viewer with Escape", async () => {
    const { page } = session;
    await page.keyboard.press("Escape");
    await expect.poll(() => page.locator(".workspace").count()).toBe(0);
    expect(await page.locator(".grid").isVisible()).toBe(true);
    expect(session.errors).toEqual([]);
  });
});
