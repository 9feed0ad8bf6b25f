/**
 * The worklist through the app API, as a clinic without a RIS fills it: a CSV import by a technologist
 * (valid rows scheduled, invalid and duplicate rows listed by line, a bad file refused whole), the imported
 * procedures offered to a modality (DCMTK findscu -W), a status change that takes a procedure off the
 * worklist, and the refusals: wrong role, unknown procedure, unknown status. Every change is audited.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestNode, startTestNode } from "../support/hilum.js";
import { findscu } from "../support/peers.js";
import { call, createAccounts, expectProblem } from "../web/api-support.js";

let hilum: TestNode;
let base: string;
let tokens: Awaited<ReturnType<typeof createAccounts>>;

const SPS = "ScheduledProcedureStepSequence[0]";
const CSV =
  "patientId,patientName,patientBirthDate,patientSex,accessionNumber,modality,scheduledStationAeTitle,scheduledDate,scheduledTime,requestedProcedureDescription\r\n" +
  'CSV-1,"Doe^Jane",1980-01-01,F,ACC-CSV-1,CT,CT_ROOM2,2024-04-02,08:15,"CT chest, low dose"\r\n' +
  "CSV-2,Roe^Rick,,M,ACC-CSV-2,MR,MR_ROOM2,2024-04-02,09:00,MR knee\r\n" +
  "CSV-3,Poe^Paul,,,ACC-CSV-3,CT,CT_ROOM2,02/04/2024,10:00,\r\n" +
  "\r\n" +
  'CSV-1,"Doe^Jane",1980-01-01,F,ACC-CSV-1,CT,CT_ROOM2,2024-04-02,08:15,"CT chest, low dose"\r\n';

async function offeredTo(station: string): Promise<string[]> {
  const result = await findscu(hilum.target, {
    model: "worklist",
    callingAe: station,
    keys: {
      PatientName: "",
      AccessionNumber: "",
      ScheduledProcedureStepSequence: "",
      [`${SPS}.ScheduledStationAETitle`]: station,
      [`${SPS}.ScheduledProcedureStepStartDate`]: "20240402",
    },
  });
  expect(result.code, result.stderr).toBe(0);
  return result.responses.map((rsp) => String(rsp.AccessionNumber)).sort();
}

beforeAll(async () => {
  hilum = await startTestNode();
  base = hilum.node.http.url;
  tokens = await createAccounts(base);
});

afterAll(async () => {
  await hilum?.close();
});

describe("worklist CSV import", () => {
  it("is refused to a radiologist and to a caller without credentials", async () => {
    expectProblem(
      await call(base, "/api/worklist/import", { token: tokens.radiologist, body: { csv: CSV } }),
      403,
    );
    expectProblem(await call(base, "/api/worklist/import", { body: { csv: CSV } }), 401);
    expect(hilum.node.workflow.worklist.list({})).toHaveLength(0);
  });

  it("refuses a file with an unknown column whole, naming the column, and schedules nothing", async () => {
    const answer = await call(base, "/api/worklist/import", {
      token: tokens.technologist,
      body: { csv: "patientId,accessionNumber,shoeSize\nX-1,ACC-X-1,42\n" },
    });
    expectProblem(answer, 400, /shoeSize/);
    expect(answer.json.errors).toEqual([{ field: "body.csv", message: expect.stringMatching(/shoeSize/) }]);
    expectProblem(
      await call(base, "/api/worklist/import", { token: tokens.technologist, body: { csv: "" } }),
      400,
    );
    expectProblem(
      await call(base, "/api/worklist/import", { token: tokens.technologist, body: { csv: CSV, extra: 1 } }),
      400,
    );
    expect(hilum.node.workflow.worklist.list({})).toHaveLength(0);
  });

  it("schedules the valid rows and lists the others by the line they are on", async () => {
    const answer = await call(base, "/api/worklist/import", {
      token: tokens.technologist,
      body: { csv: CSV },
    });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json.created.map((item: { accessionNumber: string }) => item.accessionNumber)).toEqual([
      "ACC-CSV-1",
      "ACC-CSV-2",
    ]);
    expect(answer.json.created[0]).toMatchObject({
      patientName: "Doe^Jane",
      patientBirthDate: "19800101",
      scheduledDate: "20240402",
      scheduledTime: "081500",
      requestedProcedureDescription: "CT chest, low dose",
      status: "scheduled",
      source: "csv",
    });
    expect(answer.json.errors).toEqual([
      { line: 4, message: expect.stringMatching(/^scheduledDate:/) },
      { line: 6, message: expect.stringMatching(/ACC-CSV-1/) },
    ]);
    const [audit] = hilum.node.index.audit.query({ action: "worklist-import" });
    expect(audit).toMatchObject({ actor: "technologist", outcome: "success" });
  });

  it("offers the imported procedures to the modalities they are scheduled on", async () => {
    expect(await offeredTo("CT_ROOM2")).toEqual(["ACC-CSV-1"]);
    expect(await offeredTo("MR_ROOM2")).toEqual(["ACC-CSV-2"]);
  });
});

describe("worklist status", () => {
  function idOf(accession: string): number {
    const item = hilum.node.workflow.worklist.list({}).find((i) => i.accessionNumber === accession);
    return item!.id;
  }

  it("refuses a viewer, an unknown status and an unknown procedure, changing nothing", async () => {
    const id = idOf("ACC-CSV-2");
    const url = `/api/worklist/${id}/status`;
    expectProblem(
      await call(base, url, { method: "PUT", token: tokens.viewer, body: { status: "cancelled" } }),
      403,
    );
    expectProblem(
      await call(base, url, { method: "PUT", token: tokens.technologist, body: { status: "postponed" } }),
      400,
      /status/,
    );
    expectProblem(
      await call(base, "/api/worklist/999999/status", {
        method: "PUT",
        token: tokens.technologist,
        body: { status: "cancelled" },
      }),
      404,
    );
    expectProblem(
      await call(base, "/api/worklist/abc/status", {
        method: "PUT",
        token: tokens.technologist,
        body: { status: "cancelled" },
      }),
      400,
    );
    expect(hilum.node.workflow.worklist.get(id)!.status).toBe("scheduled");
  });

  it("cancels a procedure: it leaves the worklist, and the audit holds before and after", async () => {
    const id = idOf("ACC-CSV-2");
    const answer = await call(base, `/api/worklist/${id}/status`, {
      method: "PUT",
      token: tokens.technologist,
      body: { status: "cancelled" },
    });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toMatchObject({ id, status: "cancelled" });
    expect(await offeredTo("MR_ROOM2")).toEqual([]);
    const listed = await call(base, "/api/worklist?status=cancelled", { token: tokens.radiologist });
    expect(listed.json.items.map((item: { id: number }) => item.id)).toEqual([id]);
    const [audit] = hilum.node.index.audit.query({ action: "worklist-status" });
    expect(audit).toMatchObject({ actor: "technologist", outcome: "success" });
    expect(JSON.stringify(audit!.detail)).toMatch(/"before":"scheduled".*"after":"cancelled"/);
  });
});
