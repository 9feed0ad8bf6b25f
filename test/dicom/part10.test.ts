import {
  closeSync,
  ftruncateSync,
  mkdtempSync,
  openSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import * as tags from "../../shared/dicom/tags.js";
import { TransferSyntaxUid } from "../../shared/dicom/transfer-syntax.js";
import { DicomParseError, parseDataset, parseDatasetFile } from "../../electron/pacs/dicom/dataset.js";
import {
  encodeFileMeta,
  readPart10Header,
  readPart10HeaderFromFile,
} from "../../electron/pacs/dicom/part10.js";
import { encodeDataset } from "../../electron/pacs/dicom/writer.js";
import { TEST_FILES } from "./helpers.js";

const testFile = (name: string) => readFileSync(join(TEST_FILES, name));
const scratch = () => mkdtempSync(join(inject("scratchRoot"), "part10-"));

describe("readPart10Header", () => {
  it("reads preamble, DICM and group 0002 with its group length", () => {
    const header = readPart10Header(testFile("CT_small.dcm"));
    expect(header).toEqual({
      hasPreamble: true,
      transferSyntaxUid: TransferSyntaxUid.ExplicitVRLittleEndian,
      transferSyntaxGuessed: false,
      mediaStorageSopClassUid: "1.2.840.10008.5.1.4.1.1.2",
      mediaStorageSopInstanceUid: "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322",
      implementationClassUid: "1.3.6.1.4.1.5962.2",
      implementationVersionName: "DCTOOL100",
      sourceApplicationEntityTitle: "CLUNIE1",
      datasetOffset: 336,
      metaLength: 204,
    });
  });

  it("reads a meta group without (0002,0000)", () => {
    const header = readPart10Header(testFile("no_meta_group_length.dcm"));
    expect(header.transferSyntaxUid).toBe(TransferSyntaxUid.ImplicitVRLittleEndian);
    expect(header.sourceApplicationEntityTitle).toBe("IVIEW");
  });

  it("reads a meta group that is not preceded by a preamble", () => {
    const header = readPart10Header(testFile("CT_small.dcm").subarray(132));
    expect(header).toMatchObject({
      hasPreamble: false,
      transferSyntaxUid: TransferSyntaxUid.ExplicitVRLittleEndian,
    });
    expect(header.datasetOffset).toBe(204);
  });

  it("guesses the transfer syntax when (0002,0010) is missing", () => {
    const header = readPart10Header(testFile("meta_missing_tsyntax.dcm"));
    expect(header).toMatchObject({
      hasPreamble: true,
      transferSyntaxUid: TransferSyntaxUid.ImplicitVRLittleEndian,
      transferSyntaxGuessed: true,
    });
  });

  it.each([
    ["ExplVR_BigEndNoMeta.dcm", TransferSyntaxUid.ExplicitVRBigEndian],
    ["ExplVR_LitEndNoMeta.dcm", TransferSyntaxUid.ExplicitVRLittleEndian],
    ["rtstruct.dcm", TransferSyntaxUid.ImplicitVRLittleEndian],
  ])("guesses the transfer syntax of a bare data set (%s)", (file, syntax) => {
    const bytes = testFile(file);
    const header = readPart10Header(bytes);
    expect(header).toEqual({
      hasPreamble: false,
      transferSyntaxUid: syntax,
      transferSyntaxGuessed: true,
      datasetOffset: 0,
      metaLength: 0,
    });
    const ds = parseDataset(bytes, { transferSyntaxUid: header.transferSyntaxUid });
    expect(ds.string(tags.SOPInstanceUID)).toMatch(/^1\.2\./);
  });

  it.each([
    ["empty input", Buffer.alloc(0)],
    ["text", Buffer.from("This is not a DICOM file, just some text that goes on for a while.\n")],
    [
      "a PNG signature",
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]),
    ],
    ["zeros", Buffer.alloc(300)],
    ["no_meta.dcm, whose first byte is stray", testFile("no_meta.dcm")],
  ])("refuses %s as not a DICOM file", (_label, bytes) => {
    expect(() => readPart10Header(bytes)).toThrow(DicomParseError);
    expect(() => readPart10Header(bytes)).toThrow(/^not a DICOM file: /);
  });

  it("names the element and offset when the meta group is cut short", () => {
    const bytes = testFile("CT_small.dcm").subarray(0, 200);
    expect(() => readPart10Header(bytes)).toThrow(
      /^meta element \(0002,0003\) at offset \d+ needs \d+ bytes but only \d+ remain$/,
    );
  });
});

describe("readPart10HeaderFromFile", () => {
  it("reads the head of a file, also one shorter than its first read", () => {
    const dir = scratch();
    const path = join(dir, "small.dcm");
    writeFileSync(path, testFile("ExplVR_LitEndNoMeta.dcm"));
    expect(readPart10HeaderFromFile(path)).toEqual(readPart10Header(readFileSync(path)));
  });

  it("reads a meta group longer than its first read", () => {
    const meta = encodeFileMeta({
      sopClassUid: "1.2.840.10008.5.1.4.1.1.7",
      sopInstanceUid: "1.2.3",
      transferSyntaxUid: TransferSyntaxUid.ExplicitVRLittleEndian,
      implementationClassUid: "1.2.3.4",
    });
    // A 100 kB (0002,0102) Private Information element before the data set.
    const privateInfo = encodeDataset(
      [{ tag: tags.PrivateInformation, vr: "OB", value: Buffer.alloc(100_000, 7) }],
      {
        transferSyntaxUid: TransferSyntaxUid.ExplicitVRLittleEndian,
      },
    );
    const dataset = encodeDataset([{ tag: tags.PatientID, value: "P1" }], {
      transferSyntaxUid: TransferSyntaxUid.ExplicitVRLittleEndian,
    });
    const path = join(scratch(), "long-meta.dcm");
    writeFileSync(path, Buffer.concat([meta, privateInfo, dataset]));
    const header = readPart10HeaderFromFile(path);
    expect(header.datasetOffset).toBe(meta.length + privateInfo.length);
    expect(parseDatasetFile(path, header.datasetOffset, header).string(tags.PatientID)).toBe("P1");
  });
});

describe("parseDatasetFile on a 600 MB object", () => {
  const PIXEL_BYTES = 600 * 1024 * 1024;
  const explicit = { transferSyntaxUid: TransferSyntaxUid.ExplicitVRLittleEndian };

  /** A sparse file: header, a 600 MB Pixel Data value of holes, then a trailing element. */
  function hugeFile(): { path: string; datasetOffset: number; pixelOffset: number } {
    const meta = encodeFileMeta({
      sopClassUid: "1.2.840.10008.5.1.4.1.1.7",
      sopInstanceUid: "1.2.3",
      transferSyntaxUid: explicit.transferSyntaxUid,
      implementationClassUid: "1.2.3.4",
    });
    const head = encodeDataset(
      [
        { tag: tags.PatientName, value: "Big^Object" },
        { tag: tags.Rows, value: 10240 },
      ],
      explicit,
    );
    const pixelHeader = Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x57, 0, 0, 0, 0, 0, 0]);
    pixelHeader.writeUInt32LE(PIXEL_BYTES, 8);
    const trailer = encodeDataset(
      [{ tag: tags.DataSetTrailingPadding, vr: "OB", value: Buffer.from("ABCD") }],
      explicit,
    );
    const path = join(scratch(), "huge.dcm");
    const fd = openSync(path, "w");
    const pixelOffset = meta.length + head.length;
    writeSync(fd, Buffer.concat([meta, head, pixelHeader]), 0, undefined, 0);
    const end = pixelOffset + pixelHeader.length + PIXEL_BYTES;
    ftruncateSync(fd, end);
    writeSync(fd, trailer, 0, trailer.length, end);
    closeSync(fd);
    return { path, datasetOffset: meta.length, pixelOffset };
  }

  it("stops at the pixel data, or steps over it, reading only what it keeps", () => {
    const { path, datasetOffset, pixelOffset } = hugeFile();
    expect(readPart10HeaderFromFile(path).datasetOffset).toBe(datasetOffset);
    const before = process.memoryUsage().arrayBuffers;

    const head = parseDatasetFile(path, datasetOffset, { ...explicit, stopAtPixelData: true });
    expect(head.string(tags.PatientName)).toBe("Big^Object");
    expect(head.pixelDataOffset).toBe(pixelOffset);
    expect(head.get(tags.PixelData)).toMatchObject({
      length: PIXEL_BYTES,
      offset: pixelOffset + 12,
      value: undefined,
    });
    expect(head.has(tags.DataSetTrailingPadding)).toBe(false);

    const whole = parseDatasetFile(path, datasetOffset, { ...explicit, skipValuesLongerThan: 1024 * 1024 });
    expect(whole.get(tags.PixelData)?.value).toBeUndefined();
    expect(whole.bytes(tags.DataSetTrailingPadding)?.toString("latin1")).toBe("ABCD");
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(32 * 1024 * 1024);
  });

  it("refuses a data set offset beyond the end of the file", () => {
    const { path } = hugeFile();
    expect(() => parseDatasetFile(path, 2 ** 40, explicit)).toThrow(/beyond the end of the file/);
  });
});
