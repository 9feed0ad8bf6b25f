/**
 * The Modality Worklist SCP against DCMTK findscu -W: the queries modalities make (their AE title and
 * today, a modality and a date range, a patient), the attributes they need back (the Scheduled Procedure
 * Step Sequence, Requested Procedure ID, the Study Instance UID to use), and a query with an invalid key.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorklistItem } from "../../shared/api/workflow.js";
import { scheduledProcedureBody } from "../../shared/api/workflow.js";
import { dimseResponses, finalResponse } from "../integration/dimse-log.js";
import { type TestNode, startTestNode } from "../support/hilum.js";
import { findscu } from "../support/peers.js";

let hilum: TestNode;
const items: WorklistItem[] = [];

const SPS = "ScheduledProcedureStepSequence[0]";
/** The keys a modality typically asks for, with its own matching keys filled in. */
function modalityQuery(match: Record<string, string>): Record<string, string> {
  return {
    PatientName: "",
    PatientID: "",
    PatientBirthDate: "",
    PatientSex: "",
    AccessionNumber: "",
    RequestedProcedureID: "",
    RequestedProcedureDescription: "",
    StudyInstanceUID: "",
    ScheduledProcedureStepSequence: "",
    [`${SPS}.ScheduledStationAETitle`]: "",
    [`${SPS}.Modality`]: "",
    [`${SPS}.ScheduledProcedureStepStartDate`]: "",
    [`${SPS}.ScheduledProcedureStepStartTime`]: "",
    [`${SPS}.ScheduledProcedureStepID`]: "",
    [`${SPS}.ScheduledPerformingPhysicianName`]: "",
    ...match,
  };
}

beforeAll(async () => {
  hilum = await startTestNode();
  const schedule = (body: Record<string, string>) =>
    items.push(hilum.node.workflow.worklist.create(scheduledProcedureBody.parse(body), "api"));
  schedule({
    patientId: "MWL-1",
    patientName: "Doe^Jane",
    patientBirthDate: "19800101",
    patientSex: "F",
    accessionNumber: "ACC-MWL-1",
    requestedProcedureDescription: "CT CHEST",
    modality: "CT",
    scheduledStationAeTitle: "CT_ROOM1",
    scheduledDate: "20240315",
    scheduledTime: "09:30",
    performingPhysician: "Tech^Tom",
  });
  schedule({
    patientId: "MWL-2",
    patientName: "Müller^Jörg",
    accessionNumber: "ACC-MWL-2",
    modality: "MR",
    scheduledStationAeTitle: "MR_ROOM1",
    scheduledDate: "20240315",
    scheduledTime: "14:00",
  });
  schedule({
    patientId: "MWL-3",
    patientName: "Smith^John",
    accessionNumber: "ACC-MWL-3",
    modality: "CT",
    scheduledStationAeTitle: "CT_ROOM1",
    scheduledDate: "20240316",
    scheduledTime: "08:00",
  });
  const cancelled = hilum.node.workflow.worklist.create(
    scheduledProcedureBody.parse({
      patientId: "MWL-4",
      patientName: "Gone^Greg",
      accessionNumber: "ACC-MWL-4",
      modality: "CT",
      scheduledStationAeTitle: "CT_ROOM1",
      scheduledDate: "20240315",
    }),
    "api",
  );
  hilum.node.workflow.worklist.setStatus(cancelled.id, "cancelled");
});

afterAll(async () => {
  await hilum?.close();
});

async function worklist(match: Record<string, string>) {
  const result = await findscu(hilum.target, {
    model: "worklist",
    keys: modalityQuery(match),
    callingAe: "CT_ROOM1",
  });
  expect(result.code, result.stderr).toBe(0);
  return result.responses;
}

describe("MWL SCP with findscu -W", () => {
  it("answers a modality's query for its station and day with what the modality needs", async () => {
    const responses = await worklist({
      [`${SPS}.ScheduledStationAETitle`]: "CT_ROOM1",
      [`${SPS}.ScheduledProcedureStepStartDate`]: "20240315",
    });
    expect(responses).toHaveLength(1);
    const [rsp] = responses;
    expect(rsp).toMatchObject({
      PatientName: "Doe^Jane",
      PatientID: "MWL-1",
      PatientBirthDate: "19800101",
      PatientSex: "F",
      AccessionNumber: "ACC-MWL-1",
      RequestedProcedureID: "ACC-MWL-1",
      RequestedProcedureDescription: "CT CHEST",
      StudyInstanceUID: items[0]!.studyInstanceUid,
      [`${SPS}.ScheduledStationAETitle`]: "CT_ROOM1",
      [`${SPS}.Modality`]: "CT",
      [`${SPS}.ScheduledProcedureStepStartDate`]: "20240315",
      [`${SPS}.ScheduledProcedureStepStartTime`]: "093000",
      [`${SPS}.ScheduledProcedureStepID`]: "ACC-MWL-1",
      [`${SPS}.ScheduledPerformingPhysicianName`]: "Tech^Tom",
    });
  });

  it("matches a modality over a date range, never offering a cancelled procedure", async () => {
    const responses = await worklist({
      [`${SPS}.Modality`]: "CT",
      [`${SPS}.ScheduledProcedureStepStartDate`]: "20240301-20240331",
    });
    expect(responses.map((r) => r.AccessionNumber).sort()).toEqual(["ACC-MWL-1", "ACC-MWL-3"]);
  });

  it("matches date and time together as one range", async () => {
    const responses = await worklist({
      [`${SPS}.ScheduledProcedureStepStartDate`]: "20240315-20240316",
      [`${SPS}.ScheduledProcedureStepStartTime`]: "1000-0900",
    });
    expect(responses.map((r) => r.AccessionNumber).sort()).toEqual(["ACC-MWL-2", "ACC-MWL-3"]);
  });

  it("matches a patient's name with wildcards, case-insensitively, in UTF-8", async () => {
    const byName = await worklist({ SpecificCharacterSet: "ISO_IR 192", PatientName: "müller*" });
    expect(byName.map((r) => r.PatientName)).toEqual(["Müller^Jörg"]);
    const byId = await worklist({ PatientID: "MWL-3" });
    expect(byId.map((r) => r.AccessionNumber)).toEqual(["ACC-MWL-3"]);
  });

  it("refuses a query with an invalid key value, naming it", async () => {
    const result = await findscu(hilum.target, {
      model: "worklist",
      keys: modalityQuery({ [`${SPS}.ScheduledProcedureStepStartDate`]: "2024-13-45" }),
      extraArgs: ["-d"],
    });
    expect(result.responses).toHaveLength(0);
    const final = finalResponse(dimseResponses(result.stdout + result.stderr, "C-FIND RSP"));
    expect(final?.status).toBe(0xc000);
    expect(final?.errorComment).toMatch(/ScheduledProcedureStepStartDate/);
  });

  it("audits every worklist query with the calling AE title", () => {
    const rows = hilum.node.index.audit.query({ action: "worklist-query" });
    expect(rows.some((row) => row.actor === "CT_ROOM1" && row.outcome === "success")).toBe(true);
    expect(rows.some((row) => row.outcome === "failure")).toBe(true);
  });
});
