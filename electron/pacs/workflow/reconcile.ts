/**
 * Reconciliation of arriving studies with the worklist (IHE Patient Information Reconciliation, in small).
 * Runs as an ingest IndexHook, so a study's match and its QC decision commit with its first index rows:
 * the study is matched by accession number, else by Patient ID, study date and modality; when its
 * demographics disagree with the worklist's, it goes into the QC queue rather than either side being trusted.
 */
import type Database from "better-sqlite3";
import type { DemographicAttribute, WorklistItem } from "../../../shared/api/workflow.js";
import type { AuditLog } from "../db/audit.js";
import { pnMatchKey } from "../db/pn.js";
import type { InstanceRecord } from "../db/records.js";
import type { IndexedInstance } from "../ingest/pipeline.js";
import type { WorklistStore } from "./worklist.js";

export interface Difference {
  attribute: DemographicAttribute;
  study: string;
  worklist: string;
}

/** What the study says against what the worklist says; an attribute only one side gives is no conflict. */
export function demographicDifferences(record: InstanceRecord, item: WorklistItem): Difference[] {
  const { patient } = record;
  const pairs: Array<[DemographicAttribute, string | null, string | null, (v: string) => string]> = [
    ["PatientID", patient.patientId, item.patientId, (v) => v],
    ["PatientName", patient.patientName, item.patientName, pnMatchKey],
    ["PatientBirthDate", patient.patientBirthDate, item.patientBirthDate, (v) => v],
    ["PatientSex", patient.patientSex, item.patientSex, (v) => v.toUpperCase()],
  ];
  return pairs.flatMap(([attribute, study, worklist, key]) =>
    study && worklist && key(study) !== key(worklist) ? [{ attribute, study, worklist }] : [],
  );
}

export class Reconciler {
  constructor(
    private readonly db: Database.Database,
    private readonly worklist: WorklistStore,
    private readonly audit: AuditLog,
  ) {}

  /** The ingest hook: the first instance of each study not matched yet decides for the study. */
  readonly onIndexed = (instances: IndexedInstance[]): void => {
    const seen = new Set<string>();
    for (const { record } of instances) {
      const studyUid = record.study.studyInstanceUid;
      if (seen.has(studyUid)) continue;
      seen.add(studyUid);
      if (this.known(studyUid)) continue;
      this.reconcile(record);
    }
  };

  private known(studyUid: string): boolean {
    return (
      this.db
        .prepare(
          `SELECT 1 FROM study_worklist_links WHERE study_instance_uid = ?
           UNION ALL SELECT 1 FROM qc_items WHERE study_instance_uid = ? AND state = 'open' LIMIT 1`,
        )
        .get(studyUid, studyUid) !== undefined
    );
  }

  private match(
    record: InstanceRecord,
  ): { item: WorklistItem; by: "accession" | "patient-date-modality" } | undefined {
    const accession = record.study.accessionNumber;
    const byAccession = accession
      ? this.worklist.byAccession(accession).find((item) => item.status !== "cancelled")
      : undefined;
    if (byAccession) return { item: byAccession, by: "accession" };
    const { patientId } = record.patient;
    const { studyDate } = record.study;
    const { modality } = record.series;
    if (!patientId || !studyDate || !modality) return undefined;
    const item = this.worklist.byPatientDateModality(patientId, studyDate, modality);
    return item ? { item, by: "patient-date-modality" } : undefined;
  }

  private reconcile(record: InstanceRecord): void {
    const found = this.match(record);
    if (!found) return;
    const studyUid = record.study.studyInstanceUid;
    const now = new Date().toISOString();
    this.db
      .prepare(
        `INSERT INTO study_worklist_links (study_instance_uid, worklist_fk, matched_by, matched_at) VALUES (?, ?, ?, ?)`,
      )
      .run(studyUid, found.item.id, found.by, now);
    const differences = demographicDifferences(record, found.item);
    if (differences.length === 0) return;
    this.db
      .prepare(
        `INSERT INTO qc_items (study_instance_uid, worklist_fk, differences, state, created_at) VALUES (?, ?, ?, 'open', ?)`,
      )
      .run(studyUid, found.item.id, JSON.stringify(differences), now);
    this.audit.append({
      actorType: "system",
      actor: "reconciliation",
      action: "qc-queued",
      outcome: "success",
      studyUid,
      detail: { worklistId: found.item.id, matchedBy: found.by, differences },
    });
  }
}
