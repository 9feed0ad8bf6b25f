import { mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { generateCtSeries, type CtSeries } from "../fixtures/ct-series.js";
import { generateStudies } from "../fixtures/studies.js";
import { dcmdump } from "../support/dcmdump.js";
import { run } from "../support/process.js";

const scratch = () => mkdtempSync(join(inject("scratchRoot"), "fixtures-"));

const PIXEL_DATA_TAG = Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x57]); // (7FE0,0010) OW

/** The native pixel data of a file we wrote (explicit VR LE, OW): stored values. */
function pixelsOf(file: string): Int16Array {
  const bytes = readFileSync(file);
  const at = bytes.lastIndexOf(PIXEL_DATA_TAG);
  const length = bytes.readUInt32LE(at + 8);
  const start = bytes.byteOffset + at + 12;
  return new Int16Array(bytes.buffer.slice(start, start + length));
}

describe("generateCtSeries", () => {
  let dir: string;
  let series: CtSeries;

  beforeAll(() => {
    dir = scratch();
    series = generateCtSeries({
      dir: join(dir, "a"),
      slices: 5,
      patientName: "Phantom^Ct",
      patientId: "CT0001",
      accessionNumber: "ACC0001",
      sliceThickness: 2.5,
      seed: 42,
    });
  });

  it("writes CT images that dciodvfy accepts without errors", async () => {
    const result = await run("dciodvfy", [series.files[2] ?? ""]);
    expect(result.stderr).not.toMatch(/^Error/m);
    expect(result.code, result.stderr).toBe(0);
  });

  it("writes the attributes a viewer needs, stepping ImagePositionPatient down z", async () => {
    const dumped = await dcmdump(series.files);
    expect(dumped[0]).toMatchObject({
      SOPClassUID: "1.2.840.10008.5.1.4.1.1.2",
      Modality: "CT",
      PatientName: "Phantom^Ct",
      AccessionNumber: "ACC0001",
      Rows: "512",
      Columns: "512",
      BitsAllocated: "16",
      PixelRepresentation: "1",
      RescaleIntercept: "-1024",
      RescaleSlope: "1",
      PixelSpacing: "0.78125\\0.78125",
      ImageOrientationPatient: "1\\0\\0\\0\\1\\0",
      SliceThickness: "2.5",
      StudyInstanceUID: series.studyInstanceUid,
      SeriesInstanceUID: series.seriesInstanceUid,
      FrameOfReferenceUID: series.frameOfReferenceUid,
    });
    const z = dumped.map((d) => Number(d.ImagePositionPatient?.split("\\")[2]));
    expect(z).toEqual([5, 2.5, 0, -2.5, -5]);
    expect(dumped.map((d) => d.InstanceNumber)).toEqual(["1", "2", "3", "4", "5"]);
    expect(dumped.map((d) => d.SOPInstanceUID)).toEqual(series.sopInstanceUids);
  });

  it("paints a phantom in HU with padding outside the scan circle, different on every slice", () => {
    const pixels = series.files.map(pixelsOf);
    const first = pixels[0] ?? new Int16Array();
    expect(first[0]).toBe(-2000); // corner: outside the field of view
    const centre = first[256 * 512 + 256] ?? 0;
    expect(centre - 1024).toBeGreaterThan(0); // soft tissue, about 40 HU
    expect(centre - 1024).toBeLessThan(80);
    for (let i = 1; i < pixels.length; i++) expect(pixels[i]).not.toEqual(pixels[i - 1]);
  });

  it("writes identical bytes for the same seed, and other UIDs for another seed", () => {
    const again = generateCtSeries({
      dir: join(dir, "b"),
      slices: 5,
      patientName: "Phantom^Ct",
      patientId: "CT0001",
      accessionNumber: "ACC0001",
      sliceThickness: 2.5,
      seed: 42,
    });
    expect(again.sopInstanceUids).toEqual(series.sopInstanceUids);
    expect(readFileSync(again.files[3] ?? "").equals(readFileSync(series.files[3] ?? ""))).toBe(true);
    const other = generateCtSeries({
      dir: join(dir, "c"),
      slices: 1,
      rows: 16,
      columns: 16,
      patientName: "X",
      patientId: "X",
      seed: 43,
    });
    expect(other.studyInstanceUid).not.toBe(series.studyInstanceUid);
    expect(other.studyInstanceUid).toMatch(/^2\.25\.\d{1,39}$/);
  });

  it("honours given UIDs and declares UTF-8 for non-ASCII names", async () => {
    const given = generateCtSeries({
      dir: join(dir, "d"),
      slices: 2,
      rows: 16,
      columns: 16,
      patientName: "Müller^Jürgen",
      patientId: "U1",
      studyInstanceUid: "1.2.3.4",
      seriesInstanceUid: "1.2.3.4.5",
      seed: 1,
    });
    const [first] = await dcmdump(given.files);
    expect(first).toMatchObject({
      StudyInstanceUID: "1.2.3.4",
      SeriesInstanceUID: "1.2.3.4.5",
      SpecificCharacterSet: "ISO_IR 192",
      PatientName: "Müller^Jürgen",
    });
  });
});

describe("generateStudies", () => {
  it("writes small studies with varied patients, encodings, dates, modalities and unique accessions", async () => {
    const { files, studies } = generateStudies({ dir: scratch(), count: 200, seed: 5 });
    expect(files).toHaveLength(200);
    expect(new Set(studies.map((s) => s.accessionNumber)).size).toBe(200);
    expect(new Set(studies.map((s) => s.studyInstanceUid)).size).toBe(200);
    expect(new Set(studies.map((s) => s.patientId)).size).toBeLessThan(120); // patients have priors
    expect(new Set(studies.map((s) => s.modality)).size).toBeGreaterThan(5);
    expect(new Set(studies.map((s) => s.studyDate.slice(0, 4))).size).toBeGreaterThan(10);
    expect(new Set(studies.map((s) => s.characterSet))).toEqual(new Set(["", "ISO_IR 100", "ISO_IR 192"]));

    const sample = ["", "ISO_IR 100", "ISO_IR 192"].map((cs) => studies.find((s) => s.characterSet === cs));
    const dumped = await dcmdump(sample.map((s) => s?.file ?? ""));
    sample.forEach((study, index) => {
      expect(dumped[index]).toMatchObject({
        PatientName: study?.patientName,
        PatientID: study?.patientId,
        StudyDate: study?.studyDate,
        Modality: study?.modality,
        AccessionNumber: study?.accessionNumber,
      });
    });
  });

  it("encodes ISO_IR 100 names in Latin-1 bytes, not UTF-8", () => {
    const { studies } = generateStudies({ dir: scratch(), count: 20, seed: 5 });
    const latin1 = studies.find((s) => s.characterSet === "ISO_IR 100");
    const bytes = readFileSync(latin1?.file ?? "");
    expect(bytes.includes(Buffer.from(latin1?.patientName ?? "", "latin1"))).toBe(true);
    expect(bytes.includes(Buffer.from(latin1?.patientName ?? "", "utf8"))).toBe(false);
  });

  it("is deterministic", () => {
    const a = generateStudies({ dir: scratch(), count: 10, seed: "same" });
    const b = generateStudies({ dir: scratch(), count: 10, seed: "same" });
    expect(b.studies.map(({ file: _file, ...rest }) => rest)).toEqual(
      a.studies.map(({ file: _file, ...rest }) => rest),
    );
    expect(readFileSync(b.files[7] ?? "").equals(readFileSync(a.files[7] ?? ""))).toBe(true);
  });
});
