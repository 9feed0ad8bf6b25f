import { describe, expect, it } from "vitest";
import { ViewerSync } from "../../renderer/src/lib/sync/controller.js";
import type {
  FrameInfo,
  ImageStack,
  ViewportApi,
  ViewportChange,
  Voi,
} from "../../renderer/src/lib/viewer-contract.js";

const FOR = "1.2.3";

/** The overlay context, as the contract names it (the root type check has no DOM library). */
type Overlay = Parameters<Parameters<ViewportApi["onRender"]>[0]>[0];

function frame(
  series: string,
  ipp: [number, number, number],
  iop: FrameInfo["imageOrientationPatient"],
  extra: Partial<FrameInfo> = {},
): FrameInfo {
  return {
    studyInstanceUid: "1",
    seriesInstanceUid: series,
    sopInstanceUid: `${series}.${ipp.join("_")}`,
    frameNumber: 1,
    numberOfFrames: 1,
    rows: 64,
    columns: 64,
    spacing: { row: 1, column: 1, source: "PixelSpacing" },
    imagePositionPatient: ipp,
    imageOrientationPatient: iop,
    frameOfReferenceUid: FOR,
    modality: "CT",
    units: "HU",
    rescale: { slope: 1, intercept: -1024 },
    modalityLut: false,
    windows: [{ center: 40, width: 400, fn: "LINEAR" }],
    voiLut: false,
    lossyCompressed: false,
    photometricInterpretation: "MONOCHROME2",
    samplesPerPixel: 1,
    bitsAllocated: 16,
    bitsStored: 16,
    pixelRepresentation: 1,
    ...extra,
  };
}

const AXIAL = [1, 0, 0, 0, 1, 0] as const;
const CORONAL = [1, 0, 0, 0, 0, -1] as const;

/** z = top, top − step, … */
const axial = (series: string, count: number, top: number, step: number, extra: Partial<FrameInfo> = {}) =>
  Array.from({ length: count }, (_, i) => frame(series, [-31.5, -31.5, top - i * step], AXIAL, extra));
const coronal = (series: string, ys: number[]) => ys.map((y) => frame(series, [-31.5, y, 31.5], CORONAL));

class FakeViewport implements Partial<ViewportApi> {
  index = 0;
  #voi: Voi = { center: 40, width: 400, fn: "LINEAR" };
  changeListeners: Array<(c: ViewportChange) => void> = [];
  renderListeners: Array<(o: Overlay) => void> = [];
  lines: Array<[number, number, number, number]> = [];
  stack: ImageStack;
  constructor(frames: FrameInfo[]) {
    this.stack = { frames } as unknown as ImageStack;
  }
  get frame() {
    return this.stack.frames[this.index];
  }
  get voi() {
    return this.#voi;
  }
  set voi(v: Voi) {
    this.#voi = v;
    this.emit("voi");
  }
  async show(i: number) {
    this.index = i;
    this.emit("frame");
  }
  emit(change: ViewportChange) {
    for (const l of this.changeListeners) l(change);
    this.invalidate();
  }
  onChange(l: (c: ViewportChange) => void) {
    this.changeListeners.push(l);
    return () => void this.changeListeners.splice(this.changeListeners.indexOf(l), 1);
  }
  onRender(l: (o: Overlay) => void) {
    this.renderListeners.push(l);
    return () => void this.renderListeners.splice(this.renderListeners.indexOf(l), 1);
  }
  imageToCanvas(p: { x: number; y: number }) {
    return { x: p.x * 2, y: p.y * 2 };
  }
  invalidate() {
    this.lines = [];
    let from: [number, number] = [0, 0];
    const ctx = {
      save() {},
      restore() {},
      beginPath() {},
      stroke() {},
      moveTo: (x: number, y: number) => void (from = [x, y]),
      lineTo: (x: number, y: number) => void this.lines.push([...from, x, y]),
    } as unknown as Overlay;
    for (const l of this.renderListeners) l(ctx);
  }
}

const api = (v: FakeViewport) => v as unknown as ViewportApi;

describe("the viewer's synchronisation", () => {
  function setup(options = { scroll: true, voi: true, referenceLines: true }) {
    const thick = new FakeViewport(axial("thick", 10, 22.5, 5));
    const thin = new FakeViewport(axial("thin", 40, 20, 1));
    const cor = new FakeViewport(coronal("cor", [-10, 0, 10]));
    const other = new FakeViewport(
      axial("mr", 40, 20, 1, { frameOfReferenceUid: "9.9", modality: "MR", units: undefined }),
    );
    const sync = new ViewerSync(options);
    for (const v of [thick, thin, cor, other]) sync.add(api(v));
    sync.setActive(api(thick));
    return { thick, thin, cor, other, sync };
  }

  it("scrolls the other series of the frame of reference to the nearest slice by position", async () => {
    const { thick, thin, cor, other } = setup();
    await thick.show(3); // z = 7.5
    expect(thin.index).toBe(12); // z = 8
    expect(cor.index).toBe(0); // perpendicular: unchanged
    expect(other.index).toBe(0); // other frame of reference: unchanged
    await thick.show(9); // z = -22.5: beyond the thin stack's end
    expect(thin.index).toBe(39);
  });

  it("lets only the active viewport drive", async () => {
    const { thick, thin } = setup();
    await thin.show(30);
    expect(thick.index).toBe(0);
  });

  it("stops following when scroll sync is off, and aligns when it is turned back on", async () => {
    const { thick, thin, sync } = setup({ scroll: false, voi: false, referenceLines: false });
    await thick.show(5); // z = -2.5
    expect(thin.index).toBe(0);
    sync.setOptions({ scroll: true });
    expect([22, 23]).toContain(thin.index); // z = -2 or -3, 0.5 mm each
  });

  it("copies the window to viewports of the same units only, when on", () => {
    const { thick, thin, other, sync } = setup();
    thick.voi = { center: -600, width: 1500, fn: "LINEAR" };
    expect(thin.voi).toEqual({ center: -600, width: 1500, fn: "LINEAR" });
    expect(other.voi.center).toBe(40);
    sync.setOptions({ voi: false });
    thick.voi = { center: 400, width: 1800, fn: "LINEAR" };
    expect(thin.voi.center).toBe(-600);
  });

  it("draws the active slice as a reference line on the perpendicular viewport", async () => {
    const { thick, cor, thin, other, sync } = setup();
    await thick.show(4); // z = 2.5 → coronal row y = 31.5 − 2.5 + 0.5 = 29.5
    const segment = sync.referenceLineOn(api(cor))!;
    expect(segment.y0).toBeCloseTo(29.5);
    expect(cor.lines).toHaveLength(1);
    expect(cor.lines[0]![1]).toBeCloseTo(59); // drawn through imageToCanvas (× 2 here)
    expect(thin.lines).toHaveLength(0); // parallel
    expect(other.lines).toHaveLength(0); // other frame of reference
    expect(thick.lines).toHaveLength(0); // not on itself
    sync.setOptions({ referenceLines: false });
    expect(cor.lines).toHaveLength(0);
    sync.setOptions({ referenceLines: true });
    sync.setActive(api(cor));
    expect(thick.lines).toHaveLength(1); // the coronal slice y = -10 on the axial: row y = 22
    expect(sync.referenceLineOn(api(thick))!.y0).toBeCloseTo(22);
  });

  it("aligns a newly loaded viewport with the active one", async () => {
    const { thick, thin, sync } = setup({ scroll: true, voi: false, referenceLines: false });
    sync.setActive(api(thin));
    await thin.show(30); // z = -10
    thick.index = 0;
    sync.align(api(thick));
    expect([6, 7]).toContain(thick.index);
  });
});
