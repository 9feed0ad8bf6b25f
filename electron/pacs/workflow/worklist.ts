import { randomUUID } from "node:crypto";
import type Database from "better-sqlite3";
import type { ScheduledProcedureBody, WorklistItem, WorklistStatus } from "../../../shared/api/workflow.js";
import { pnFuzzyKey, pnMatchKey } from "../db/pn.js";

/** The scheduled procedure's row, as the MWL matching reads it (columns named in mwl-query.ts). */
export const WORKLIST_COLUMNS = `
  id, patient_id AS patientId, issuer_of_patient_id AS issuerOfPatientId, patient_name AS patientName,
  birth_date AS patientBirthDate, sex AS patientSex, accession_number AS accessionNumber,
  requested_procedure_id AS requestedProcedureId, sps_id AS scheduledProcedureStepId,
  requested_procedure_description AS requestedProcedureDescription, procedure_code AS procedureCode,
  modality, station_ae_title AS scheduledStationAeTitle, station_name AS scheduledStationName,
  scheduled_date AS scheduledDate, scheduled_time AS scheduledTime, performing_physician AS performingPhysician,
  referring_physician AS referringPhysician, study_instance_uid AS studyInstanceUid, status, source,
  created_at AS createdAt, updated_at AS updatedAt`;

export type WorklistSource = WorklistItem["source"];

export class WorklistConflict extends Error {
  override name = "WorklistConflict";
}

/** A UID under the 2.25 root (PS3.5 B.2): a random UUID as a decimal integer. */
export function newUid(): string {
  return `2.25.${BigInt(`0x${randomUUID().replaceAll("-", "")}`).toString(10)}`;
}

function pnKeys(name: string | undefined) {
  return name === undefined
    ? { norm: null, fuzzy: null }
    : { norm: pnMatchKey(name), fuzzy: pnFuzzyKey(name) };
}

export interface WorklistFilter {
  date?: string;
  status?: WorklistStatus;
  modality?: string;
  limit?: number;
}

/**
 * The columns `create` and `replace` both write, in their order: patient_id … performing_physician_fuzzy
 * (names with their matching keys).
 */
function scheduledValues(body: ScheduledProcedureBody): Array<string | null> {
  const patient = pnKeys(body.patientName);
  const performing = pnKeys(body.performingPhysician);
  return [
    body.patientId,
    body.issuerOfPatientId ?? "",
    body.patientName,
    patient.norm,
    patient.fuzzy,
    body.patientBirthDate ?? null,
    body.patientSex ?? null,
    body.requestedProcedureDescription ?? null,
    body.procedureCode ?? null,
    body.modality,
    body.scheduledStationAeTitle ?? null,
    body.scheduledStationName ?? null,
    body.scheduledDate,
    body.scheduledTime,
    body.performingPhysician ?? null,
    performing.norm,
    performing.fuzzy,
  ];
}

/** Scheduled procedures: created by the app API, CSV import and HL7 orders; read by the MWL SCP. */
export class WorklistStore {
  constructor(private readonly db: Database.Database) {}

  /** Inserts a procedure; the same accession, requested procedure and step again is a conflict. */
  create(body: ScheduledProcedureBody, source: WorklistSource, placerOrder?: string): WorklistItem {
    const requestedProcedureId = body.requestedProcedureId ?? body.accessionNumber;
    const now = new Date().toISOString();
    const referring = pnKeys(body.referringPhysician);
    try {
      const id = this.db
        .prepare(
          `INSERT INTO worklist_items (accession_number, requested_procedure_id, sps_id, patient_id,
             issuer_of_patient_id, patient_name, patient_name_norm, patient_name_fuzzy, birth_date, sex,
             requested_procedure_description, procedure_code, modality, station_ae_title, station_name,
             scheduled_date, scheduled_time, performing_physician, performing_physician_norm,
             performing_physician_fuzzy, referring_physician, referring_physician_norm, referring_physician_fuzzy,
             study_instance_uid, status, source, placer_order, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'scheduled', ?, ?, ?, ?)`,
        )
        .run(
          body.accessionNumber,
          requestedProcedureId,
          body.scheduledProcedureStepId ?? requestedProcedureId,
          ...scheduledValues(body),
          body.referringPhysician ?? null,
          referring.norm,
          referring.fuzzy,
          body.studyInstanceUid ?? newUid(),
          source,
          placerOrder ?? null,
          now,
          now,
        ).lastInsertRowid;
      return this.get(Number(id))!;
    } catch (err) {
      if ((err as { code?: string }).code === "SQLITE_CONSTRAINT_UNIQUE") {
        throw new WorklistConflict(
          `accession ${body.accessionNumber} with this requested procedure and step, or this Study Instance UID, is already scheduled`,
        );
      }
      throw err;
    }
  }

  get(id: number): WorklistItem | undefined {
    return this.db.prepare(`SELECT ${WORKLIST_COLUMNS} FROM worklist_items WHERE id = ?`).get(id) as
      WorklistItem | undefined;
  }

  /** Items of one order (HL7 changes and cancels address the order by its accession number). */
  byAccession(accessionNumber: string): WorklistItem[] {
    return this.db
      .prepare(`SELECT ${WORKLIST_COLUMNS} FROM worklist_items WHERE accession_number = ? ORDER BY id`)
      .all(accessionNumber) as WorklistItem[];
  }

  list(filter: WorklistFilter = {}): WorklistItem[] {
    const filters: Array<[string, string | undefined]> = [
      ["scheduled_date = ?", filter.date],
      ["status = ?", filter.status],
      ["modality = ?", filter.modality],
    ];
    const given = filters.filter(([, value]) => value !== undefined);
    const conditions = given.map(([condition]) => condition);
    const params: unknown[] = given.map(([, value]) => value);
    const where = conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : "";
    params.push(filter.limit ?? 500);
    return this.db
      .prepare(
        `SELECT ${WORKLIST_COLUMNS} FROM worklist_items ${where}
         ORDER BY scheduled_date DESC, scheduled_time, id LIMIT ?`,
      )
      .all(...params) as WorklistItem[];
  }

  setStatus(id: number, status: WorklistStatus): WorklistItem | undefined {
    this.db
      .prepare(`UPDATE worklist_items SET status = ?, updated_at = ? WHERE id = ?`)
      .run(status, new Date().toISOString(), id);
    return this.get(id);
  }

  /** An HL7 order change (ORC-1 XO) rewrites the scheduled details, keeping the row and its Study Instance UID. */
  replace(id: number, body: ScheduledProcedureBody): WorklistItem | undefined {
    this.db
      .prepare(
        `UPDATE worklist_items SET patient_id = ?, issuer_of_patient_id = ?, patient_name = ?,
           patient_name_norm = ?, patient_name_fuzzy = ?, birth_date = ?, sex = ?,
           requested_procedure_description = ?, procedure_code = ?, modality = ?, station_ae_title = ?,
           station_name = ?, scheduled_date = ?, scheduled_time = ?, performing_physician = ?,
           performing_physician_norm = ?, performing_physician_fuzzy = ?, updated_at = ?
         WHERE id = ?`,
      )
      .run(...scheduledValues(body), new Date().toISOString(), id);
    return this.get(id);
  }

  /** The procedure an MPPS or an arriving study names by its scheduled step's keys. */
  findScheduled(keys: {
    accessionNumber?: string;
    requestedProcedureId?: string;
    scheduledProcedureStepId?: string;
    studyInstanceUid?: string;
  }): WorklistItem | undefined {
    if (keys.studyInstanceUid) {
      const byUid = this.db
        .prepare(`SELECT ${WORKLIST_COLUMNS} FROM worklist_items WHERE study_instance_uid = ?`)
        .get(keys.studyInstanceUid) as WorklistItem | undefined;
      if (byUid) return byUid;
    }
    if (!keys.accessionNumber) return undefined;
    const candidates = this.byAccession(keys.accessionNumber).filter(
      (item) =>
        (!keys.requestedProcedureId || item.requestedProcedureId === keys.requestedProcedureId) &&
        (!keys.scheduledProcedureStepId || item.scheduledProcedureStepId === keys.scheduledProcedureStepId),
    );
    return candidates[0];
  }

  /** Reconciliation's second chance: the same patient scheduled that day for that modality. */
  byPatientDateModality(patientId: string, date: string, modality: string): WorklistItem | undefined {
    return this.db
      .prepare(
        `SELECT ${WORKLIST_COLUMNS} FROM worklist_items
         WHERE patient_id = ? AND scheduled_date = ? AND modality = ? AND status <> 'cancelled'
         ORDER BY id LIMIT 1`,
      )
      .get(patientId, date, modality) as WorklistItem | undefined;
  }
}
