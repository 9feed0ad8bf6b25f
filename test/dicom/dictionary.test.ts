import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { formatTag, lookupTag, tagForKeyword, vrForTag } from "../../shared/dicom/dictionary.js";
import * as tags from "../../shared/dicom/tags.js";
import {
  datasetEncoding,
  lookupTransferSyntax,
  TRANSFER_SYNTAXES,
  TransferSyntaxUid,
} from "../../shared/dicom/transfer-syntax.js";
import { STORAGE_SOP_CLASSES, uidInfo, uidName } from "../../shared/dicom/uids.js";

const SHARED = join(import.meta.dirname, "../../shared/dicom");

describe("data dictionary", () => {
  it("looks up tags with VR, VM and keyword", () => {
    expect(lookupTag(0x00100010)).toEqual({ vr: "PN", vm: "1", keyword: "PatientName" });
    expect(lookupTag(0x00080008)).toEqual({ vr: "CS", vm: "2-n", keyword: "ImageType" });
    expect(lookupTag(0x00091001)).toBeUndefined();
  });

  it("gives the first VR where PS3.6 allows several", () => {
    expect(lookupTag(0x00280106)?.vr).toBe("US"); // US or SS
    expect(lookupTag(tags.PixelData)?.vr).toBe("OB"); // OB or OW
    expect(lookupTag(0x00283006)?.vr).toBe("US"); // US or OW
  });

  it("resolves repeating groups 50xx, 60xx and 7Fxx, and repeating elements", () => {
    expect(lookupTag(0x60000010)?.keyword).toBe("OverlayRows");
    expect(lookupTag(0x601e3000)).toEqual({ vr: "OB", vm: "1", keyword: "OverlayData" });
    expect(lookupTag(0x60010010)).toBeUndefined(); // odd group: private
    expect(lookupTag(0x50020005)?.keyword).toBe("CurveDimensions");
    expect(lookupTag(0x7f020010)?.keyword).toBe("VariablePixelData");
    expect(lookupTag(0x002031ff)?.keyword).toBe("SourceImageIDs");
    expect(lookupTag(0x10101234)?.keyword).toBe("ZonalMap");
  });

  it("finds tags by keyword", () => {
    expect(tagForKeyword("PatientName")).toBe(0x00100010);
    expect(tagForKeyword("OverlayRows")).toBe(0x60000010);
    expect(tagForKeyword("NoSuchKeyword")).toBeUndefined();
  });

  it("infers VRs for group lengths, private creators and unknown tags", () => {
    expect(vrForTag(0x00090000)).toBe("UL");
    expect(vrForTag(0x00090010)).toBe("LO");
    expect(vrForTag(0x000900ff)).toBe("LO");
    expect(vrForTag(0x00091001)).toBe("UN");
    expect(vrForTag(tags.StudyDate)).toBe("DA");
    expect(vrForTag(0x60023000)).toBe("OB");
  });

  it("formats tags as (GGGG,EEEE)", () => {
    expect(formatTag(0x7fe00010)).toBe("(7FE0,0010)");
    expect(formatTag(0xfffee000)).toBe("(FFFE,E000)");
  });

  it("names every constant of tags.ts by its dictionary keyword", () => {
    const entries = Object.entries(tags).filter(([, v]) => typeof v === "number");
    expect(entries.length).toBeGreaterThan(150);
    for (const [keyword, tag] of entries) expect(tagForKeyword(keyword), keyword).toBe(tag);
  });
});

describe("generated data", () => {
  it("is what the generator writes from pydicom 2.3.1", () => {
    const out = mkdtempSync(join(inject("scratchRoot"), "dictionary-"));
    execFileSync("/usr/bin/python3", [
      join(import.meta.dirname, "../../scripts/generate-dicom-dictionary.py"),
      out,
    ]);
    for (const file of ["dictionary-data.ts", "uid-data.ts"]) {
      expect(readFileSync(join(out, file), "utf8"), file).toBe(readFileSync(join(SHARED, file), "utf8"));
    }
  });

  it("stays small", () => {
    expect(statSync(join(SHARED, "dictionary-data.ts")).size).toBeLessThan(400 * 1024);
    expect(statSync(join(SHARED, "uid-data.ts")).size).toBeLessThan(64 * 1024);
  });
});

describe("UIDs", () => {
  it("names UIDs", () => {
    expect(uidName("1.2.840.10008.5.1.4.1.1.2")).toBe("CT Image Storage");
    expect(uidName("1.2.840.10008.1.2.4.201")).toBe(
      "High-Throughput JPEG 2000 Image Compression (Lossless Only)",
    );
    expect(uidInfo("1.2.840.10008.1.2.2")?.retired).toBe(true);
    expect(uidName("1.2.3.4")).toBeUndefined();
  });

  it("lists the storage SOP classes, retired ones included", () => {
    const storage = [
      "1.2.840.10008.5.1.4.1.1.2", // CT Image Storage
      "1.2.840.10008.5.1.4.1.1.88.22", // Enhanced SR Storage
      "1.2.840.10008.5.1.4.1.1.66", // Raw Data Storage
      "1.2.840.10008.5.1.4.1.1.104.1", // Encapsulated PDF Storage
      "1.2.840.10008.5.1.4.1.1.1.1", // Digital X-Ray Image Storage - For Presentation
      "1.2.840.10008.5.1.4.1.1.9.1.1", // 12-lead ECG Waveform Storage
      "1.2.840.10008.5.1.4.1.1.88.59", // Key Object Selection Document Storage
      "1.2.840.10008.5.1.4.1.1.8", // Standalone Overlay Storage (retired)
      "1.2.840.10008.5.1.1.29", // Hardcopy Grayscale Image Storage SOP Class (retired)
      "1.2.840.10008.5.1.4.1.1.6.3", // Photoacoustic Image Storage (after pydicom 2.3.1)
    ];
    for (const uid of storage) expect(STORAGE_SOP_CLASSES.has(uid), uid).toBe(true);
    const notStorage = [
      "1.2.840.10008.1.20.1", // Storage Commitment Push Model SOP Class
      "1.2.840.10008.1.3.10", // Media Storage Directory Storage
      "1.2.840.10008.1.1", // Verification
      "1.2.840.10008.5.1.4.1.2.2.1", // Study Root Query/Retrieve Information Model - FIND
      "1.2.840.10008.5.1.4.31", // Modality Worklist Information Model - FIND
      "1.2.840.10008.1.2.1", // a transfer syntax
    ];
    for (const uid of notStorage) expect(STORAGE_SOP_CLASSES.has(uid), uid).toBe(false);
    expect(STORAGE_SOP_CLASSES.size).toBeGreaterThan(200);
  });
});

describe("transfer syntaxes", () => {
  it("describes the native ones", () => {
    expect(lookupTransferSyntax(TransferSyntaxUid.ImplicitVRLittleEndian)).toMatchObject({
      explicitVr: false,
      littleEndian: true,
      encapsulated: false,
      deflated: false,
    });
    expect(lookupTransferSyntax(TransferSyntaxUid.ExplicitVRBigEndian)).toMatchObject({
      explicitVr: true,
      littleEndian: false,
      retired: true,
    });
    expect(lookupTransferSyntax(TransferSyntaxUid.DeflatedExplicitVRLittleEndian)).toMatchObject({
      deflated: true,
      encapsulated: false,
    });
  });

  it("marks compressed ones encapsulated, and lossy where they may lose data", () => {
    const lossless = [
      TransferSyntaxUid.JPEGLossless,
      TransferSyntaxUid.JPEGLosslessSV1,
      TransferSyntaxUid.JPEGLSLossless,
      TransferSyntaxUid.JPEG2000Lossless,
      TransferSyntaxUid.HTJ2KLossless,
      TransferSyntaxUid.HTJ2KLosslessRPCL,
      TransferSyntaxUid.RLELossless,
      TransferSyntaxUid.JPEGXLLossless,
    ];
    const lossy = [
      TransferSyntaxUid.JPEGBaseline8Bit,
      TransferSyntaxUid.JPEGExtended12Bit,
      TransferSyntaxUid.JPEGLSNearLossless,
      TransferSyntaxUid.JPEG2000,
      TransferSyntaxUid.HTJ2K,
      TransferSyntaxUid.JPEGXL,
      "1.2.840.10008.1.2.4.102", // MPEG-4
      "1.2.840.10008.1.2.4.107", // HEVC
    ];
    for (const uid of lossless)
      expect(lookupTransferSyntax(uid), uid).toMatchObject({ encapsulated: true, lossy: false });
    for (const uid of lossy)
      expect(lookupTransferSyntax(uid), uid).toMatchObject({ encapsulated: true, lossy: true });
  });

  it("keeps JPIP's referenced pixel data out of the data set", () => {
    expect(lookupTransferSyntax(TransferSyntaxUid.JPIPReferenced)).toMatchObject({
      encapsulated: false,
      deflated: false,
    });
    expect(lookupTransferSyntax(TransferSyntaxUid.JPIPReferencedDeflate)).toMatchObject({ deflated: true });
  });

  it("tells unknown UIDs apart, and reads them as explicit VR little endian", () => {
    expect(lookupTransferSyntax("1.2.3.4.5")).toBeUndefined();
    expect(datasetEncoding("1.2.3.4.5")).toEqual({ explicitVr: true, littleEndian: true, deflated: false });
  });

  it("names every transfer syntax from PS3.6", () => {
    for (const ts of TRANSFER_SYNTAXES) {
      expect(ts.name, ts.uid).not.toBe(ts.uid);
      expect(uidInfo(ts.uid)?.type).toBe("Transfer Syntax");
    }
  });
});
