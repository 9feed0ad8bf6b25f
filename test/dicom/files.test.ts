import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import * as tags from "../../shared/dicom/tags.js";
import {
  type DataSet,
  DicomParseError,
  parseDataset,
  parseDatasetFile,
} from "../../electron/pacs/dicom/dataset.js";
import { readPart10Header, readPart10HeaderFromFile } from "../../electron/pacs/dicom/part10.js";
import { type PydicomTruth, TEST_FILES, pydicomTestFiles, pydicomTruth } from "./helpers.js";

const FILES = pydicomTestFiles();
const name = (path: string): string => relative(TEST_FILES, path);

/** Not DICOM at all: DCMTK refuses them too (pydicom reads no_meta.dcm only with force, as one garbage element). */
const NOT_DICOM = new Set(["no_meta.dcm", "dicomdirtests/README.txt", "dicomdirtests/TINY_ALPHA/README"]);

/**
 * Values cut short by the end of the file: pydicom drops the element with a warning, Hilum refuses
 * the object. The header before the cut still parses where the cut is in the pixel data.
 */
const TRUNCATED: Record<string, { headerParses: boolean }> = {
  "MR_truncated.dcm": { headerParses: true },
  "rtplan_truncated.dcm": { headerParses: false },
};

const TEXT_TAGS = {
  PatientName: tags.PatientName,
  PatientID: tags.PatientID,
  StudyInstanceUID: tags.StudyInstanceUID,
  SOPInstanceUID: tags.SOPInstanceUID,
  SOPClassUID: tags.SOPClassUID,
  Modality: tags.Modality,
};

/** pydicom prints a PN without its trailing empty component groups ("A=B=" as "A=B"). */
function comparable(keyword: string, value: string | undefined | null): string | null {
  if (value === undefined || value === null) return null;
  return keyword === "PatientName" ? value.replace(/=+$/, "") : value;
}

function countItems(ds: DataSet): number {
  let n = 0;
  for (const el of ds.elements()) for (const item of el.items ?? []) n += 1 + countItems(item);
  return n;
}

function expectValuesMatch(ds: DataSet, truth: PydicomTruth): void {
  for (const [keyword, tag] of Object.entries(TEXT_TAGS)) {
    expect(comparable(keyword, ds.string(tag)), keyword).toBe(comparable(keyword, truth.text[keyword]));
  }
  expect(ds.number(tags.Rows) ?? null).toBe(truth.rows ?? null);
}

let truth: Map<string, PydicomTruth>;
beforeAll(() => {
  truth = pydicomTruth(FILES);
});

function truthFor(path: string): PydicomTruth {
  const t = truth.get(path);
  if (!t) throw new Error(`no pydicom result for ${path}`);
  return t.ok ? t : (t.forced ?? t);
}

describe.each(FILES.map((path) => [name(path), path]))("%s", (label, path) => {
  const bytes = readFileSync(path);

  if (NOT_DICOM.has(label)) {
    it("is refused as not DICOM", () => {
      expect(() => readPart10Header(bytes)).toThrow(DicomParseError);
      expect(() => readPart10Header(bytes)).toThrow(/not a DICOM file/);
      expect(() => readPart10HeaderFromFile(path)).toThrow(/not a DICOM file/);
    });
    return;
  }

  const truncated = TRUNCATED[label];
  const header = readPart10Header(bytes);
  const dataset = bytes.subarray(header.datasetOffset);
  const options = { transferSyntaxUid: header.transferSyntaxUid };

  it("reads the same File Meta Information from the head of the file", () => {
    expect(readPart10HeaderFromFile(path)).toEqual(header);
  });

  if (truncated) {
    it("refuses the truncated object with the offset and tag", () => {
      expect(() => parseDataset(dataset, options)).toThrow(
        /^element \([0-9A-F]{4},[0-9A-F]{4}\) at offset \d+ claims \d+ bytes but only \d+ remain$/,
      );
      expect(() => parseDatasetFile(path, header.datasetOffset, options)).toThrow(DicomParseError);
    });
    if (truncated.headerParses) {
      it("still parses the header before the cut, with pydicom's values", () => {
        expectValuesMatch(parseDataset(dataset, { ...options, stopAtPixelData: true }), truthFor(path));
      });
    }
    return;
  }

  it("parses fully with pydicom's values, element and item counts", () => {
    const t = truthFor(path);
    expect(t.ok).toBe(true);
    const full = parseDataset(dataset, { ...options, readFragments: true });
    expectValuesMatch(full, t);
    expect(full.size).toBe(t.elementCount);
    expect(countItems(full)).toBe(t.itemCount);
    if (t.fragments) {
      expect(full.get(tags.PixelData)?.fragments?.map((f) => f.length)).toEqual(t.fragments);
    }
  });

  it("parses the header up to the pixel data", () => {
    const full = parseDataset(dataset, options);
    const head = parseDataset(dataset, { ...options, stopAtPixelData: true });
    expectValuesMatch(head, truthFor(path));
    const pixel = full.get(tags.PixelData);
    expect(head.has(tags.PixelData)).toBe(pixel !== undefined);
    if (pixel) {
      expect(head.get(tags.PixelData)?.offset).toBe(pixel.offset);
      expect(head.get(tags.PixelData)?.value).toBeUndefined();
      expect(head.pixelDataOffset).toBeLessThan(pixel.offset);
    }
  });

  it("parses the same from disk, leaving long values there", () => {
    const full = parseDataset(dataset, options);
    const fromFile = parseDatasetFile(path, header.datasetOffset, { ...options, skipValuesLongerThan: 256 });
    expect(fromFile.size).toBe(full.size);
    expect(countItems(fromFile)).toBe(countItems(full));
    for (const el of fromFile.elements()) {
      if (el.length > 256 && el.value === undefined) continue;
      expect(fromFile.string(el.tag), `${el.tag.toString(16)}`).toBe(full.string(el.tag));
    }
  });
});

describe("what the parser makes of unusual files", () => {
  const read = (file: string, extra = {}) => {
    const bytes = readFileSync(`${TEST_FILES}/${file}`);
    const header = readPart10Header(bytes);
    return parseDataset(bytes.subarray(header.datasetOffset), {
      transferSyntaxUid: header.transferSyntaxUid,
      ...extra,
    });
  };

  it("reads an implicit-VR data set whose transfer syntax claims explicit VR (SC_rgb_jpeg.dcm)", () => {
    const ds = read("SC_rgb_jpeg.dcm");
    expect(ds.explicitVr).toBe(false);
    expect(ds.number(tags.Rows)).toBe(256);
  });

  it("reads UN of undefined length as an implicit VR little endian sequence", () => {
    const ds = read("UN_sequence.dcm");
    const [el] = [...ds.elements()];
    expect(el?.vr).toBe("SQ");
    const inner = ds.items(el?.tag ?? 0)[0]?.items(tags.ReferencedSeriesSequence)[0];
    expect(inner?.string(tags.SeriesInstanceUID)).toBe("1.2.840.113619.2.327.3.185221411.476.1398588726.276");
    expect(inner?.explicitVr).toBe(false);
  });

  it("keeps a private sequence of defined length in implicit VR as UN bytes", () => {
    const ds = read("priv_SQ.dcm");
    expect(ds.get(0x3f031001)?.vr).toBe("UN");
    expect(ds.get(0x3f031001)?.value?.length).toBe(166);
    expect(ds.string(0x3f030010)).toBe("aaabbbccc MEDICAL SYSTEMS");
  });

  it("cuts sequence and item lengths that run past the end of the file (DICOMDIR-nooffset)", () => {
    const ds = read("dicomdirtests/DICOMDIR-nooffset");
    expect(ds.items(tags.DirectoryRecordSequence)).toHaveLength(52);
    expect(ds.items(tags.DirectoryRecordSequence).at(-1)?.strings(tags.ReferencedFileID)).toEqual([
      "98892003",
      "MR700",
      "4648",
    ]);
  });

  it("walks fragments that contain delimiter-like bytes by their lengths", () => {
    const ds = read("JPEG2000-embedded-sequence-delimiter.dcm", { readFragments: true });
    const pixel = ds.get(tags.PixelData);
    expect(pixel?.length).toBe(0xffffffff);
    expect(pixel?.basicOffsetTable?.length).toBe(0);
    expect(pixel?.fragments).toHaveLength(1);
  });

  it("decodes numbers with the data set's byte order", () => {
    const little = read("MR_small.dcm");
    const big = read("MR_small_bigendian.dcm");
    for (const tag of [tags.Rows, tags.Columns, tags.BitsAllocated])
      expect(big.number(tag)).toBe(little.number(tag));
    expect(big.numbers(tags.ImagePositionPatient)).toEqual(little.numbers(tags.ImagePositionPatient));
  });

  it("reports a malformed IS as NaN instead of failing (badVR.dcm)", () => {
    expect(read("badVR.dcm").number(tags.NumberOfFrames)).toBeNaN();
  });

  it("inflates a deflated data set", () => {
    const ds = read("image_dfl.dcm");
    expect(ds.number(tags.Rows)).toBe(512);
    expect(ds.string(tags.Modality)).toBe("OT");
  });
});
