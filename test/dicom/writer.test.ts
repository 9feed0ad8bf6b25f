import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import * as tags from "../../shared/dicom/tags.js";
import { TransferSyntaxUid } from "../../shared/dicom/transfer-syntax.js";
import { type DataSet, parseDataset } from "../../electron/pacs/dicom/dataset.js";
import { encodeFileMeta, readPart10Header } from "../../electron/pacs/dicom/part10.js";
import { encodeDataset, type WritableElement } from "../../electron/pacs/dicom/writer.js";

const SYNTAXES = {
  "implicit VR little endian": TransferSyntaxUid.ImplicitVRLittleEndian,
  "explicit VR little endian": TransferSyntaxUid.ExplicitVRLittleEndian,
  "explicit VR big endian": TransferSyntaxUid.ExplicitVRBigEndian,
  "deflated explicit VR little endian": TransferSyntaxUid.DeflatedExplicitVRLittleEndian,
};

const PRIVATE_CREATOR = 0x00090010;
const PRIVATE_TEXT = 0x00091001;
const PRIVATE_BYTES = 0x00091002;

/** Elements of every kind the writer handles, deliberately out of tag order. */
function sample(): WritableElement[] {
  return [
    { tag: tags.PixelData, vr: "OW", value: [0, 1, 65535, 4096] },
    { tag: tags.PatientName, value: "Müller^Jürgen=王^小東" },
    { tag: tags.SpecificCharacterSet, value: "ISO_IR 192" },
    { tag: tags.ImageType, value: ["ORIGINAL", "PRIMARY", "AXIAL"] },
    { tag: tags.SOPInstanceUID, value: "1.2.3.4" },
    { tag: tags.PatientID, value: "ID1" },
    { tag: tags.StudyDescription, value: "" },
    { tag: tags.AccessionNumber, value: null },
    { tag: tags.Rows, value: 512 },
    { tag: tags.Columns, value: "256" },
    { tag: 0x00289503, value: [-1024, 7] }, // VerticesOfTheRegion (SS)
    { tag: tags.PixelSpacing, value: [0.48828125, 1 / 3] },
    { tag: tags.InstanceNumber, value: 42 },
    { tag: 0x00186020, value: -2147483648 }, // ReferencePixelX0 (SL)
    { tag: 0x00181063, value: 33.33 }, // FrameTime (DS)
    { tag: 0x00189087, value: -2.25 }, // DiffusionBValue (FD)
    { tag: 0x00189089, value: [0.1, 0.2, 0.3] }, // DiffusionGradientOrientation (FD)
    { tag: 0x00109431, value: 0.5 }, // ExaminedBodyThickness (FL)
    { tag: tags.OffendingElement, value: [tags.PatientName, tags.PixelData] }, // AT
    { tag: 0x00081161, value: [0, 4294967295] }, // SimpleFrameList (UL)
    { tag: 0x00720083, value: 2 ** 40 }, // SelectorUVValue
    { tag: 0x00720082, value: -(2 ** 40) }, // SelectorSVValue
    { tag: tags.PrivateInformation, vr: "OB", value: Buffer.from([1, 2, 3]) },
    { tag: PRIVATE_CREATOR, value: "HILUM TEST" },
    { tag: PRIVATE_TEXT, vr: "LO", value: "private text" },
    { tag: PRIVATE_BYTES, value: Buffer.from([0xde, 0xad, 0xbe, 0xef]) },
    {
      tag: tags.ReferencedStudySequence,
      value: [
        [
          { tag: tags.ReferencedSOPInstanceUID, value: "1.2.3.4.5.6" },
          { tag: tags.ReferencedSOPClassUID, value: "1.2.840.10008.3.1.2.3.1" },
        ],
        [
          { tag: tags.ReferencedSOPInstanceUID, value: "9.8.7" },
          { tag: tags.PurposeOfReferenceCodeSequence, value: [[{ tag: tags.CodeValue, value: "121311" }]] },
        ],
      ],
    },
    { tag: tags.ReferencedImageSequence, value: [] },
  ];
}

function expectSampleValues(ds: DataSet): void {
  expect(ds.string(tags.PatientName)).toBe("Müller^Jürgen=王^小東");
  expect(ds.strings(tags.ImageType)).toEqual(["ORIGINAL", "PRIMARY", "AXIAL"]);
  expect(ds.string(tags.SOPInstanceUID)).toBe("1.2.3.4");
  expect(ds.string(tags.StudyDescription)).toBe("");
  expect(ds.string(tags.AccessionNumber)).toBe("");
  expect(ds.number(tags.Rows)).toBe(512);
  expect(ds.number(tags.Columns)).toBe(256);
  expect(ds.numbers(0x00289503)).toEqual([-1024, 7]);
  expect(ds.numbers(tags.PixelSpacing)).toEqual([0.48828125, 0.33333333333333]);
  expect(ds.number(tags.InstanceNumber)).toBe(42);
  expect(ds.number(0x00186020)).toBe(-2147483648);
  expect(ds.number(0x00181063)).toBe(33.33);
  expect(ds.number(0x00189087)).toBe(-2.25);
  expect(ds.numbers(0x00189089)).toEqual([0.1, 0.2, 0.3]);
  expect(ds.number(0x00109431)).toBe(0.5);
  expect(ds.numbers(tags.OffendingElement)).toEqual([tags.PatientName, tags.PixelData]);
  expect(ds.numbers(0x00081161)).toEqual([0, 4294967295]);
  expect(ds.number(0x00720083)).toBe(2 ** 40);
  expect(ds.number(0x00720082)).toBe(-(2 ** 40));
  expect([...(ds.bytes(tags.PrivateInformation) ?? [])]).toEqual([1, 2, 3, 0]);
  expect(ds.string(PRIVATE_CREATOR)).toBe("HILUM TEST");
  expect([...(ds.bytes(PRIVATE_BYTES) ?? [])]).toEqual([0xde, 0xad, 0xbe, 0xef]);
  expect(ds.numbers(tags.PixelData)).toEqual([0, 1, 65535, 4096]);
  const items = ds.items(tags.ReferencedStudySequence);
  expect(items.map((item) => item.string(tags.ReferencedSOPInstanceUID))).toEqual(["1.2.3.4.5.6", "9.8.7"]);
  expect(items[1]?.items(tags.PurposeOfReferenceCodeSequence)[0]?.string(tags.CodeValue)).toBe("121311");
  expect(items[0]?.charsets).toEqual(["ISO_IR 192"]);
  expect(ds.has(tags.ReferencedImageSequence)).toBe(true);
  expect(ds.items(tags.ReferencedImageSequence)).toEqual([]);
}

describe.each(Object.entries(SYNTAXES))("encodeDataset in %s", (_label, transferSyntaxUid) => {
  it("round-trips every kind of value through parseDataset", () => {
    const bytes = encodeDataset(sample(), { transferSyntaxUid });
    const ds = parseDataset(bytes, { transferSyntaxUid });
    expectSampleValues(ds);
    const order = [...ds.elements()].map((el) => el.tag);
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it("pads every value to even length with the VR's pad byte", () => {
    const ds = parseDataset(encodeDataset(sample(), { transferSyntaxUid }), { transferSyntaxUid });
    for (const el of ds.elements())
      if (el.length !== 0xffffffff) expect(el.length % 2, el.tag.toString(16)).toBe(0);
    expect(ds.bytes(tags.SOPInstanceUID)?.at(-1)).toBe(0x00);
    expect(ds.bytes(PRIVATE_CREATOR)?.toString("latin1")).toBe("HILUM TEST");
    expect(ds.bytes(tags.PatientID)?.toString("latin1")).toBe("ID1 ");
  });
});

describe("encodeDataset", () => {
  const explicit = { transferSyntaxUid: TransferSyntaxUid.ExplicitVRLittleEndian };

  it("writes sequences and items with defined lengths", () => {
    const bytes = encodeDataset(
      [
        {
          tag: tags.ReferencedStudySequence,
          value: [[{ tag: tags.ReferencedSOPInstanceUID, value: "1.2" }]],
        },
      ],
      explicit,
    );
    const seq = parseDataset(bytes, explicit).get(tags.ReferencedStudySequence);
    expect(seq?.length).toBe(bytes.length - 12);
    expect(bytes.readUInt32LE(16)).toBe(bytes.length - 20); // item length
  });

  it("encodes text in the Specific Character Set the elements carry", () => {
    const bytes = encodeDataset(
      [
        { tag: tags.SpecificCharacterSet, value: "ISO_IR 100" },
        { tag: tags.PatientName, value: "Buc^Jérôme" },
      ],
      explicit,
    );
    expect(bytes.includes(Buffer.from("Buc^J\xe9r\xf4me", "latin1"))).toBe(true);
    expect(parseDataset(bytes, explicit).string(tags.PatientName)).toBe("Buc^Jérôme");
  });

  it("uses the charset option when the elements carry none", () => {
    const bytes = encodeDataset([{ tag: tags.PatientName, value: "Jérôme" }], {
      ...explicit,
      charset: "ISO_IR 100",
    });
    expect(bytes.subarray(8).toString("latin1")).toBe("J\xe9r\xf4me");
  });

  it("refuses what it cannot encode faithfully", () => {
    expect(() => encodeDataset([{ tag: tags.Rows, value: 70000 }], explicit)).toThrow(
      /\(0028,0010\).*not a valid US/,
    );
    expect(() => encodeDataset([{ tag: tags.Modality, value: "ÇT" }], explicit)).toThrow(
      /only the default repertoire/,
    );
    expect(() =>
      encodeDataset(
        [
          { tag: tags.Rows, value: 1 },
          { tag: tags.Rows, value: 2 },
        ],
        explicit,
      ),
    ).toThrow(/appears twice/);
    expect(() => encodeDataset([{ tag: tags.StudyDescription, value: "x".repeat(70000) }], explicit)).toThrow(
      /too long for VR LO/,
    );
    expect(() => encodeDataset([{ tag: tags.InstanceNumber, value: 1.5 }], explicit)).toThrow(
      /not a valid IS/,
    );
    expect(() => encodeDataset([{ tag: tags.Rows, value: "abc" }], explicit)).toThrow(/not a number/);
    expect(() => encodeDataset([], { transferSyntaxUid: TransferSyntaxUid.JPEGBaseline8Bit })).toThrow(
      /transfer syntax/,
    );
  });

  it("writes a long decimal in at most 16 characters", () => {
    const bytes = encodeDataset([{ tag: tags.SliceThickness, value: Math.PI * 1e10 }], explicit);
    const text = parseDataset(bytes, explicit).string(tags.SliceThickness) ?? "";
    expect(text.length).toBeLessThanOrEqual(16);
    expect(Number(text)).toBeCloseTo(Math.PI * 1e10, -2);
  });
});

describe("encodeFileMeta", () => {
  const options = {
    sopClassUid: "1.2.840.10008.5.1.4.1.1.7",
    sopInstanceUid: "1.2.826.0.1.3680043.8.498.1",
    transferSyntaxUid: TransferSyntaxUid.ExplicitVRLittleEndian,
    implementationClassUid: "1.2.826.0.1.3680043.8.498.99",
    implementationVersionName: "HILUM_0.1",
    sourceApplicationEntityTitle: "HILUM",
  };

  it("writes a preamble, DICM and group 0002 with its group length", () => {
    const meta = encodeFileMeta(options);
    expect(meta.subarray(0, 128).every((b) => b === 0)).toBe(true);
    expect(meta.toString("latin1", 128, 132)).toBe("DICM");
    expect(meta.readUInt32LE(140)).toBe(meta.length - 144);
    const header = readPart10Header(meta);
    expect(header).toMatchObject({
      hasPreamble: true,
      transferSyntaxUid: options.transferSyntaxUid,
      mediaStorageSopClassUid: options.sopClassUid,
      mediaStorageSopInstanceUid: options.sopInstanceUid,
      implementationClassUid: options.implementationClassUid,
      implementationVersionName: "HILUM_0.1",
      sourceApplicationEntityTitle: "HILUM",
      datasetOffset: meta.length,
    });
    const group = parseDataset(meta.subarray(132), options);
    expect([...(group.bytes(tags.FileMetaInformationVersion) ?? [])]).toEqual([0, 1]);
    expect(group.bytes(tags.MediaStorageSOPInstanceUID)?.at(-1)).toBe(0); // odd UID padded with NUL
    expect(group.bytes(tags.SourceApplicationEntityTitle)?.toString("latin1")).toBe("HILUM ");
  });
});

describe("files written by Hilum, read by DCMTK and dicom3tools", () => {
  const image = (): WritableElement[] => [
    { tag: tags.SpecificCharacterSet, value: "ISO_IR 192" },
    { tag: tags.SOPClassUID, value: "1.2.840.10008.5.1.4.1.1.7" },
    { tag: tags.SOPInstanceUID, value: "1.2.826.0.1.3680043.8.498.1" },
    { tag: tags.StudyDate, value: "20240101" },
    { tag: tags.StudyTime, value: "120000" },
    { tag: tags.AccessionNumber, value: null },
    { tag: tags.Modality, value: "OT" },
    { tag: tags.ConversionType, value: "WSD" },
    { tag: tags.ReferringPhysicianName, value: null },
    { tag: tags.PatientName, value: "Müller^Jürgen" },
    { tag: tags.PatientID, value: "ID1" },
    { tag: tags.PatientBirthDate, value: null },
    { tag: tags.PatientSex, value: "O" },
    { tag: tags.StudyInstanceUID, value: "1.2.826.0.1.3680043.8.498.2" },
    { tag: tags.SeriesInstanceUID, value: "1.2.826.0.1.3680043.8.498.3" },
    { tag: tags.StudyID, value: "S1" },
    { tag: tags.SeriesNumber, value: 1 },
    { tag: tags.InstanceNumber, value: 1 },
    { tag: tags.PatientOrientation, value: null },
    { tag: tags.Laterality, value: null },
    { tag: tags.SamplesPerPixel, value: 1 },
    { tag: tags.PhotometricInterpretation, value: "MONOCHROME2" },
    { tag: tags.Rows, value: 4 },
    { tag: tags.Columns, value: 4 },
    { tag: tags.BitsAllocated, value: 16 },
    { tag: tags.BitsStored, value: 12 },
    { tag: tags.HighBit, value: 11 },
    { tag: tags.PixelRepresentation, value: 0 },
    { tag: tags.PixelData, vr: "OW", value: Array.from({ length: 16 }, (_, i) => i * 100) },
  ];

  function writeFile(dir: string, transferSyntaxUid: string): string {
    const meta = encodeFileMeta({
      sopClassUid: "1.2.840.10008.5.1.4.1.1.7",
      sopInstanceUid: "1.2.826.0.1.3680043.8.498.1",
      transferSyntaxUid,
      implementationClassUid: "1.2.826.0.1.3680043.8.498.99",
      implementationVersionName: "HILUM_0.1",
    });
    const path = join(dir, `${transferSyntaxUid}.dcm`);
    writeFileSync(path, Buffer.concat([meta, encodeDataset(image(), { transferSyntaxUid })]));
    return path;
  }

  const dir = mkdtempSync(join(inject("scratchRoot"), "writer-"));

  it.each(Object.entries(SYNTAXES))("dcmdump reads a file in %s without complaint", (_label, syntax) => {
    const result = spawnSync("dcmdump", [writeFile(dir, syntax)], { encoding: "utf8" });
    expect(result.status).toBe(0);
    const output = result.stdout + result.stderr;
    expect(output).not.toMatch(/^[EW]:|error/im);
    expect(output).toContain("(0010,0010) PN [Müller^Jürgen]");
    expect(output).toContain("(7fe0,0010) OW 0000\\0064\\00c8");
  });

  // dciodvfy cannot inflate, so deflated files are left to dcmdump.
  it.each(Object.entries(SYNTAXES).slice(0, 3))(
    "dciodvfy reads a file in %s as a valid SC image",
    (_label, syntax) => {
      const result = spawnSync("dciodvfy", [writeFile(dir, syntax)], { encoding: "utf8" });
      const output = result.stdout + result.stderr;
      expect(output).toMatch(/^SCImage$/m);
      expect(output).not.toMatch(/Error/);
      expect(result.status).toBe(0);
    },
  );
});
