import { describe, expect, it } from "vitest";
import * as tags from "../../shared/dicom/tags.js";
import { TransferSyntaxUid } from "../../shared/dicom/transfer-syntax.js";
import { DicomParseError, parseDataset, UNDEFINED_LENGTH } from "../../electron/pacs/dicom/dataset.js";

const IMPLICIT = { transferSyntaxUid: TransferSyntaxUid.ImplicitVRLittleEndian };
const EXPLICIT = { transferSyntaxUid: TransferSyntaxUid.ExplicitVRLittleEndian };
const BIG = { transferSyntaxUid: TransferSyntaxUid.ExplicitVRBigEndian };
const LONG = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]);

/** One raw element; `vr` undefined writes implicit VR. Values are written as given: odd lengths stay odd. */
function raw(
  tag: number,
  vr: string | undefined,
  value: Buffer | string,
  length?: number,
  little = true,
): Buffer {
  const bytes = typeof value === "string" ? Buffer.from(value, "latin1") : value;
  const len = length ?? bytes.length;
  const u16 = (v: number) => {
    const b = Buffer.alloc(2);
    if (little) b.writeUInt16LE(v);
    else b.writeUInt16BE(v);
    return b;
  };
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    if (little) b.writeUInt32LE(v);
    else b.writeUInt32BE(v);
    return b;
  };
  const head = [u16(tag >>> 16), u16(tag & 0xffff)];
  if (vr === undefined) head.push(u32(len));
  else if (LONG.has(vr)) head.push(Buffer.from(vr, "latin1"), u16(0), u32(len));
  else head.push(Buffer.from(vr, "latin1"), u16(len));
  return Buffer.concat([...head, bytes]);
}

/** An item or delimiter: (FFFE,xxxx) and a 32-bit length, never a VR. */
function item(element: number, length: number, little = true): Buffer {
  return raw(0xfffe0000 | element, undefined, Buffer.alloc(0), length, little);
}

const ITEM = 0xe000;
const ITEM_END = 0xe00d;
const SEQ_END = 0xe0dd;

describe("parseDataset", () => {
  it("tolerates odd value lengths", () => {
    const input = Buffer.concat([raw(tags.PatientName, "PN", "Doe"), raw(tags.PatientID, "LO", "12345")]);
    const ds = parseDataset(input, EXPLICIT);
    expect(ds.string(tags.PatientName)).toBe("Doe");
    expect(ds.get(tags.PatientID)).toMatchObject({ length: 5, offset: 19 });
    expect(ds.string(tags.PatientID)).toBe("12345");
  });

  it("keeps group length elements as ordinary UL elements", () => {
    const input = Buffer.concat([
      raw(0x00100000, undefined, Buffer.from([8, 0, 0, 0])),
      raw(tags.PatientID, undefined, "ID"),
    ]);
    const ds = parseDataset(input, IMPLICIT);
    expect(ds.get(0x00100000)?.vr).toBe("UL");
    expect(ds.number(0x00100000)).toBe(8);
  });

  it("infers implicit VRs: dictionary, LO for private creators, UN for other private tags", () => {
    const input = Buffer.concat([
      raw(tags.Rows, undefined, Buffer.from([0, 2])),
      raw(0x00090010, undefined, "ACME"),
      raw(0x00091001, undefined, Buffer.from([1, 2])),
    ]);
    const ds = parseDataset(input, IMPLICIT);
    expect(ds.get(tags.Rows)?.vr).toBe("US");
    expect(ds.number(tags.Rows)).toBe(512);
    expect(ds.get(0x00090010)?.vr).toBe("LO");
    expect(ds.string(0x00090010)).toBe("ACME");
    expect(ds.get(0x00091001)?.vr).toBe("UN");
    expect(ds.string(0x00091001)).toBeUndefined();
  });

  it("takes the dictionary VR for explicit UN of a known tag", () => {
    const ds = parseDataset(raw(tags.PatientName, "UN", "Doe^J "), EXPLICIT);
    expect(ds.get(tags.PatientName)?.vr).toBe("PN");
    expect(ds.string(tags.PatientName)).toBe("Doe^J");
  });

  it("sorts elements given out of order and keeps the first of a repeated tag", () => {
    const input = Buffer.concat([
      raw(tags.PatientID, "LO", "B "),
      raw(tags.PatientName, "PN", "A "),
      raw(tags.PatientID, "LO", "C "),
    ]);
    const ds = parseDataset(input, EXPLICIT);
    expect([...ds.elements()].map((el) => el.tag)).toEqual([tags.PatientName, tags.PatientID]);
    expect(ds.string(tags.PatientID)).toBe("B");
  });

  it("reads sequences and items of undefined length, nested, in explicit and implicit VR", () => {
    const leaf = raw(tags.CodeValue, "SH", "T-1 ");
    const inner = Buffer.concat([
      raw(tags.PurposeOfReferenceCodeSequence, "SQ", Buffer.alloc(0), UNDEFINED_LENGTH),
      item(ITEM, UNDEFINED_LENGTH),
      leaf,
      item(ITEM_END, 0),
      item(SEQ_END, 0),
    ]);
    const explicit = Buffer.concat([
      raw(tags.ReferencedStudySequence, "SQ", Buffer.alloc(0), UNDEFINED_LENGTH),
      item(ITEM, inner.length),
      inner,
      item(ITEM, UNDEFINED_LENGTH),
      item(ITEM_END, 0),
      item(SEQ_END, 0),
      raw(tags.PatientID, "LO", "after "),
    ]);
    const ds = parseDataset(explicit, EXPLICIT);
    const items = ds.items(tags.ReferencedStudySequence);
    expect(items).toHaveLength(2);
    expect(items[0]?.items(tags.PurposeOfReferenceCodeSequence)[0]?.string(tags.CodeValue)).toBe("T-1");
    expect(items[1]?.size).toBe(0);
    expect(ds.string(tags.PatientID)).toBe("after");

    const implicit = Buffer.concat([
      raw(tags.ReferencedStudySequence, undefined, Buffer.alloc(0), UNDEFINED_LENGTH),
      item(ITEM, UNDEFINED_LENGTH),
      raw(tags.CodeValue, undefined, "T-2 "),
      item(ITEM_END, 0),
      item(SEQ_END, 0),
    ]);
    const fromImplicit = parseDataset(implicit, IMPLICIT);
    expect(fromImplicit.get(tags.ReferencedStudySequence)?.vr).toBe("SQ");
    expect(fromImplicit.items(tags.ReferencedStudySequence)[0]?.string(tags.CodeValue)).toBe("T-2");
  });

  it("reads a big endian sequence and its numbers", () => {
    const content = raw(tags.Rows, "US", Buffer.from([0x02, 0x00]), undefined, false);
    const input = Buffer.concat([
      raw(tags.ReferencedImageSequence, "SQ", Buffer.alloc(0), content.length + 8, false),
      item(ITEM, content.length, false),
      content,
    ]);
    expect(parseDataset(input, BIG).items(tags.ReferencedImageSequence)[0]?.number(tags.Rows)).toBe(512);
  });

  it("reads encapsulated pixel data: basic offset table and fragments, when asked", () => {
    const input = Buffer.concat([
      raw(tags.Rows, "US", Buffer.from([4, 0])),
      raw(tags.PixelData, "OB", Buffer.alloc(0), UNDEFINED_LENGTH),
      item(ITEM, 4),
      Buffer.from([0, 0, 0, 0]),
      item(ITEM, 6),
      Buffer.from("frame1"),
      item(ITEM, 2),
      Buffer.from("f2"),
      item(SEQ_END, 0),
      raw(tags.DataSetTrailingPadding, "OB", Buffer.alloc(2)),
    ]);
    const pixel = parseDataset(input, { ...EXPLICIT, readFragments: true }).get(tags.PixelData);
    expect(pixel?.length).toBe(UNDEFINED_LENGTH);
    expect([...(pixel?.basicOffsetTable ?? [])]).toEqual([0, 0, 0, 0]);
    expect(pixel?.fragments?.map((f) => f.toString())).toEqual(["frame1", "f2"]);
    const walked = parseDataset(input, EXPLICIT);
    expect(walked.get(tags.PixelData)?.fragments).toBeUndefined();
    expect(walked.has(tags.DataSetTrailingPadding)).toBe(true);
    const stopped = parseDataset(input, { ...EXPLICIT, stopAtPixelData: true });
    expect(stopped.pixelDataOffset).toBe(10);
    expect(stopped.has(tags.DataSetTrailingPadding)).toBe(false);
  });

  it("stops at the pixel data of a buffer that holds only the head of the object", () => {
    const input = Buffer.concat([
      raw(tags.Rows, "US", Buffer.from([4, 0])),
      raw(tags.PixelData, "OW", Buffer.alloc(4), 1_000_000),
    ]);
    const head = parseDataset(input, { ...EXPLICIT, stopAtPixelData: true });
    expect(head.get(tags.PixelData)).toMatchObject({ length: 1_000_000, offset: 22, value: undefined });
    expect(() => parseDataset(input, EXPLICIT)).toThrow(
      "element (7FE0,0010) at offset 10 claims 1000000 bytes but only 4 remain",
    );
  });

  it("keeps offset and length of values longer than skipValuesLongerThan, without the bytes", () => {
    const input = Buffer.concat([
      raw(tags.StudyDescription, "LO", "a long description"),
      raw(tags.PatientID, "LO", "ID"),
    ]);
    const ds = parseDataset(input, { ...EXPLICIT, skipValuesLongerThan: 8 });
    expect(ds.get(tags.StudyDescription)).toMatchObject({ length: 18, offset: 8, value: undefined });
    expect(ds.string(tags.StudyDescription)).toBeUndefined();
    expect(ds.string(tags.PatientID)).toBe("ID");
  });

  it("throws DicomParseError for an item outside a sequence and an unterminated sequence", () => {
    expect(() => parseDataset(item(ITEM, 0), EXPLICIT)).toThrow(
      "unexpected (FFFE,E000) at offset 0 outside a sequence",
    );
    const open = Buffer.concat([
      raw(tags.ReferencedStudySequence, "SQ", Buffer.alloc(0), UNDEFINED_LENGTH),
      item(ITEM, 0),
    ]);
    expect(() => parseDataset(open, EXPLICIT)).toThrow(DicomParseError);
    expect(() => parseDataset(open, EXPLICIT)).toThrow(
      /sequence \(0008,1110\) has no sequence delimitation item/,
    );
    const undefinedText = raw(tags.PatientName, "UT", Buffer.alloc(0), UNDEFINED_LENGTH);
    expect(() => parseDataset(undefinedText, EXPLICIT)).toThrow(
      /undefined length, which VR UT does not allow/,
    );
  });
});

describe("DataSet values", () => {
  const ds = parseDataset(
    Buffer.concat([
      raw(tags.ImageType, "CS", " ORIGINAL\\PRIMARY \\AXIAL "),
      raw(tags.SOPInstanceUID, "UI", "1.2.3\0"),
      raw(tags.PatientName, "PN", " Doe^John  "),
      raw(tags.PatientID, "LO", "  ID 7 "),
      raw(tags.PixelSpacing, "DS", "0.5\\\\ 2E-1"),
      raw(tags.OffendingElement, "AT", Buffer.from([0x10, 0x00, 0x20, 0x00])),
      raw(tags.PatientComments, "LT", "  line one\\two  "),
    ]),
    EXPLICIT,
  );

  it("trims padding by VR: both sides for CS/LO/UI, trailing only for PN and LT", () => {
    expect(ds.string(tags.ImageType)).toBe("ORIGINAL\\PRIMARY \\AXIAL");
    expect(ds.strings(tags.ImageType)).toEqual(["ORIGINAL", "PRIMARY", "AXIAL"]);
    expect(ds.string(tags.SOPInstanceUID)).toBe("1.2.3");
    expect(ds.string(tags.PatientName)).toBe(" Doe^John");
    expect(ds.string(tags.PatientID)).toBe("ID 7");
    expect(ds.string(tags.PatientComments)).toBe("  line one\\two");
    expect(ds.strings(tags.PatientComments)).toEqual(["  line one\\two"]);
  });

  it("reads IS/DS values as numbers, NaN for an empty one among several", () => {
    expect(ds.numbers(tags.PixelSpacing)).toEqual([0.5, NaN, 0.2]);
    expect(ds.number(tags.PixelSpacing)).toBe(0.5);
  });

  it("reads AT as tag numbers and leaves absent elements undefined", () => {
    expect(ds.numbers(tags.OffendingElement)).toEqual([0x00100020]);
    expect(ds.string(tags.StudyDate)).toBeUndefined();
    expect(ds.strings(tags.StudyDate)).toEqual([]);
    expect(ds.number(tags.Rows)).toBeUndefined();
    expect(ds.items(tags.ReferencedStudySequence)).toEqual([]);
    expect(ds.charsets).toEqual([]);
  });
});
