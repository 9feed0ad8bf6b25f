import { DimseStatus, QueryError } from "./errors.js";
import type { QueryLevel } from "./query.js";
import type { StatementCache } from "./statements.js";

/** The unique keys of a C-MOVE/C-GET identifier; the list for the retrieve level is required. */
export interface RetrieveRequest {
  level: QueryLevel;
  patientId?: string;
  issuerOfPatientId?: string;
  studyInstanceUids?: readonly string[];
  seriesInstanceUids?: readonly string[];
  sopInstanceUids?: readonly string[];
}

export interface RetrieveInstance {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  storageKey: string;
  size: number;
  sha256: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
}

const SELECT = `
  SELECT i.sop_class_uid AS sopClassUid, i.sop_instance_uid AS sopInstanceUid,
         i.transfer_syntax_uid AS transferSyntaxUid, i.storage_key AS storageKey, i.size, i.sha256,
         s.study_instance_uid AS studyInstanceUid, se.series_instance_uid AS seriesInstanceUid
  FROM instances i JOIN series se ON se.id = i.series_fk JOIN studies s ON s.id = se.study_fk
  JOIN patients p ON p.id = s.patient_fk`;

const ORDER = "ORDER BY s.id, se.series_number, se.id, i.instance_number, i.id";

const LIST_KEYS = [
  ["STUDY", "studyInstanceUids", "s.study_instance_uid"],
  ["SERIES", "seriesInstanceUids", "se.series_instance_uid"],
  ["IMAGE", "sopInstanceUids", "i.sop_instance_uid"],
] as const;

function refuse(message: string): QueryError {
  return new QueryError(DimseStatus.IdentifierDoesNotMatchSOPClass, message);
}

export function runRetrieve(statements: StatementCache, request: RetrieveRequest): RetrieveInstance[] {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (request.level === "PATIENT" && request.patientId === undefined)
    throw refuse("PATIENT level needs PatientID");
  if (request.patientId !== undefined) {
    conditions.push("p.patient_id = ?");
    params.push(request.patientId);
  }
  if (request.issuerOfPatientId !== undefined) {
    conditions.push("p.issuer_of_patient_id = ?");
    params.push(request.issuerOfPatientId);
  }
  for (const [level, field, column] of LIST_KEYS) {
    const uids = request[field] ?? [];
    if (request.level === level && uids.length === 0) throw refuse(`${level} level needs ${field}`);
    if (uids.length === 0) continue;
    // One UID (a WADO-RS frame request, a C-MOVE of one instance): a plain equality, cheaper than json_each.
    if (uids.length === 1) {
      conditions.push(`${column} = ?`);
      params.push(uids[0]);
      continue;
    }
    conditions.push(`${column} IN (SELECT value FROM json_each(?))`);
    params.push(JSON.stringify(uids));
  }
  const sql = `${SELECT} WHERE ${conditions.join(" AND ")} ${ORDER}`;
  return statements.get(sql).all(...params) as RetrieveInstance[];
}
