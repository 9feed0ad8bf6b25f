/**
 * Small synthetic images for the display pipeline cases the pydicom test files do not have: MONOCHROME1,
 * signed 8-bit with rescale, PALETTE COLOR (8- and 16-bit indices), a Modality LUT Sequence, a VOI LUT
 * Sequence, Presentation LUT Shape INVERSE, and stored SIGMOID / LINEAR_EXACT windows. Each is a gradient
 * over its whole value range plus a few bands, written as Part 10 (explicit VR little endian) with dcmjs.
 * (Kept beside the test rather than in test/fixtures/, whose sources key every cached fixture.)
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodePart10, uidFrom } from "../fixtures/part10.js";

export interface DisplayCase {
  name: string;
  path: string;
  /** How DCMTK must be told the window this case's default shows (undefined: colour, no window). */
  dcmtk: "stored-window" | "voi-lut" | "none";
}

const ROWS = 48;
const COLUMNS = 64;
const SC = "1.2.840.10008.5.1.4.1.1.7";
const CT = "1.2.840.10008.5.1.4.1.1.2";

/** Values from `low` to `high` across the image (row-major gradient) with stripes of the extremes. */
function gradient(low: number, high: number): number[] {
  const out: number[] = [];
  for (let y = 0; y < ROWS; y++) {
    for (let x = 0; x < COLUMNS; x++) {
      const t = (y * COLUMNS + x) / (ROWS * COLUMNS - 1);
      let value = Math.round(low + t * (high - low));
      if (x < 2) value = low;
      if (x >= COLUMNS - 2) value = high;
      out.push(value);
    }
  }
  return out;
}

function words(values: number[], signed = false): ArrayBuffer {
  const buffer = new ArrayBuffer(values.length * 2);
  const view = new DataView(buffer);
  values.forEach((v, i) =>
    signed ? view.setInt16(i * 2, v, true) : view.setUint16(i * 2, v & 0xffff, true),
  );
  return buffer;
}

function bytes(values: number[]): ArrayBuffer {
  const out = new Uint8Array(values.length);
  values.forEach((v, i) => (out[i] = v & 0xff));
  return out.buffer;
}

function base(name: string, sopClass = SC): Record<string, unknown> {
  return {
    SOPClassUID: sopClass,
    SOPInstanceUID: uidFrom(`display-case/${name}/instance`),
    StudyInstanceUID: uidFrom(`display-case/${name}/study`),
    SeriesInstanceUID: uidFrom(`display-case/${name}/series`),
    PatientName: "Display^Cases",
    PatientID: "DISPLAY",
    Modality: sopClass === CT ? "CT" : "OT",
    InstanceNumber: "1",
    Rows: ROWS,
    Columns: COLUMNS,
    SamplesPerPixel: 1,
    PixelSpacing: ["1", "1"],
  };
}

/** Writes every case into `dir`. */
export function writeDisplayCases(dir: string): DisplayCase[] {
  const cases: Array<DisplayCase & { dataset: Record<string, unknown> }> = [];
  const add = (name: string, dcmtk: DisplayCase["dcmtk"], dataset: Record<string, unknown>) =>
    cases.push({ name, path: join(dir, `${name}.dcm`), dcmtk, dataset });

  add("monochrome1-12bit", "stored-window", {
    ...base("monochrome1-12bit"),
    PhotometricInterpretation: "MONOCHROME1",
    BitsAllocated: 16,
    BitsStored: 12,
    HighBit: 11,
    PixelRepresentation: 0,
    WindowCenter: "1800",
    WindowWidth: "2400",
    PixelData: words(gradient(0, 4095)),
    _vrMap: { PixelData: "OW" },
  });
  add("signed-8bit-rescaled", "stored-window", {
    ...base("signed-8bit-rescaled"),
    PhotometricInterpretation: "MONOCHROME2",
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    PixelRepresentation: 1,
    RescaleSlope: "2",
    RescaleIntercept: "10",
    WindowCenter: "20",
    WindowWidth: "300",
    PixelData: bytes(gradient(-128, 127)),
    _vrMap: { PixelData: "OB" },
  });
  add("sigmoid-16bit-signed", "stored-window", {
    ...base("sigmoid-16bit-signed", CT),
    PhotometricInterpretation: "MONOCHROME2",
    BitsAllocated: 16,
    BitsStored: 16,
    HighBit: 15,
    PixelRepresentation: 1,
    RescaleSlope: "1",
    RescaleIntercept: "-1024",
    WindowCenter: "40",
    WindowWidth: "400",
    VOILUTFunction: "SIGMOID",
    PixelData: words(gradient(-2000, 3000), true),
    _vrMap: { PixelData: "OW" },
  });
  add("linear-exact-16bit", "stored-window", {
    ...base("linear-exact-16bit"),
    PhotometricInterpretation: "MONOCHROME2",
    BitsAllocated: 16,
    BitsStored: 16,
    HighBit: 15,
    PixelRepresentation: 0,
    WindowCenter: "1000",
    WindowWidth: "1000",
    VOILUTFunction: "LINEAR_EXACT",
    PixelData: words(gradient(0, 2000)),
    _vrMap: { PixelData: "OW" },
  });
  add("presentation-inverse", "stored-window", {
    ...base("presentation-inverse"),
    PhotometricInterpretation: "MONOCHROME2",
    BitsAllocated: 16,
    BitsStored: 10,
    HighBit: 9,
    PixelRepresentation: 0,
    WindowCenter: "512",
    WindowWidth: "1024",
    PresentationLUTShape: "INVERSE",
    PixelData: words(gradient(0, 1023)),
    _vrMap: { PixelData: "OW" },
  });
  // A non-linear modality LUT: output = 4 · sqrt(input) · 16, over 4096 entries starting at stored value 0.
  const modalityTable = Array.from({ length: 4096 }, (_, i) => Math.round(Math.sqrt(i) * 64));
  add("modality-lut", "stored-window", {
    ...base("modality-lut"),
    PhotometricInterpretation: "MONOCHROME2",
    BitsAllocated: 16,
    BitsStored: 12,
    HighBit: 11,
    PixelRepresentation: 0,
    ModalityLUTSequence: [
      {
        LUTDescriptor: [4096, 0, 16],
        ModalityLUTType: "US",
        LUTData: words(modalityTable),
        _vrMap: { LUTData: "OW" },
      },
    ],
    WindowCenter: "2048",
    WindowWidth: "4096",
    PixelData: words(gradient(0, 4095)),
    _vrMap: { PixelData: "OW" },
  });
  // A VOI LUT (no window): an S-curve of 8-bit entries over stored values 100 … 3099.
  const voiTable = Array.from({ length: 3000 }, (_, i) =>
    Math.round(255 / (1 + Math.exp(-(i - 1500) / 300))),
  );
  add("voi-lut", "voi-lut", {
    ...base("voi-lut"),
    PhotometricInterpretation: "MONOCHROME2",
    BitsAllocated: 16,
    BitsStored: 12,
    HighBit: 11,
    PixelRepresentation: 0,
    VOILUTSequence: [
      {
        LUTDescriptor: [3000, 100, 8],
        LUTExplanation: "S-CURVE",
        LUTData: words(voiTable),
        _vrMap: { LUTData: "OW" },
      },
    ],
    PixelData: words(gradient(0, 4095)),
    _vrMap: { PixelData: "OW" },
  });
  const ramp = (n: number, f: (t: number) => number) =>
    Array.from({ length: n }, (_, i) => Math.round(f(i / (n - 1))));
  add("palette-8bit", "none", {
    ...base("palette-8bit"),
    PhotometricInterpretation: "PALETTE COLOR",
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    PixelRepresentation: 0,
    RedPaletteColorLookupTableDescriptor: [256, 0, 16],
    GreenPaletteColorLookupTableDescriptor: [256, 0, 16],
    BluePaletteColorLookupTableDescriptor: [256, 0, 16],
    RedPaletteColorLookupTableData: words(ramp(256, (t) => 65535 * t)),
    GreenPaletteColorLookupTableData: words(ramp(256, (t) => 65535 * Math.sin(Math.PI * t))),
    BluePaletteColorLookupTableData: words(ramp(256, (t) => 65535 * (1 - t))),
    PixelData: bytes(gradient(0, 255)),
    _vrMap: {
      PixelData: "OB",
      RedPaletteColorLookupTableData: "OW",
      GreenPaletteColorLookupTableData: "OW",
      BluePaletteColorLookupTableData: "OW",
    },
  });
  add("palette-16bit", "none", {
    ...base("palette-16bit"),
    PhotometricInterpretation: "PALETTE COLOR",
    BitsAllocated: 16,
    BitsStored: 16,
    HighBit: 15,
    PixelRepresentation: 0,
    RedPaletteColorLookupTableDescriptor: [4096, 1000, 16],
    GreenPaletteColorLookupTableDescriptor: [4096, 1000, 16],
    BluePaletteColorLookupTableDescriptor: [4096, 1000, 16],
    RedPaletteColorLookupTableData: words(ramp(4096, (t) => 65535 * t * t)),
    GreenPaletteColorLookupTableData: words(ramp(4096, (t) => 65535 * Math.abs(Math.sin(3 * Math.PI * t)))),
    BluePaletteColorLookupTableData: words(ramp(4096, (t) => 65535 * (1 - t))),
    PixelData: words(gradient(500, 5500)),
    _vrMap: {
      PixelData: "OW",
      RedPaletteColorLookupTableData: "OW",
      GreenPaletteColorLookupTableData: "OW",
      BluePaletteColorLookupTableData: "OW",
    },
  });
  for (const c of cases) writeFileSync(c.path, encodePart10(c.dataset));
  return cases.map(({ name, path, dcmtk }) => ({ name, path, dcmtk }));
}
