/** Instance metadata (DICOM JSON) to frames: geometry, rescale, windows, LUTs, lossy flag, multi-frame. */
import { describe, expect, it } from "vitest";
import { MetadataError, framesOfInstance, isLossySyntax } from "../../renderer/src/lib/imaging/descriptor.js";
import { resolveLuts } from "../../renderer/src/lib/imaging/luts.js";
import type { DicomJson } from "../../renderer/src/lib/viewer-contract.js";

const v = (vr: string, ...Value: unknown[]) => ({ vr, Value });

function ct(extra: DicomJson = {}): DicomJson {
  return {
    "0020000D": v("UI", "1.2.3"),
    "0020000E": v("UI", "1.2.3.4"),
    "00080018": v("UI", "1.2.3.4.5"),
    "00080060": v("CS", "CT"),
    "00200013": v("IS", 7),
    "00200011": v("IS", 3),
    "00200032": v("DS", -200, -180.5, 42.25),
    "00200037": v("DS", 1, 0, 0, 0, 1, 0),
    "00200052": v("UI", "1.2.3.9"),
    "00280030": v("DS", 0.7, 0.6),
    "00180050": v("DS", 1.25),
    "00201041": v("DS", 42.25),
    "00280002": v("US", 1),
    "00280004": v("CS", "MONOCHROME2"),
    "00280010": v("US", 512),
    "00280011": v("US", 256),
    "00280100": v("US", 16),
    "00280101": v("US", 12),
    "00280102": v("US", 11),
    "00280103": v("US", 1),
    "00281050": v("DS", 40, -600),
    "00281051": v("DS", 400, 1500),
    "00281055": v("LO", "ABDOMEN", "LUNG"),
    "00281052": v("DS", -1024),
    "00281053": v("DS", 1),
    "7FE00010": { vr: "OW", BulkDataURI: "http://x/bulkdata/7FE00010" },
    ...extra,
  };
}

describe("frames of an instance", () => {
  it("reads a CT slice: geometry, rescale in HU, every stored window", () => {
    const [frame, ...rest] = framesOfInstance(ct());
    expect(rest).toEqual([]);
    expect(frame!.info).toMatchObject({
      studyInstanceUid: "1.2.3",
      seriesInstanceUid: "1.2.3.4",
      sopInstanceUid: "1.2.3.4.5",
      frameNumber: 1,
      numberOfFrames: 1,
      rows: 512,
      columns: 256,
      spacing: { row: 0.7, column: 0.6, source: "PixelSpacing" },
      imagePositionPatient: [-200, -180.5, 42.25],
      imageOrientationPatient: [1, 0, 0, 0, 1, 0],
      frameOfReferenceUid: "1.2.3.9",
      sliceThickness: 1.25,
      sliceLocation: 42.25,
      instanceNumber: 7,
      seriesNumber: 3,
      modality: "CT",
      units: "HU",
      rescale: { slope: 1, intercept: -1024 },
      modalityLut: false,
      voiLut: false,
      lossyCompressed: false,
      photometricInterpretation: "MONOCHROME2",
      bitsStored: 12,
      pixelRepresentation: 1,
    });
    expect(frame!.info.windows).toEqual([
      { center: 40, width: 400, fn: "LINEAR", explanation: "ABDOMEN" },
      { center: -600, width: 1500, fn: "LINEAR", explanation: "LUNG" },
    ]);
    expect(frame!.pixels).toMatchObject({
      bitsAllocated: 16,
      bitsStored: 12,
      highBit: 11,
      pixelRepresentation: 1,
    });
  });

  it("takes the VOI LUT Function, ImagerPixelSpacing when there is no PixelSpacing, and the lossy flag", () => {
    const json = ct({
      "00281056": v("CS", "SIGMOID"),
      "00280030": { vr: "DS" },
      "00181164": v("DS", 0.1, 0.1),
      "00282110": v("CS", "01"),
      "00282114": v("CS", "ISO_10918_1"),
    });
    const [frame] = framesOfInstance(json);
    expect(frame!.info.windows[0]!.fn).toBe("SIGMOID");
    expect(frame!.info.spacing).toEqual({ row: 0.1, column: 0.1, source: "ImagerPixelSpacing" });
    expect(frame!.info.lossyCompressed).toBe(true);
    expect(frame!.info.lossyMethod).toBe("ISO_10918_1");
    expect(isLossySyntax("1.2.840.10008.1.2.4.50")).toBe(true);
    expect(isLossySyntax("1.2.840.10008.1.2.4.70")).toBe(false);
  });

  it("drops windows a LINEAR function cannot have (width < 1)", () => {
    const [frame] = framesOfInstance(ct({ "00281051": v("DS", 0.5, 1500) }));
    expect(frame!.info.windows.map((w) => w.center)).toEqual([-600]);
  });

  it("expands an enhanced multi-frame: per-frame position and rescale, shared orientation and spacing", () => {
    const perFrame = [10, 20, 30].map((z, i) => ({
      "00209113": v("SQ", { "00200032": v("DS", 0, 0, z) }),
      "00289145": v("SQ", { "00281052": v("DS", -1000 - i), "00281053": v("DS", 2) }),
    }));
    const json = ct({
      "00280008": v("IS", 3),
      "00200032": { vr: "DS" },
      "00200037": { vr: "DS" },
      "00280030": { vr: "DS" },
      "00281050": { vr: "DS" },
      "00281051": { vr: "DS" },
      "52009229": v("SQ", {
        "00209116": v("SQ", { "00200037": v("DS", 0, 1, 0, 0, 0, -1) }),
        "00289110": v("SQ", { "00280030": v("DS", 0.5, 0.5), "00180050": v("DS", 2) }),
        "00289132": v("SQ", { "00281050": v("DS", 50), "00281051": v("DS", 350) }),
      }),
      "52009230": v("SQ", ...perFrame),
    });
    const frames = framesOfInstance(json);
    expect(frames.map((f) => f.info.frameNumber)).toEqual([1, 2, 3]);
    expect(frames.map((f) => f.info.imagePositionPatient)).toEqual([
      [0, 0, 10],
      [0, 0, 20],
      [0, 0, 30],
    ]);
    expect(frames.map((f) => f.info.rescale)).toEqual([
      { slope: 2, intercept: -1000 },
      { slope: 2, intercept: -1001 },
      { slope: 2, intercept: -1002 },
    ]);
    expect(frames[1]!.info).toMatchObject({
      imageOrientationPatient: [0, 1, 0, 0, 0, -1],
      spacing: { row: 0.5, column: 0.5, source: "PixelSpacing" },
      sliceThickness: 2,
      windows: [{ center: 50, width: 350, fn: "LINEAR" }],
      numberOfFrames: 3,
    });
    expect(frames[1]!.info.sliceLocation).toBeUndefined();
  });

  it("places RT Dose frames along the normal by GridFrameOffsetVector", () => {
    const json = ct({
      "00080060": v("CS", "RTDOSE"),
      "00280008": v("IS", 3),
      "3004000C": v("DS", 0, 5, 10),
    });
    expect(framesOfInstance(json).map((f) => f.info.imagePositionPatient)).toEqual([
      [-200, -180.5, 42.25],
      [-200, -180.5, 47.25],
      [-200, -180.5, 52.25],
    ]);
  });

  it("reads palette, modality LUT and VOI LUT sequences, inline or by BulkDataURI", async () => {
    const words = (values: number[]) => {
      const bytes = new Uint8Array(values.length * 2);
      values.forEach((x, i) => new DataView(bytes.buffer).setUint16(i * 2, x, true));
      return btoa(String.fromCharCode(...bytes));
    };
    const palette = framesOfInstance(
      ct({
        "00280004": v("CS", "PALETTE COLOR"),
        "00280103": v("US", 0),
        "00281101": v("US", 4, 10, 16),
        "00281102": v("US", 4, 10, 16),
        "00281103": v("US", 4, 10, 16),
        "00281201": { vr: "OW", InlineBinary: words([0, 1000, 2000, 65535]) },
        "00281202": { vr: "OW", BulkDataURI: "http://x/bulkdata/00281202" },
        "00281203": v("US", 9, 8, 7, 6),
      }),
    )[0]!;
    expect(palette.info.windows).toEqual([]);
    const fetched: string[] = [];
    const luts = await resolveLuts(palette.pixels, async (uri) => {
      fetched.push(uri);
      return Uint8Array.from([1, 0, 2, 0, 3, 0, 4, 0]);
    });
    expect(fetched).toEqual(["http://x/bulkdata/00281202"]);
    expect([...luts.palette!.red.data]).toEqual([0, 1000, 2000, 65535]);
    expect([...luts.palette!.green.data]).toEqual([1, 2, 3, 4]);
    expect([...luts.palette!.blue.data]).toEqual([9, 8, 7, 6]);
    expect(luts.palette!.red.firstMapped).toBe(10);

    const lutted = framesOfInstance(
      ct({
        "00283000": v("SQ", {
          "00283002": v("US", 3, 65534, 16),
          "00283004": v("LO", "OD"),
          "00283006": v("US", 100, 200, 300),
        }),
        "00283010": v("SQ", {
          "00283002": v("US", 0, 0, 12),
          "00283006": { vr: "OW", BulkDataURI: "http://x/voi" },
        }),
      }),
    )[0]!;
    expect(lutted.info).toMatchObject({ modalityLut: true, voiLut: true, units: "OD" });
    // Signed pixels: the first mapped value 65534 means −2; 0 entries means 65536.
    expect(lutted.pixels.modalityLut).toMatchObject({ entries: 3, firstMapped: -2, bits: 16 });
    expect(lutted.pixels.voiLuts[0]).toMatchObject({ entries: 65536, firstMapped: 0 });
  });

  it("refuses what is not an image, naming why", () => {
    expect(() => framesOfInstance({ "00080018": v("UI", "1.2") })).toThrow(MetadataError);
    expect(() => framesOfInstance(ct({ "00280100": v("US", 12) }))).toThrow(/Bits Allocated 12/);
  });
});
