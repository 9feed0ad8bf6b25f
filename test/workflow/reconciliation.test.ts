/**
 * Reconciliation and QC with real peers: DCMTK storescu sends a study under a misspelled name; it matches
 * its worklist entry by accession number and lands in the QC queue; a technologist corrects it through the
 * app API, after which the stored objects carry the worklist's name (dcmdump reads them), their checksums
 * are the new bytes' and the old objects are gone, and the router's destination (DCMTK storescp), which had
 * the misspelled study, is sent the corrected copies. Then a match by patient, date and modality, a
 * dismissal, a patient merge and a study split.
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256File } from "../../electron/pacs/archive/checksum.js";
import { newUid } from "../../electron/pacs/workflow/worklist.js";
import { dcmdump } from "../support/dcmdump.js";
import { type TestNode, scratchDir, startTestNode } from "../support/hilum.js";
import { type StorescpPeer, startStorescp, storescu } from "../support/peers.js";
import { call, createAccounts, expectProblem } from "../web/api-support.js";
import { eventually, writeInstance } from "./support.js";

let hilum: TestNode;
let storescp: StorescpPeer;
let base: string;
let tokens: Awaited<ReturnType<typeof createAccounts>>;
let dir: string;

function storedPath(sopInstanceUid: string): string {
  return hilum.node.store.pathOf(hilum.node.index.findInstance(sopInstanceUid)!.storageKey);
}

async function send(files: string[]): Promise<void> {
  const result = await storescu(hilum.target, files);
  expect(result.code, result.stderr).toBe(0);
  await hilum.node.ingest.idle();
}

beforeAll(async () => {
  storescp = await startStorescp();
  hilum = await startTestNode({
    router: {
      destinations: [
        {
          name: "archive",
          type: "dimse",
          aeTitle: storescp.aeTitle,
          host: storescp.host,
          port: storescp.port,
        },
      ],
      rules: [{ name: "everything", forward: ["archive"] }],
    },
  });
  base = hilum.node.http.url;
  tokens = await createAccounts(base);
  dir = scratchDir("reconciliation");
});

afterAll(async () => {
  await hilum?.close();
  await storescp?.stop();
});

describe("a study sent under a misspelled name", () => {
  const study = newUid();
  const series = newUid();
  let sent: string[] = [];
  let qcId: number;

  it("is scheduled through the app API by a technologist (a radiologist may only read)", async () => {
    const body = {
      patientId: "QC-1",
      patientName: "Doe^Jane",
      patientBirthDate: "1980-01-01",
      patientSex: "F",
      accessionNumber: "ACC-QC-1",
      modality: "CT",
      scheduledDate: "2024-03-15",
      scheduledTime: "09:30",
    };
    expectProblem(await call(base, "/api/worklist", { token: tokens.radiologist, body }), 403);
    const created = await call(base, "/api/worklist", { token: tokens.technologist, body });
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({
      patientBirthDate: "19800101",
      scheduledTime: "093000",
      status: "scheduled",
    });
    const list = await call(base, "/api/worklist", { token: tokens.radiologist });
    expect(list.json.items).toHaveLength(1);
  });

  it("lands in the QC queue, routed as it came", async () => {
    const files = [1, 2].map(() =>
      writeInstance(dir, {
        patientName: "Doe^Jaen",
        patientId: "QC-1",
        patientBirthDate: "19800101",
        patientSex: "F",
        accessionNumber: "ACC-QC-1",
        studyInstanceUid: study,
        seriesInstanceUid: series,
      }),
    );
    sent = files.map((f) => f.sopInstanceUid);
    await send(files.map((f) => f.file));
    const queue = await call(base, "/api/qc?state=open", { token: tokens.technologist });
    expect(queue.status, queue.text).toBe(200);
    expect(queue.json.items).toEqual([
      expect.objectContaining({
        studyInstanceUid: study,
        accessionNumber: "ACC-QC-1",
        numberOfInstances: 2,
        differences: [{ attribute: "PatientName", study: "Doe^Jaen", worklist: "Doe^Jane" }],
      }),
    ]);
    qcId = queue.json.items[0].id;
    await eventually(() => (storescp.files().length >= 2 ? true : undefined));
  });

  it("is corrected by a technologist: stored objects, checksums, index and destination all follow", async () => {
    const before = sent.map((uid) => hilum.node.index.findInstance(uid)!);
    const oldPaths = sent.map(storedPath);
    expectProblem(await call(base, `/api/qc/${qcId}/correct`, { token: tokens.radiologist, body: {} }), 403);
    const corrected = await call(base, `/api/qc/${qcId}/correct`, { token: tokens.technologist, body: {} });
    expect(corrected.status, corrected.text).toBe(200);
    expect(corrected.json).toMatchObject({
      kind: "correct",
      studies: [study],
      instances: 2,
      resent: ["archive"],
    });

    const dumped = await dcmdump(sent.map(storedPath));
    for (const dataset of dumped) expect(dataset.PatientName).toBe("Doe^Jane");
    for (const [i, uid] of sent.entries()) {
      const now = hilum.node.index.findInstance(uid)!;
      expect(now.sha256).not.toBe(before[i]!.sha256);
      expect(await sha256File(storedPath(uid))).toBe(now.sha256);
      expect(existsSync(oldPaths[i]!)).toBe(false);
    }
    const [match] = hilum.node.index.find({
      model: "STUDY_ROOT",
      level: "STUDY",
      keys: [
        { tag: 0x0020000d, vr: "UI", value: study },
        { tag: 0x00100010, vr: "PN", value: null },
      ],
    });
    expect(match?.get(0x00100010)).toBe("Doe^Jane");

    await eventually(async () => {
      const mine = storescp.files().filter((file) => sent.some((uid) => file.includes(uid)));
      const names = (await dcmdump(mine)).map((d) => d.PatientName);
      return names.filter((name) => name === "Doe^Jane").length >= 2 ? true : undefined;
    });
  });

  it("leaves the QC item closed and the change audited with before and after", async () => {
    const queue = await call(base, "/api/qc?state=corrected", { token: tokens.radiologist });
    expect(queue.json.items[0]).toMatchObject({ id: qcId, state: "corrected", resolvedBy: "technologist" });
    const [row] = hilum.node.index.audit.query({ action: "qc-correct", studyUid: study });
    expect(row).toMatchObject({ actor: "technologist", outcome: "success" });
    expect(row?.detail).toMatchObject({
      before: { differences: [{ attribute: "PatientName", study: "Doe^Jaen" }] },
      after: { patientName: "Doe^Jane", patientId: "QC-1" },
      resent: ["archive"],
    });
    expectProblem(await call(base, `/api/qc/${qcId}/correct`, { token: tokens.technologist, body: {} }), 404);
  });
});

describe("a study matched by patient, date and modality", () => {
  it("goes to QC for a different birth date, and can be dismissed with a reason", async () => {
    const scheduled = await call(base, "/api/worklist", {
      token: tokens.admin,
      body: {
        patientId: "QC-2",
        patientName: "Roe^Rita",
        patientBirthDate: "19700707",
        accessionNumber: "ACC-QC-2",
        modality: "MR",
        scheduledDate: "20240316",
      },
    });
    expect(scheduled.status, scheduled.text).toBe(201);
    const study = newUid();
    const file = writeInstance(dir, {
      patientName: "Roe^Rita",
      patientId: "QC-2",
      patientBirthDate: "19700708",
      modality: "MR",
      studyDate: "20240316",
      studyInstanceUid: study,
      seriesInstanceUid: newUid(),
    });
    await send([file.file]);
    const queue = await call(base, "/api/qc?state=open", { token: tokens.technologist });
    const item = queue.json.items.find((i: { studyInstanceUid: string }) => i.studyInstanceUid === study);
    expect(item.differences).toEqual([
      { attribute: "PatientBirthDate", study: "19700708", worklist: "19700707" },
    ]);
    expectProblem(
      await call(base, `/api/qc/${item.id}/dismiss`, { token: tokens.technologist, body: {} }),
      400,
    );
    const dismissed = await call(base, `/api/qc/${item.id}/dismiss`, {
      token: tokens.technologist,
      body: { reason: "birth date confirmed with the patient" },
    });
    expect(dismissed.status, dismissed.text).toBe(204);
    expect(hilum.node.index.audit.query({ action: "qc-dismiss", studyUid: study })).toHaveLength(1);
  });
});

describe("merge and split", () => {
  it("merges a patient into another, rewriting the objects under the target's identity", async () => {
    const a = writeInstance(dir, {
      patientName: "Lee^Ann",
      patientId: "MERGE-A",
      studyInstanceUid: newUid(),
      seriesInstanceUid: newUid(),
    });
    const b = writeInstance(dir, {
      patientName: "Lee^Anne",
      patientId: "MERGE-B",
      studyInstanceUid: newUid(),
      seriesInstanceUid: newUid(),
    });
    await send([a.file, b.file]);
    const merged = await call(base, "/api/patients/merge", {
      token: tokens.technologist,
      body: { source: { patientId: "MERGE-B" }, target: { patientId: "MERGE-A" } },
    });
    expect(merged.status, merged.text).toBe(200);
    expect(merged.json).toMatchObject({ kind: "merge", instances: 1 });
    const [dumped] = await dcmdump([storedPath(b.sopInstanceUid)]);
    expect(dumped).toMatchObject({ PatientID: "MERGE-A", PatientName: "Lee^Ann" });
    const patients = hilum.node.index.find({
      model: "PATIENT_ROOT",
      level: "PATIENT",
      keys: [{ tag: 0x00100020, vr: "LO", value: "MERGE-*" }],
    });
    expect(patients.map((p) => p.get(0x00100020))).toEqual(["MERGE-A"]);
    expectProblem(
      await call(base, "/api/patients/merge", {
        token: tokens.technologist,
        body: { source: { patientId: "MERGE-B" }, target: { patientId: "MERGE-A" } },
      }),
      404,
    );
  });

  it("splits a series into a new study with a new Study Instance UID", async () => {
    const study = newUid();
    const keep = writeInstance(dir, {
      patientName: "Kim^Kai",
      patientId: "SPLIT-1",
      studyInstanceUid: study,
      seriesInstanceUid: newUid(),
    });
    const moveSeries = newUid();
    const move = writeInstance(dir, {
      patientName: "Kim^Kai",
      patientId: "SPLIT-1",
      studyInstanceUid: study,
      seriesInstanceUid: moveSeries,
    });
    await send([keep.file, move.file]);
    const split = await call(base, `/api/studies/${study}/split`, {
      token: tokens.technologist,
      body: { seriesInstanceUids: [moveSeries], patient: { patientId: "SPLIT-2", patientName: "Kim^Kara" } },
    });
    expect(split.status, split.text).toBe(200);
    const [newStudy] = split.json.studies as string[];
    expect(newStudy).not.toBe(study);
    const [moved] = await dcmdump([storedPath(move.sopInstanceUid)]);
    expect(moved).toMatchObject({
      StudyInstanceUID: newStudy,
      PatientID: "SPLIT-2",
      PatientName: "Kim^Kara",
    });
    expect(hilum.node.index.findInstance(move.sopInstanceUid)?.studyInstanceUid).toBe(newStudy);
    expect(hilum.node.index.findInstance(keep.sopInstanceUid)?.studyInstanceUid).toBe(study);
    expectProblem(
      await call(base, `/api/studies/${study}/split`, {
        token: tokens.technologist,
        body: { seriesInstanceUids: [hilum.node.index.findInstance(keep.sopInstanceUid)!.seriesInstanceUid] },
      }),
      409,
    );
  });
});
