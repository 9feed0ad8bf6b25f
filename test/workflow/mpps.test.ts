/**
 * The MPPS SCP, driven by Hilum's own DIMSE-N SCU (Debian's DCMTK 3.6.7 has no tool that sends
 * N-CREATE/N-SET): a step goes IN PROGRESS → COMPLETED, its scheduled procedure follows, and the instances it
 * lists are counted as they arrive; then the refusals, with DCMTK's status codes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scheduledProcedureBody, type WorklistItem } from "../../shared/api/workflow.js";
import { TransferSyntaxUid } from "../../shared/dicom/transfer-syntax.js";
import type { Association } from "../../electron/pacs/dimse/association.js";
import { openAssociation } from "../../electron/pacs/dimse/scu/client.js";
import { normalized } from "../../electron/pacs/dimse/scu/normalized.js";
import { type WritableElement, encodeDataset } from "../../electron/pacs/dicom/writer.js";
import { WorkflowSopClass } from "../../electron/pacs/workflow/sop-classes.js";
import { T } from "../../electron/pacs/workflow/tags.js";
import { newUid } from "../../electron/pacs/workflow/worklist.js";
import { type TestNode, startTestNode } from "../support/hilum.js";

const MPPS = WorkflowSopClass.ModalityPerformedProcedureStep;
let hilum: TestNode;
let scheduled: WorklistItem;
let association: Association;

function dataset(elements: WritableElement[]) {
  return (transferSyntaxUid: string) => encodeDataset(elements, { transferSyntaxUid, charset: "ISO_IR 6" });
}

function createAttributes(status: string): WritableElement[] {
  return [
    { tag: T.Modality, value: "CT" },
    { tag: T.PatientName, value: "Doe^Jane" },
    { tag: T.PatientID, value: "MPPS-1" },
    {
      tag: T.ScheduledStepAttributesSequence,
      value: [
        [
          { tag: T.AccessionNumber, value: scheduled.accessionNumber },
          { tag: T.StudyInstanceUID, value: scheduled.studyInstanceUid },
          { tag: T.RequestedProcedureID, value: scheduled.requestedProcedureId },
          { tag: T.ScheduledProcedureStepID, value: scheduled.scheduledProcedureStepId },
        ],
      ],
    },
    { tag: T.PerformedStationAETitle, value: "CT_ROOM1" },
    { tag: T.PerformedProcedureStepStartDate, value: "20240315" },
    { tag: T.PerformedProcedureStepStartTime, value: "093100" },
    { tag: T.PerformedProcedureStepID, value: "PPS1" },
    { tag: T.PerformedProcedureStepStatus, value: status },
    { tag: T.PerformedSeriesSequence, value: [] },
  ];
}

function completion(status: string, instances: string[]): WritableElement[] {
  return [
    { tag: T.PerformedProcedureStepStatus, value: status },
    { tag: T.PerformedProcedureStepEndDate, value: "20240315" },
    { tag: T.PerformedProcedureStepEndTime, value: "094500" },
    {
      tag: T.PerformedSeriesSequence,
      value: [
        [
          { tag: T.SeriesInstanceUID, value: newUid() },
          {
            tag: T.ReferencedImageSequence,
            value: instances.map((uid) => [
              { tag: T.ReferencedSOPClassUID, value: "1.2.840.10008.5.1.4.1.1.2" },
              { tag: T.ReferencedSOPInstanceUID, value: uid },
            ]),
          },
        ],
      ],
    },
  ];
}

beforeAll(async () => {
  hilum = await startTestNode();
  scheduled = hilum.node.workflow.worklist.create(
    scheduledProcedureBody.parse({
      patientId: "MPPS-1",
      patientName: "Doe^Jane",
      accessionNumber: "ACC-MPPS-1",
      modality: "CT",
      scheduledDate: "20240315",
    }),
    "api",
  );
  association = await openAssociation(
    hilum.target,
    [{ abstractSyntax: MPPS, transferSyntaxes: [TransferSyntaxUid.ExplicitVRLittleEndian] }],
    { callingAeTitle: "CT_ROOM1" },
  );
});

afterAll(async () => {
  await association?.release();
  await hilum?.close();
});

describe("MPPS SCP (Hilum's SCU sends N-CREATE and N-SET)", () => {
  const uid = newUid();

  it("creates a step IN PROGRESS linked to its procedure, which is then in progress", async () => {
    const result = await normalized(association, "N-CREATE", {
      sopClassUid: MPPS,
      sopInstanceUid: uid,
      dataset: dataset(createAttributes("IN PROGRESS")),
    });
    expect(result.status).toBe(0x0000);
    expect(result.affectedSopInstanceUid).toBe(uid);
    expect(hilum.node.workflow.mpps.get(uid)).toMatchObject({
      status: "IN PROGRESS",
      worklistId: scheduled.id,
      stationAeTitle: "CT_ROOM1",
      startedAt: "20240315093100",
    });
    expect(hilum.node.workflow.worklist.get(scheduled.id)?.status).toBe("in-progress");
  });

  it("completes it with N-SET; the procedure is completed and the listed instances are tracked", async () => {
    const result = await normalized(association, "N-SET", {
      sopClassUid: MPPS,
      sopInstanceUid: uid,
      dataset: dataset(completion("COMPLETED", [newUid(), newUid()])),
    });
    expect(result.status).toBe(0x0000);
    expect(hilum.node.workflow.mpps.get(uid)).toMatchObject({
      status: "COMPLETED",
      endedAt: "20240315094500",
      referencedInstances: 2,
      arrivedInstances: 0,
    });
    expect(hilum.node.workflow.worklist.get(scheduled.id)?.status).toBe("completed");
  });

  it("refuses to change a completed step (0x0110)", async () => {
    const result = await normalized(association, "N-SET", {
      sopClassUid: MPPS,
      sopInstanceUid: uid,
      dataset: dataset(completion("DISCONTINUED", [])),
    });
    expect(result.status).toBe(0x0110);
    expect(result.errorComment).toMatch(/may no longer be updated/);
  });

  it("answers N-SET on an unknown step with No Such SOP Instance (0x0112)", async () => {
    const result = await normalized(association, "N-SET", {
      sopClassUid: MPPS,
      sopInstanceUid: newUid(),
      dataset: dataset(completion("COMPLETED", [])),
    });
    expect(result.status).toBe(0x0112);
  });

  it("answers N-CREATE of an existing SOP Instance UID with Duplicate SOP Instance (0x0111)", async () => {
    const result = await normalized(association, "N-CREATE", {
      sopClassUid: MPPS,
      sopInstanceUid: uid,
      dataset: dataset(createAttributes("IN PROGRESS")),
    });
    expect(result.status).toBe(0x0111);
  });

  it("refuses a new step that is not IN PROGRESS (0x0106) and one without a status (0x0120)", async () => {
    const completed = await normalized(association, "N-CREATE", {
      sopClassUid: MPPS,
      sopInstanceUid: newUid(),
      dataset: dataset(createAttributes("COMPLETED")),
    });
    expect(completed.status).toBe(0x0106);
    const noStatus = await normalized(association, "N-CREATE", {
      sopClassUid: MPPS,
      sopInstanceUid: newUid(),
      dataset: dataset(createAttributes("").filter((e) => e.tag !== T.PerformedProcedureStepStatus)),
    });
    expect(noStatus.status).toBe(0x0120);
  });

  it("creates the SOP Instance UID when the SCU leaves it out", async () => {
    const result = await normalized(association, "N-CREATE", {
      sopClassUid: MPPS,
      dataset: dataset(createAttributes("IN PROGRESS")),
    });
    expect(result.status).toBe(0x0000);
    expect(hilum.node.workflow.mpps.get(result.affectedSopInstanceUid ?? "")?.status).toBe("IN PROGRESS");
  });

  it("audits each operation, refusals too", () => {
    const rows = hilum.node.index.audit.query({ actor: "CT_ROOM1" });
    expect(rows.filter((row) => row.action === "mpps-create" && row.outcome === "success")).toHaveLength(2);
    expect(rows.filter((row) => row.action === "mpps-set" && row.outcome === "failure")).toHaveLength(2);
  });
});
