/**
 * An object whose index rows a power loss took (its QC entry went with them: both commit in one
 * transaction) is re-indexed from staging at the next start — and reconciled against the worklist like
 * any arriving object, so a mismatched study cannot slip past QC through the recovery path.
 */
import { renameSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { openIndex } from "../../electron/pacs/db/database.js";
import { newUid } from "../../electron/pacs/workflow/worklist.js";
import { scheduledProcedureBody } from "../../shared/api/workflow.js";
import { scratchDir, startTestNode } from "../support/hilum.js";
import { storescu } from "../support/peers.js";
import { writeInstance } from "./support.js";

describe("reconciliation of objects recovered from staging", () => {
  it("puts a recovered study with a misspelled name back in the QC queue", async () => {
    const first = await startTestNode();
    const study = newUid();
    let storageKey: string;
    let sopInstanceUid: string;
    try {
      first.node.workflow.worklist.create(
        scheduledProcedureBody.parse({
          patientId: "REC-1",
          patientName: "Roe^Richard",
          accessionNumber: "ACC-REC-1",
          modality: "CT",
          scheduledDate: "2024-03-15",
        }),
        "api",
      );
      const sent = writeInstance(scratchDir("qc-recovery"), {
        patientName: "Roe^Richrad",
        patientId: "REC-1",
        accessionNumber: "ACC-REC-1",
        studyInstanceUid: study,
        seriesInstanceUid: newUid(),
      });
      sopInstanceUid = sent.sopInstanceUid;
      expect((await storescu(first.target, [sent.file])).code).toBe(0);
      await first.node.ingest.idle();
      expect(first.node.index.connection.prepare("SELECT state FROM qc_items").all()).toEqual([
        { state: "open" },
      ]);
      storageKey = first.node.index.findInstance(sopInstanceUid)!.storageKey;
    } finally {
      await first.close();
    }

    // The power loss: the transaction with the rows and the QC entry is gone, the object is in staging.
    const index = openIndex(join(first.dataDir, "index.sqlite"));
    index.deleteInstances([sopInstanceUid]);
    index.close();
    const db = new Database(join(first.dataDir, "index.sqlite"));
    db.prepare("DELETE FROM qc_items").run();
    db.prepare("DELETE FROM study_worklist_links").run();
    db.close();
    const archive = join(first.dataDir, "archive");
    renameSync(
      join(archive, "objects", storageKey.slice(0, 2), storageKey),
      join(archive, "staging", `${storageKey}.lost`),
    );

    const second = await startTestNode({ dataDir: first.dataDir });
    try {
      expect(second.node.index.findInstance(sopInstanceUid)?.storageKey).toBe(storageKey);
      const queued = second.node.index.connection
        .prepare("SELECT study_instance_uid AS study, differences, state FROM qc_items")
        .all() as Array<{ study: string; differences: string; state: string }>;
      expect(queued.map((q) => ({ ...q, differences: JSON.parse(q.differences) }))).toEqual([
        {
          study,
          state: "open",
          differences: [{ attribute: "PatientName", study: "Roe^Richrad", worklist: "Roe^Richard" }],
        },
      ]);
    } finally {
      await second.close();
    }
  });
});
