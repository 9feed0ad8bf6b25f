/**
 * Corrections of stored studies: to the worklist's demographics (a QC item), a merge of two patients, a
 * split of series into a new study. Each rewrites the objects through the archive — new bytes, a new
 * SHA-256 key, written to staging and sealed first — then, in one index transaction, replaces the rows,
 * records the correction with its before and after, re-points queued routing jobs at the new objects and
 * queues the corrected copies for every destination that already received the study. The old objects are
 * deleted only once the new rows are durable and the new objects published.
 */
import { createHash } from "node:crypto";
import type Database from "better-sqlite3";
import type { CorrectionResult, Demographics, QcItem } from "../../../shared/api/workflow.js";
import type { FilesystemStore } from "../archive/filesystem-store.js";
import type { StagedObject } from "../archive/object-store.js";
import type { Index } from "../db/database.js";
import { pnFuzzyKey, pnMatchKey } from "../db/pn.js";
import { type InstanceRecord, extractRecord } from "../db/records.js";
import { parseDataset } from "../dicom/dataset.js";
import { readPart10Header } from "../dicom/part10.js";
import type { Router } from "../router/router.js";
import { rewriteAttributes } from "./rewrite-object.js";
import { T } from "./tags.js";
import { type WorklistStore, newUid } from "./worklist.js";

export class CorrectionError extends Error {
  override name = "CorrectionError";
  constructor(
    readonly status: 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

interface StoredRow {
  sopInstanceUid: string;
  storageKey: string;
  sha256: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  callingAeTitle: string;
  receivedAt: string;
}

interface Rewritten {
  row: StoredRow;
  staged: StagedObject;
  record: InstanceRecord;
}

export interface CorrectionDeps {
  index: Index;
  store: FilesystemStore;
  worklist: WorklistStore;
  router?: Router;
}

const STORED = `
  SELECT i.sop_instance_uid AS sopInstanceUid, i.storage_key AS storageKey, i.sha256,
         s.study_instance_uid AS studyInstanceUid, se.series_instance_uid AS seriesInstanceUid,
         i.calling_ae_title AS callingAeTitle, i.received_at AS receivedAt
  FROM instances i JOIN series se ON se.id = i.series_fk JOIN studies s ON s.id = se.study_fk
  JOIN patients p ON p.id = s.patient_fk`;

const QC_COLUMNS = `q.id, q.study_instance_uid AS studyInstanceUid, q.worklist_fk AS worklistId,
  s.accession_number AS accessionNumber, s.study_date AS studyDate, s.modalities_in_study AS modalities,
  coalesce(s.number_of_instances, 0) AS numberOfInstances, q.differences, q.state, q.created_at AS createdAt,
  q.resolved_at AS resolvedAt, q.resolved_by AS resolvedBy, q.resolution`;

function demographicChanges(target: Demographics): Map<number, string> {
  return new Map([
    [T.PatientName, target.patientName],
    [T.PatientID, target.patientId],
    [T.IssuerOfPatientID, target.issuerOfPatientId ?? ""],
    [T.PatientBirthDate, target.patientBirthDate ?? ""],
    [T.PatientSex, target.patientSex ?? ""],
  ]);
}

export class Corrections {
  private readonly db: Database.Database;

  constructor(private readonly deps: CorrectionDeps) {
    this.db = deps.index.connection;
  }

  listQc(state?: QcItem["state"]): QcItem[] {
    const rows = this.db
      .prepare(
        `SELECT ${QC_COLUMNS} FROM qc_items q LEFT JOIN studies s ON s.study_instance_uid = q.study_instance_uid
         ${state ? "WHERE q.state = ?" : ""} ORDER BY q.id DESC LIMIT 500`,
      )
      .all(...(state ? [state] : [])) as Array<QcItem & { differences: string }>;
    return rows.map((row) => ({ ...row, differences: JSON.parse(row.differences) as QcItem["differences"] }));
  }

  private openQc(id: number): QcItem {
    const item = this.listQc("open").find((qc) => qc.id === id);
    if (!item) throw new CorrectionError(404, `no open QC item ${id}`);
    return item;
  }

  /** Rewrites the study of a QC item with the worklist's demographics (or the ones given). */
  async correct(id: number, actor: string, given?: Demographics): Promise<CorrectionResult> {
    const qc = this.openQc(id);
    const scheduled = qc.worklistId === null ? undefined : this.deps.worklist.get(qc.worklistId);
    const target: Demographics | undefined =
      given ??
      (scheduled && {
        patientId: scheduled.patientId,
        issuerOfPatientId: scheduled.issuerOfPatientId,
        patientName: scheduled.patientName,
        patientBirthDate: scheduled.patientBirthDate ?? "",
        patientSex: (scheduled.patientSex ?? "") as Demographics["patientSex"],
      });
    if (!target)
      throw new CorrectionError(409, "the QC item's worklist entry is gone: give the demographics");
    const rows = this.rows("s.study_instance_uid = ?", qc.studyInstanceUid);
    return this.apply("correct", actor, rows, () => demographicChanges(target), {
      before: { differences: qc.differences },
      after: target,
      afterCommit: () => {
        this.setPatient(target);
        this.db
          .prepare(
            `UPDATE qc_items SET state = 'corrected', resolved_at = ?, resolved_by = ?, resolution = ? WHERE id = ?`,
          )
          .run(new Date().toISOString(), actor, "corrected to the worklist's demographics", id);
      },
    });
  }

  dismiss(id: number, actor: string, reason: string): void {
    const qc = this.openQc(id);
    this.deps.index.transaction(() => {
      this.db
        .prepare(
          `UPDATE qc_items SET state = 'dismissed', resolved_at = ?, resolved_by = ?, resolution = ? WHERE id = ?`,
        )
        .run(new Date().toISOString(), actor, reason, id);
      this.deps.index.audit.append({
        actorType: "user",
        actor,
        action: "qc-dismiss",
        outcome: "success",
        studyUid: qc.studyInstanceUid,
        detail: { qcId: id, reason, differences: qc.differences },
      });
    });
  }

  /** Files every study of `source` under `target`, rewriting their objects with the target's demographics. */
  async merge(
    source: { patientId: string; issuerOfPatientId: string },
    target: { patientId: string; issuerOfPatientId: string },
    actor: string,
  ): Promise<CorrectionResult> {
    const patient = this.db
      .prepare(
        `SELECT patient_id AS patientId, issuer_of_patient_id AS issuerOfPatientId, patient_name AS patientName,
                birth_date AS patientBirthDate, sex AS patientSex FROM patients WHERE patient_id = ? AND issuer_of_patient_id = ?`,
      )
      .get(target.patientId, target.issuerOfPatientId) as
      Record<keyof Demographics, string | null> | undefined;
    if (!patient) throw new CorrectionError(404, `no patient ${target.patientId} to merge into`);
    if (source.patientId === target.patientId && source.issuerOfPatientId === target.issuerOfPatientId) {
      throw new CorrectionError(409, "a patient cannot be merged into itself");
    }
    const rows = this.rows(
      "p.patient_id = ? AND p.issuer_of_patient_id = ?",
      source.patientId,
      source.issuerOfPatientId,
    );
    if (rows.length === 0)
      throw new CorrectionError(404, `no patient ${source.patientId} with stored studies`);
    const demographics: Demographics = {
      patientId: patient.patientId ?? "",
      issuerOfPatientId: patient.issuerOfPatientId ?? "",
      patientName: patient.patientName ?? "",
      patientBirthDate: patient.patientBirthDate ?? "",
      patientSex: (patient.patientSex ?? "") as Demographics["patientSex"],
    };
    return this.apply("merge", actor, rows, () => demographicChanges(demographics), {
      before: source,
      after: demographics,
    });
  }

  /** Moves series of a study into a new study (new Study Instance UID), optionally of another patient. */
  async split(
    studyUid: string,
    seriesUids: string[],
    actor: string,
    patient?: Demographics,
  ): Promise<CorrectionResult> {
    const all = this.rows("s.study_instance_uid = ?", studyUid);
    if (all.length === 0) throw new CorrectionError(404, `no study ${studyUid}`);
    const inStudy = new Set(all.map((row) => row.seriesInstanceUid));
    const unknown = seriesUids.filter((uid) => !inStudy.has(uid));
    if (unknown.length > 0) throw new CorrectionError(404, `series not in the study: ${unknown.join(", ")}`);
    const moving = new Set(seriesUids);
    if (moving.size === inStudy.size)
      throw new CorrectionError(409, "a split must leave at least one series behind");
    const newStudyUid = newUid();
    const changes = new Map([
      [T.StudyInstanceUID, newStudyUid],
      ...(patient ? demographicChanges(patient) : []),
    ]);
    return this.apply(
      "split",
      actor,
      all.filter((row) => moving.has(row.seriesInstanceUid)),
      () => changes,
      {
        before: { studyInstanceUid: studyUid, seriesInstanceUids: seriesUids },
        after: { studyInstanceUid: newStudyUid, patient },
      },
    );
  }

  private rows(where: string, ...params: string[]): StoredRow[] {
    return this.db.prepare(`${STORED} WHERE ${where} ORDER BY i.id`).all(...params) as StoredRow[];
  }

  /** The worklist (or the merge target) is the truth about the patient: the patient row takes its values. */
  private setPatient(target: Demographics): void {
    this.db
      .prepare(
        `UPDATE patients SET patient_name = ?, patient_name_norm = ?, patient_name_fuzzy = ?, birth_date = ?, sex = ?
         WHERE patient_id = ? AND issuer_of_patient_id = ?`,
      )
      .run(
        target.patientName,
        pnMatchKey(target.patientName),
        pnFuzzyKey(target.patientName),
        target.patientBirthDate || null,
        target.patientSex || null,
        target.patientId,
        target.issuerOfPatientId ?? "",
      );
  }

  private async apply(
    kind: CorrectionResult["kind"],
    actor: string,
    rows: StoredRow[],
    changesFor: (row: StoredRow) => Map<number, string>,
    note: { before: unknown; after: unknown; afterCommit?: () => void },
  ): Promise<CorrectionResult> {
    const { index, store } = this.deps;
    const rewritten: Rewritten[] = [];
    try {
      for (const row of rows) rewritten.push(await this.rewrite(row, changesFor(row)));
      await store.seal(rewritten.map((r) => r.staged));
    } catch (err) {
      await store.discard(rewritten.map((r) => r.staged));
      throw err;
    }
    const studies = [...new Set(rows.map((r) => r.studyInstanceUid))];
    const newStudies = [...new Set(rewritten.map((r) => r.record.study.studyInstanceUid))];
    let result: CorrectionResult;
    try {
      result = index.transaction(() => {
        index.deleteInstances(rows.map((r) => r.sopInstanceUid));
        index.commitInstances(rewritten.map((r) => r.record));
        note.afterCommit?.();
        const instances = rewritten.map((r) => ({
          sopInstanceUid: r.row.sopInstanceUid,
          sha256Before: r.row.sha256,
          sha256After: r.record.instance.sha256,
        }));
        const detail = {
          studies,
          newStudies,
          before: note.before,
          after: note.after,
          instances,
          resent: [] as string[],
        };
        detail.resent = this.propagate(rewritten, studies, kind);
        const correctionId = Number(
          this.db
            .prepare(`INSERT INTO workflow_corrections (kind, actor, detail, created_at) VALUES (?, ?, ?, ?)`)
            .run(kind, actor, JSON.stringify(detail), new Date().toISOString()).lastInsertRowid,
        );
        for (const study of new Set([...studies, ...newStudies])) {
          index.audit.append({
            actorType: "user",
            actor,
            action: `qc-${kind}`,
            outcome: "success",
            studyUid: study,
            detail: { correctionId, ...detail },
          });
        }
        return {
          correctionId,
          kind,
          studies: newStudies,
          instances: rewritten.length,
          resent: detail.resent,
        };
      });
    } catch (err) {
      await store.discard(rewritten.map((r) => r.staged));
      throw err;
    }
    await index.sync();
    await store.publish(rewritten.map((r) => r.staged));
    for (const { row } of rewritten)
      if (!index.hasStorageKey(row.storageKey)) await store.delete(row.storageKey);
    this.deps.router?.kickAll();
    return result;
  }

  private async rewrite(row: StoredRow, changes: Map<number, string>): Promise<Rewritten> {
    const bytes = rewriteAttributes(await this.deps.store.read(row.storageKey), changes);
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const staging = this.deps.store.createStaging();
    await staging.write(bytes);
    const staged = await staging.finish(sha256);
    const header = readPart10Header(bytes);
    const dataset = parseDataset(bytes.subarray(header.datasetOffset), {
      transferSyntaxUid: header.transferSyntaxUid,
      stopAtPixelData: true,
    });
    const record = extractRecord(dataset, {
      storageKey: sha256,
      sha256,
      size: bytes.length,
      transferSyntaxUid: header.transferSyntaxUid,
      callingAeTitle: row.callingAeTitle,
      receivedAt: row.receivedAt,
    });
    return { row, staged, record };
  }

  /**
   * Jobs not yet delivered now send the corrected object; every destination that already received the study
   * is queued the corrected copies, under a rule named after the correction so the queue says why.
   */
  private propagate(rewritten: Rewritten[], studies: string[], kind: string): string[] {
    for (const { row, record } of rewritten) {
      this.db
        .prepare(
          `UPDATE route_jobs SET storage_key = ?, study_instance_uid = ? WHERE sop_instance_uid = ? AND storage_key = ?
           AND state IN ('queued', 'sending', 'dead', 'cancelled')`,
        )
        .run(record.instance.storageKey, record.study.studyInstanceUid, row.sopInstanceUid, row.storageKey);
    }
    const router = this.deps.router;
    if (!router) return [];
    const delivered = this.db
      .prepare(
        `SELECT destination, transfer_syntax AS transferSyntax, coerce, max(id) FROM route_jobs
         WHERE state = 'delivered' AND study_instance_uid IN (SELECT value FROM json_each(?)) GROUP BY destination`,
      )
      .all(JSON.stringify(studies)) as Array<{
      destination: string;
      transferSyntax: string | null;
      coerce: string | null;
    }>;
    const now = Date.now();
    router.queue.enqueue(
      delivered.flatMap((d) =>
        rewritten.map(({ record }) => ({
          sopInstanceUid: record.instance.sopInstanceUid,
          studyInstanceUid: record.study.studyInstanceUid,
          storageKey: record.instance.storageKey,
          sopClassUid: record.instance.sopClassUid,
          storedSyntax: record.instance.transferSyntaxUid,
          rule: `qc-${kind}`,
          destination: d.destination,
          ...(d.transferSyntax ? { transferSyntax: d.transferSyntax } : {}),
          ...(d.coerce ? { coerce: d.coerce } : {}),
          notBefore: now,
        })),
      ),
      now,
    );
    return delivered.map((d) => d.destination);
  }
}
