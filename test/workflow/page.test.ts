/**
 * The Workflow page in Debian's Chromium against a real node: a technologist schedules a procedure with the
 * form, sees the procedure steps a modality reported (MPPS, sent by Hilum's own SCU) and the QC queue, and
 * corrects a study sent under a misspelled name (DCMTK storescu); a radiologist sees the page read-only.
 * Splits a series of a two-series study off under another patient (dcmdump reads the moved objects) and
 * dismisses a QC item, through the forms under its row. Takes the screenshots
 * of docs/workflow.md (docs/screenshots/workflow-*.png).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TransferSyntaxUid } from "../../shared/dicom/transfer-syntax.js";
import { encodeDataset } from "../../electron/pacs/dicom/writer.js";
import { openAssociation } from "../../electron/pacs/dimse/scu/client.js";
import { normalized } from "../../electron/pacs/dimse/scu/normalized.js";
import { WorkflowSopClass } from "../../electron/pacs/workflow/sop-classes.js";
import { T } from "../../electron/pacs/workflow/tags.js";
import { newUid } from "../../electron/pacs/workflow/worklist.js";
import { launchBrowser } from "../support/browser.js";
import { dcmdump } from "../support/dcmdump.js";
import { REPO_ROOT, type TestNode, scratchDir, startTestNode } from "../support/hilum.js";
import { storescu } from "../support/peers.js";
import { call, createAccounts } from "../web/api-support.js";
import { writeInstance } from "./support.js";

const SHOTS = join(REPO_ROOT, "docs/screenshots");
let hilum: TestNode;
let browser: Browser;
let base: string;
let tokens: Awaited<ReturnType<typeof createAccounts>>;
const consoleErrors: string[] = [];

const today = new Date().toISOString().slice(0, 10).replaceAll("-", "");
const PROCEDURES = [
  ["WF-1001", "Doe^Jane", "19800101", "F", "ACC-2001", "CT CHEST W/O CONTRAST", "CT", "CT_ROOM1", "08:30"],
  [
    "WF-1002",
    "Nguyen^Minh",
    "19650512",
    "M",
    "ACC-2002",
    "MR BRAIN W/WO CONTRAST",
    "MR",
    "MR_ROOM1",
    "09:15",
  ],
  [
    "WF-1003",
    "Garcia^Lucia",
    "19921130",
    "F",
    "ACC-2003",
    "XR CHEST PA AND LATERAL",
    "CR",
    "XR_ROOM2",
    "10:00",
  ],
] as const;

async function reportProcedureStep(): Promise<void> {
  const [item] = (await call(base, "/api/worklist", { token: tokens.admin })).json.items.filter(
    (i: { accessionNumber: string }) => i.accessionNumber === "ACC-2002",
  );
  const association = await openAssociation(
    hilum.target,
    [
      {
        abstractSyntax: WorkflowSopClass.ModalityPerformedProcedureStep,
        transferSyntaxes: [TransferSyntaxUid.ExplicitVRLittleEndian],
      },
    ],
    { callingAeTitle: "MR_ROOM1" },
  );
  const uid = newUid();
  const encode = (elements: Parameters<typeof encodeDataset>[0]) => (ts: string) =>
    encodeDataset(elements, { transferSyntaxUid: ts, charset: "ISO_IR 6" });
  await normalized(association, "N-CREATE", {
    sopClassUid: WorkflowSopClass.ModalityPerformedProcedureStep,
    sopInstanceUid: uid,
    dataset: encode([
      { tag: T.Modality, value: "MR" },
      { tag: T.PatientName, value: "Nguyen^Minh" },
      { tag: T.PatientID, value: "WF-1002" },
      {
        tag: T.ScheduledStepAttributesSequence,
        value: [
          [
            { tag: T.AccessionNumber, value: "ACC-2002" },
            { tag: T.StudyInstanceUID, value: item.studyInstanceUid },
          ],
        ],
      },
      { tag: T.PerformedStationAETitle, value: "MR_ROOM1" },
      { tag: T.PerformedProcedureStepStartDate, value: today },
      { tag: T.PerformedProcedureStepStartTime, value: "091700" },
      { tag: T.PerformedProcedureStepStatus, value: "IN PROGRESS" },
    ]),
  });
  await normalized(association, "N-SET", {
    sopClassUid: WorkflowSopClass.ModalityPerformedProcedureStep,
    sopInstanceUid: uid,
    dataset: encode([
      { tag: T.PerformedProcedureStepStatus, value: "COMPLETED" },
      { tag: T.PerformedProcedureStepEndDate, value: today },
      { tag: T.PerformedProcedureStepEndTime, value: "094200" },
    ]),
  });
  await association.release();
}

beforeAll(async () => {
  hilum = await startTestNode();
  base = hilum.node.http.url;
  tokens = await createAccounts(base);
  for (const [
    patientId,
    patientName,
    patientBirthDate,
    patientSex,
    accessionNumber,
    description,
    modality,
    station,
    time,
  ] of PROCEDURES) {
    const created = await call(base, "/api/worklist", {
      token: tokens.technologist,
      body: {
        patientId,
        patientName,
        patientBirthDate,
        patientSex,
        accessionNumber,
        requestedProcedureDescription: description,
        modality,
        scheduledStationAeTitle: station,
        scheduledDate: today,
        scheduledTime: time,
      },
    });
    expect(created.status, created.text).toBe(201);
  }
  await reportProcedureStep();
  const dir = scratchDir("workflow-page");
  const study = newUid();
  const series = newUid();
  const files = [1, 2, 3].map(
    () =>
      writeInstance(dir, {
        patientName: "Doe^Jaen",
        patientId: "WF-1001",
        patientBirthDate: "19800101",
        patientSex: "F",
        accessionNumber: "ACC-2001",
        studyDate: today,
        studyInstanceUid: study,
        seriesInstanceUid: series,
      }).file,
  );
  const sent = await storescu(hilum.target, files);
  expect(sent.code, sent.stderr).toBe(0);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await hilum?.close();
});

async function open(role: keyof typeof tokens): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, deviceScaleFactor: 1 });
  context.setDefaultTimeout(20_000);
  await context.addCookies([{ name: "hilum_session", value: tokens[role], url: base }]);
  const page = await context.newPage();
  page.on("pageerror", (error) => consoleErrors.push(error.message));
  await page.goto(`${base}/#/workflow`);
  await page.getByTestId("worklist-table").waitFor();
  return page;
}

describe("the Workflow page", () => {
  it("lets a technologist schedule, follow the procedure steps and correct a study in QC", async () => {
    mkdirSync(SHOTS, { recursive: true });
    const page = await open("technologist");
    await page.getByRole("button", { name: "Schedule procedure…" }).click();
    const form = page.getByTestId("schedule-form");
    await form.getByLabel("Patient ID").fill("WF-1004");
    await form.getByLabel("Patient name").fill("Okafor^Chidi");
    await form.getByLabel("Accession").fill("ACC-2004");
    await form.getByLabel("Procedure").fill("US ABDOMEN COMPLETE");
    await form.getByLabel("Modality").fill("US");
    await form.getByLabel("Station AE").fill("US_ROOM1");
    await form.getByLabel("Time").fill("11:30");
    await form.getByRole("button", { name: "Schedule" }).click();
    await expect.poll(() => page.getByTestId("worklist-table").locator("tbody tr").count()).toBe(4);
    await page.getByRole("button", { name: "Schedule procedure…" }).click();
    await page.screenshot({ path: join(SHOTS, "workflow-worklist.png") });

    await page.getByRole("tab", { name: "Procedure steps" }).click();
    await expect.poll(() => page.getByTestId("mpps-table").textContent()).toContain("COMPLETED");
    await page.screenshot({ path: join(SHOTS, "workflow-mpps.png") });

    await page.getByRole("tab", { name: /QC queue/ }).click();
    const qc = page.getByTestId("qc-table");
    await expect.poll(() => qc.textContent()).toContain("Doe^Jaen");
    await page.screenshot({ path: join(SHOTS, "workflow-qc.png") });
    await qc.getByRole("button", { name: "Correct to worklist" }).click();
    await expect.poll(() => page.getByRole("status").textContent()).toContain("Corrected 3 object(s)");
    await expect.poll(() => qc.textContent()).toContain("corrected");
    expect(consoleErrors).toEqual([]);
  });

  it("lets a technologist split a study by picking its series, and dismiss a QC item with a reason", async () => {
    const dir = scratchDir("workflow-split");
    const study = newUid();
    const [first, second] = [newUid(), newUid()];
    const series = [
      { seriesInstanceUid: first, seriesNumber: 1, seriesDescription: "CHEST PA" },
      { seriesInstanceUid: first, seriesNumber: 1, seriesDescription: "CHEST PA" },
      { seriesInstanceUid: second, seriesNumber: 2, seriesDescription: "CHEST LATERAL" },
    ];
    const instances = series.map((s) =>
      writeInstance(dir, {
        patientName: "Garcia^Lusia",
        patientId: "WF-1003",
        patientBirthDate: "19921130",
        patientSex: "F",
        accessionNumber: "ACC-2003",
        modality: "CR",
        studyDate: today,
        studyInstanceUid: study,
        ...s,
      }),
    );
    const sent = await storescu(
      hilum.target,
      instances.map((i) => i.file),
    );
    expect(sent.code, sent.stderr).toBe(0);
    await hilum.node.ingest.idle();

    const page = await open("technologist");
    await page.getByRole("tab", { name: /QC queue/ }).click();
    const qc = page.getByTestId("qc-table");
    const row = qc.locator("tbody tr", { hasText: "Garcia^Lusia" });
    await row.waitFor();
    await row.getByRole("button", { name: "Split…" }).click();
    const panel = page.getByTestId("split-study");
    const boxes = panel.getByRole("group").getByRole("checkbox");
    await expect.poll(() => boxes.count()).toBe(2);
    const move = panel.getByRole("button", { name: /series into a new study/ });
    expect(await move.isDisabled()).toBe(true);
    expect(await panel.textContent()).toMatch(
      /Series 1: CHEST PA\s*CR, 2 image\(s\).*Series 2: CHEST LATERAL\s*CR, 1 image\(s\)/s,
    );
    await boxes.first().check();
    await boxes.last().check();
    expect(await move.isDisabled(), "every series ticked: nothing would stay").toBe(true);
    await boxes.first().uncheck();
    await panel.getByLabel("The new study belongs to another patient").check();
    await panel.getByLabel("Patient ID").fill("WF-1005");
    await panel.getByLabel("Patient name").fill("Garcia^Luis");
    await panel.getByLabel("Sex").selectOption("M");
    await page.screenshot({ path: join(SHOTS, "workflow-split.png") });
    await move.click();
    await expect
      .poll(() => page.getByRole("status").textContent())
      .toContain("1 series moved into a new study of patient WF-1005");
    const studyOf = (i: number) =>
      hilum.node.index.findInstance(instances[i]!.sopInstanceUid)?.studyInstanceUid;
    expect(studyOf(0)).toBe(study);
    expect(studyOf(2)).not.toBe(study);
    const stored = (i: number) =>
      hilum.node.store.pathOf(hilum.node.index.findInstance(instances[i]!.sopInstanceUid)!.storageKey);
    const [kept, moved] = await dcmdump([stored(0), stored(2)]);
    expect(kept).toMatchObject({ PatientID: "WF-1003", PatientName: "Garcia^Lusia" });
    expect(moved).toMatchObject({ PatientID: "WF-1005", PatientName: "Garcia^Luis", PatientSex: "M" });

    await row.getByRole("button", { name: "Dismiss…" }).click();
    const dismiss = page.getByTestId("dismiss-qc");
    expect(await dismiss.getByRole("button", { name: "Dismiss" }).isDisabled()).toBe(true);
    await dismiss.getByLabel("Why is the study right as it is?").fill("name confirmed with the patient");
    await dismiss.getByRole("button", { name: "Dismiss" }).click();
    await expect.poll(() => page.getByRole("status").textContent()).toContain("QC item dismissed");
    await expect.poll(() => row.textContent()).toContain("dismissed");
    expect(consoleErrors).toEqual([]);
  });

  it("shows a radiologist the workflow without the actions", async () => {
    const page = await open("radiologist");
    await expect.poll(() => page.getByTestId("worklist-table").locator("tbody tr").count()).toBe(4);
    expect(await page.getByRole("button", { name: "Schedule procedure…" }).count()).toBe(0);
    await page.getByRole("tab", { name: /QC queue/ }).click();
    expect(await page.getByRole("button", { name: "Correct to worklist" }).count()).toBe(0);
  });
});
