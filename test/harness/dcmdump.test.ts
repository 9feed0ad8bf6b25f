import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { encodePart10 } from "../fixtures/part10.js";
import { dcmdump, parseDcmdumpDataset } from "../support/dcmdump.js";

const PYDICOM = "/usr/lib/python3/dist-packages/pydicom/data/test_files";

describe("dcmdump", () => {
  it("keys elements in sequences by path and item index", async () => {
    const [plan] = await dcmdump([join(PYDICOM, "rtplan.dcm")]);
    expect(plan).toMatchObject({
      Modality: "RTPLAN",
      PatientName: "Last^First^mid^pre",
      AccessionNumber: "",
      DoseReferenceSequence: "",
      "DoseReferenceSequence[0].DoseReferenceNumber": "1",
      "DoseReferenceSequence[1].DoseReferenceNumber": "2",
      "DoseReferenceSequence[1].DoseReferenceDescription": "PTV",
    });
  });

  it("names unknown tags by number, whatever their VR", async () => {
    const [nested] = await dcmdump([join(PYDICOM, "nested_priv_SQ.dcm")]);
    expect(nested?.["0001,0001[0].0001,0002"]).toBe("4e\\65\\73\\74\\65\\64\\20\\53\\51\\00");
  });

  it("includes the file meta information only when asked", async () => {
    const file = join(PYDICOM, "MR_small_bigendian.dcm");
    const [plain] = await dcmdump([file]);
    const [withMeta] = await dcmdump([file], { meta: true });
    expect(plain?.TransferSyntaxUID).toBeUndefined();
    expect(withMeta?.TransferSyntaxUID).toBe("1.2.840.10008.1.2.2");
  });

  it("falls back to the stored bytes when a file has non-ASCII text but no character set", async () => {
    const file = join(mkdtempSync(join(inject("scratchRoot"), "dcmdump-")), "no-charset.dcm");
    writeFileSync(
      file,
      encodePart10({
        SOPClassUID: "1.2.840.10008.5.1.4.1.1.7",
        SOPInstanceUID: "1.2.3",
        PatientName: "Jöhn",
      }),
    );
    const [dataset] = await dcmdump([file]);
    expect(dataset).toMatchObject({ SOPInstanceUID: "1.2.3", PatientName: "Jöhn" });
  });

  it("parses values holding brackets and hashes", () => {
    const text = [
      "(0008,1030) LO [CT #2 [fast]]                          #  14, 1 StudyDescription",
      "(0028,0010) US 512                                     #   2, 1 Rows",
    ].join("\n");
    expect(parseDcmdumpDataset(text)).toEqual({ StudyDescription: "CT #2 [fast]", Rows: "512" });
  });
});
