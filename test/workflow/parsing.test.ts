/** The worklist CSV reader and the MLLP framer, on their own. */
import { describe, expect, it } from "vitest";
import { readWorklistCsv } from "../../electron/pacs/workflow/csv.js";
import { MllpReader, frame } from "../../electron/pacs/workflow/hl7/mllp.js";

describe("worklist CSV", () => {
  it("reads quoted cells and reports invalid rows by line", () => {
    const rows = readWorklistCsv(
      "\uFEFFpatientId,patientName,accessionNumber,modality,scheduledDate,requestedProcedureDescription\r\n" +
        'P1,"DOE^JANE",A1,CT,2024-03-15,"CT chest, ""low dose"""\r\n' +
        "P2,ROE^RICK,A2,CT,15/03/2024,\n",
    );
    expect(rows[0]).toMatchObject({
      line: 2,
      body: {
        patientName: "DOE^JANE",
        scheduledDate: "20240315",
        requestedProcedureDescription: 'CT chest, "low dose"',
      },
    });
    expect(rows[1]).toMatchObject({ line: 3, error: expect.stringMatching(/^scheduledDate:/) });
  });

  it("numbers rows by the line they start on, past quoted line breaks and blank lines", () => {
    const rows = readWorklistCsv(
      "patientId,patientName,accessionNumber,modality,scheduledDate,requestedProcedureDescription\n" +
        '\nP1,DOE^JANE,A1,CT,20240315,"two\r\nlines"\r\n\r\n' +
        "P2,ROE^RICK,A2,CT,not-a-date,\n",
    );
    expect(rows.map((row) => row.line)).toEqual([3, 6]);
    expect(rows[0]!.error).toMatch(/^requestedProcedureDescription:/);
    expect(rows[1]!.error).toMatch(/^scheduledDate:/);
  });

  it("refuses a file with an unknown column", () => {
    expect(() => readWorklistCsv("patientId,shoeSize\nP1,42\n")).toThrow(/unknown column shoeSize/);
  });
});

describe("MLLP framing", () => {
  it("finds messages split across chunks and several in one chunk", () => {
    const reader = new MllpReader(1024);
    const bytes = Buffer.concat([frame("MSH|one"), frame("MSH|two")]);
    expect(reader.push(bytes.subarray(0, 5))).toEqual([]);
    expect(reader.push(bytes.subarray(5)).map((m) => m.toString())).toEqual(["MSH|one", "MSH|two"]);
  });

  it("refuses a message longer than the limit", () => {
    const reader = new MllpReader(8);
    expect(() => reader.push(frame("MSH|far too long"))).toThrow(/longer than 8 bytes/);
  });
});
