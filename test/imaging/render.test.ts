/**
 * The display pipeline against the formulas of PS3.3 C.11 worked by hand: modality LUT, the three VOI
 * functions at their edges, MONOCHROME1, palette, YBR; PNG and JPEG encoding read back by independent
 * decoders; scaling by area average and bilinear interpolation.
 */
import jpeg from "jpeg-js";
import { describe, expect, it } from "vitest";
import type { FrameGeometry } from "../../electron/pacs/codecs/frames.js";
import { type DataSet, parseDataset } from "../../electron/pacs/dicom/dataset.js";
import { type WritableElement, encodeDataset } from "../../electron/pacs/dicom/writer.js";
import { ImagingError } from "../../electron/pacs/imaging/errors.js";
import { encodeJpeg } from "../../electron/pacs/imaging/jpeg.js";
import { encodePng, pngCrc32 } from "../../electron/pacs/imaging/png.js";
import { type Raster, renderFrame, voiTransform } from "../../electron/pacs/imaging/render.js";
import { parseViewport, parseWindow } from "../../electron/pacs/imaging/rendered-image.js";
import { crop, fitInside, resize } from "../../electron/pacs/imaging/resize.js";
import { T } from "./synthetic.js";
import { decodePng } from "./truth.js";

const EXPLICIT_LE = "1.2.840.10008.1.2.1";

function header(elements: WritableElement[]): DataSet {
  return parseDataset(encodeDataset(elements, { transferSyntaxUid: EXPLICIT_LE }), {
    transferSyntaxUid: EXPLICIT_LE,
  });
}

function gray(overrides: Partial<FrameGeometry> = {}): FrameGeometry {
  return {
    rows: 1,
    columns: 4,
    samplesPerPixel: 1,
    bitsAllocated: 16,
    bitsStored: 16,
    pixelRepresentation: 0,
    planarConfiguration: 0,
    photometricInterpretation: "MONOCHROME2",
    ...overrides,
  };
}

function u16(...values: number[]): Buffer {
  const out = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => out.writeUInt16LE(v & 0xffff, i * 2));
  return out;
}

describe("VOI functions (PS3.3 C.11.2.1.2)", () => {
  it("linear: 0 at or below c - 0.5 - (w-1)/2, 255 above c - 0.5 + (w-1)/2, the line between", () => {
    const voi = voiTransform({ center: 40, width: 400, function: "linear" });
    expect(voi(-160)).toBe(0);
    expect(voi(-159.5)).toBeGreaterThan(0);
    expect(voi(239)).toBeCloseTo(255, 6);
    expect(voi(239.01)).toBe(255);
    expect(voi(39.5)).toBeCloseTo(127.5, 6);
  });

  it("linear exact: 0 at or below c - w/2, 255 above c + w/2, exactly half at c", () => {
    const voi = voiTransform({ center: 40, width: 400, function: "linear-exact" });
    expect(voi(-160)).toBe(0);
    expect(voi(240)).toBeCloseTo(255, 6);
    expect(voi(40)).toBeCloseTo(127.5, 6);
  });

  it("sigmoid: half at the center, 255/(1+e^-4) one width above", () => {
    const voi = voiTransform({ center: 0, width: 100, function: "sigmoid" });
    expect(voi(0)).toBeCloseTo(127.5, 6);
    expect(voi(100)).toBeCloseTo(255 / (1 + Math.exp(-4)), 6);
  });

  it("reads the window parameter and refuses what PS3.18 does not allow", () => {
    expect(parseWindow("40,400")).toEqual({ center: 40, width: 400, function: "linear" });
    expect(parseWindow("-600,1500,SIGMOID")).toEqual({ center: -600, width: 1500, function: "sigmoid" });
    for (const bad of ["40", "40,0", "a,400", "40,400,cubic", "40,400,linear,1", "40,0.5"]) {
      expect(() => parseWindow(bad), bad).toThrow(ImagingError);
    }
    expect(parseWindow("40,0.5,linear-exact").width).toBe(0.5);
    expect(parseViewport("512,256")).toEqual({ width: 512, height: 256 });
    expect(parseViewport("100,100,10,20,30,40").region).toEqual({ x: 10, y: 20, width: 30, height: 40 });
    for (const bad of ["0,10", "10", "10,10,0,0,-5,5", "5000,10", "1.5,2"]) {
      expect(() => parseViewport(bad), bad).toThrow(ImagingError);
    }
  });
});

describe("grayscale rendering", () => {
  it("applies rescale, then the stored window; signed 12-bit values are sign-extended", () => {
    // Stored -1024…1024 with intercept -1024 → HU -2048…0; window 40/400 → black except from -160 HU up.
    const ds = header([
      { tag: T.WindowCenter, value: "40" },
      { tag: T.WindowWidth, value: "400" },
      { tag: T.RescaleIntercept, value: "-1024" },
      { tag: T.RescaleSlope, value: "1" },
    ]);
    const geometry = gray({ bitsStored: 12, pixelRepresentation: 1 });
    // 0xF000 | 0x0800 is -2048 in 12 bits with garbage above; 1064 → 40 HU; 1264 → 240 HU; 864 → -160 HU.
    const raster = renderFrame(u16(0x0800 | 0xf000, 1064, 1264, 864), geometry, ds, 0);
    expect(Array.from(raster.data)).toEqual([0, 128, 255, 0]);
  });

  it("without a window uses the frame's full range, and inverts MONOCHROME1", () => {
    const ds = header([{ tag: T.RescaleSlope, value: "2" }]);
    const raster = renderFrame(u16(100, 200, 150, 100), gray(), ds, 0);
    expect(Array.from(raster.data)).toEqual([0, 255, 128, 0]);
    const inverted = renderFrame(
      u16(100, 200, 150, 100),
      gray({ photometricInterpretation: "MONOCHROME1" }),
      ds,
      0,
    );
    expect(Array.from(inverted.data)).toEqual([255, 0, 127, 255]);
    // An explicit window wins over the stored one and over the full range.
    const windowed = renderFrame(u16(100, 200, 150, 100), gray(), ds, 0, {
      window: { center: 300, width: 200, function: "linear-exact" },
    });
    expect(Array.from(windowed.data)).toEqual([0, 255, 128, 0]);
  });

  it("renders 1-bit and 32-bit images", () => {
    const bits = renderFrame(Buffer.from([0b1010]), gray({ bitsAllocated: 1, bitsStored: 1 }), header([]), 0);
    expect(Array.from(bits.data)).toEqual([0, 255, 0, 255]);
    const wide = Buffer.alloc(16);
    [0, 4_000_000_000, 2_000_000_000, 1].forEach((v, i) => wide.writeUInt32LE(v, i * 4));
    const dose = renderFrame(wide, gray({ bitsAllocated: 32, bitsStored: 32 }), header([]), 0);
    expect(Array.from(dose.data)).toEqual([0, 255, 128, 0]);
  });
});

describe("colour rendering", () => {
  it("keeps RGB, reorders planar RGB, converts YBR_FULL and subsampled YBR_FULL_422", () => {
    const interleaved = Buffer.from([255, 0, 0, 0, 255, 0]);
    const rgb = gray({
      columns: 2,
      samplesPerPixel: 3,
      bitsAllocated: 8,
      bitsStored: 8,
      photometricInterpretation: "RGB",
    });
    expect(Array.from(renderFrame(interleaved, rgb, header([]), 0).data)).toEqual([255, 0, 0, 0, 255, 0]);
    const planar = Buffer.from([255, 0, 0, 255, 0, 0]);
    expect(Array.from(renderFrame(planar, { ...rgb, planarConfiguration: 1 }, header([]), 0).data)).toEqual([
      255, 0, 0, 0, 255, 0,
    ]);
    // Y=76 Cb=85 Cr=255 is about pure red in full-range YCbCr.
    const ybr = renderFrame(
      Buffer.from([76, 85, 255, 76, 85, 255]),
      { ...rgb, photometricInterpretation: "YBR_FULL" },
      header([]),
      0,
    );
    expect(ybr.data[0]).toBeGreaterThan(250);
    expect(ybr.data[1]).toBeLessThan(5);
    expect(ybr.data[2]).toBeLessThan(5);
    // 422: Y1 Y2 Cb Cr for a pair of pixels; neutral chroma gives gray.
    const sub = renderFrame(
      Buffer.from([10, 200, 128, 128]),
      { ...rgb, photometricInterpretation: "YBR_FULL_422" },
      header([]),
      0,
    );
    expect(Array.from(sub.data)).toEqual([10, 10, 10, 200, 200, 200]);
  });

  it("looks palette colour up, 16-bit entries scaled to 8 bits", () => {
    const descriptor = u16(4, 0, 16);
    const lut = (values: number[]) => u16(...values);
    const ds = header([
      { tag: 0x00281101, vr: "US", value: descriptor },
      { tag: 0x00281102, vr: "US", value: descriptor },
      { tag: 0x00281103, vr: "US", value: descriptor },
      { tag: 0x00281201, vr: "OW", value: lut([0, 0xffff, 0x8000, 0]) },
      { tag: 0x00281202, vr: "OW", value: lut([0, 0, 0xffff, 0x1000]) },
      { tag: 0x00281203, vr: "OW", value: lut([0xffff, 0, 0, 0x2000]) },
    ]);
    const geometry = gray({
      columns: 3,
      bitsAllocated: 8,
      bitsStored: 8,
      photometricInterpretation: "PALETTE COLOR",
    });
    const raster = renderFrame(Buffer.from([0, 1, 9]), geometry, ds, 0);
    expect(Array.from(raster.data)).toEqual([0, 0, 255, 255, 0, 0, 0, 0x10, 0x20]);
  });
});

describe("encoders", () => {
  const gradient = (channels: 1 | 3): Raster => {
    const width = 37;
    const height = 23;
    const data = new Uint8Array(width * height * channels);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i % 11) * 13) & 0xff;
    return { width, height, channels, data };
  };

  it("writes PNGs that an independent decoder reads back exactly, with standard CRCs", () => {
    expect(pngCrc32(Buffer.from("123456789"))).toBe(0xcbf43926);
    for (const channels of [1, 3] as const) {
      const raster = gradient(channels);
      const png = decodePng(encodePng(raster));
      expect([png.width, png.height, png.channels]).toEqual([raster.width, raster.height, channels]);
      expect(png.data.equals(Buffer.from(raster.data))).toBe(true);
    }
  });

  it("writes baseline JPEGs that decode to the same picture within JPEG's loss", () => {
    const flat: Raster = { width: 16, height: 8, channels: 1, data: new Uint8Array(128).fill(90) };
    const decoded = jpeg.decode(encodeJpeg(flat, 90), { useTArray: true });
    expect([decoded.width, decoded.height]).toEqual([16, 8]);
    for (let i = 0; i < 128; i++) expect(Math.abs(decoded.data[i * 4]! - 90)).toBeLessThanOrEqual(2);
  });
});

describe("scaling", () => {
  it("averages areas when shrinking, interpolates when growing, and keeps the aspect ratio in a box", () => {
    const raster: Raster = {
      width: 4,
      height: 2,
      channels: 1,
      data: Uint8Array.from([0, 10, 20, 30, 40, 50, 60, 70]),
    };
    expect(Array.from(resize(raster, 2, 1).data)).toEqual([25, 45]);
    // 3 out of 4 columns: output pixel 0 covers columns 0 and a third of 1.
    expect(Array.from(resize(raster, 3, 2).data)).toEqual([3, 15, 28, 43, 55, 68]);
    const up = resize({ width: 2, height: 1, channels: 1, data: Uint8Array.from([0, 100]) }, 4, 1);
    expect(Array.from(up.data)).toEqual([0, 25, 75, 100]);
    expect(fitInside(512, 256, 128, 128)).toEqual({ width: 128, height: 64 });
    expect(fitInside(100, 400, 1000, 100)).toEqual({ width: 25, height: 100 });
    expect(Array.from(crop(raster, 1, 1, 2, 5).data)).toEqual([50, 60]);
    expect(() => crop(raster, 9, 0, 1, 1)).toThrow(/outside/);
  });
});
