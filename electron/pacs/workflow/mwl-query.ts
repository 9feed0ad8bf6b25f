/**
 * Modality Worklist Information Model – FIND (PS3.4 K.6.1) over `worklist_items`, with the matching of
 * the Query/Retrieve C-FIND (db/matching.ts): single value, wildcard, date and time ranges, person names
 * case-insensitively. Keys of the Scheduled Procedure Step Sequence match inside its one item; Scheduled
 * Procedure Step Start Date and Time given together match as one date-time range (C.2.2.2.5). Only
 * procedures still to be done (scheduled or started) are offered.
 */
import type { AttributeDef, MatchKind } from "../db/catalog.js";
import { parseDateMatch, parseTimeMatch } from "../db/datetime.js";
import { DimseStatus, QueryError } from "../db/errors.js";
import { keyCondition } from "../db/matching.js";
import type { FindMatch, QueryKey, ReturnValue } from "../db/query.js";
import type { WorklistItem } from "../../../shared/api/workflow.js";
import { T } from "./tags.js";
import { WORKLIST_COLUMNS } from "./worklist.js";

interface MwlAttribute {
  def: AttributeDef;
  value(item: WorklistItem): string | null;
}

const SPS_STATUS = `CASE status WHEN 'in-progress' THEN 'STARTED' ELSE 'SCHEDULED' END`;

function attribute(
  keyword: keyof typeof T,
  match: MatchKind,
  column: string,
  value: (item: WorklistItem) => string | null,
): [number, MwlAttribute] {
  const def: AttributeDef = { tag: T[keyword], keyword, level: 0, match, column };
  if (match === "pn") def.pnKeys = { norm: `${column}_norm`, fuzzy: `${column}_fuzzy` };
  return [T[keyword], { def, value }];
}

const TOP = new Map<number, MwlAttribute>([
  attribute("PatientName", "pn", "patient_name", (i) => i.patientName),
  attribute("PatientID", "text", "patient_id", (i) => i.patientId),
  attribute("IssuerOfPatientID", "text", "issuer_of_patient_id", (i) => i.issuerOfPatientId || null),
  attribute("PatientBirthDate", "date", "birth_date", (i) => i.patientBirthDate),
  attribute("PatientSex", "text", "sex", (i) => i.patientSex),
  attribute("AccessionNumber", "text", "accession_number", (i) => i.accessionNumber),
  attribute("RequestedProcedureID", "text", "requested_procedure_id", (i) => i.requestedProcedureId),
  attribute(
    "RequestedProcedureDescription",
    "text",
    "requested_procedure_description",
    (i) => i.requestedProcedureDescription,
  ),
  attribute("StudyInstanceUID", "uid", "study_instance_uid", (i) => i.studyInstanceUid),
  attribute("ReferringPhysicianName", "pn", "referring_physician", (i) => i.referringPhysician),
]);

const SPS = new Map<number, MwlAttribute>([
  attribute("ScheduledStationAETitle", "text", "station_ae_title", (i) => i.scheduledStationAeTitle),
  attribute("Modality", "text", "modality", (i) => i.modality),
  attribute("ScheduledProcedureStepStartDate", "date", "scheduled_date", (i) => i.scheduledDate),
  attribute("ScheduledProcedureStepStartTime", "time", "scheduled_time", (i) => i.scheduledTime),
  attribute("ScheduledPerformingPhysicianName", "pn", "performing_physician", (i) => i.performingPhysician),
  attribute("ScheduledProcedureStepID", "text", "sps_id", (i) => i.scheduledProcedureStepId),
  attribute(
    "ScheduledProcedureStepDescription",
    "text",
    "requested_procedure_description",
    (i) => i.requestedProcedureDescription,
  ),
  attribute("ScheduledStationName", "text", "station_name", (i) => i.scheduledStationName),
  attribute("ScheduledProcedureStepStatus", "text", SPS_STATUS, (i) =>
    i.status === "in-progress" ? "STARTED" : "SCHEDULED",
  ),
]);

const PN_OPTIONS = { caseInsensitive: true, fuzzy: false };
const DATE = T.ScheduledProcedureStepStartDate;
const TIME = T.ScheduledProcedureStepStartTime;

function invalid(message: string): QueryError {
  return new QueryError(DimseStatus.UnableToProcess, message);
}

function spsItemKeys(keys: readonly QueryKey[]): QueryKey[] | undefined {
  const sps = keys.find((key) => key.tag === T.ScheduledProcedureStepSequence);
  if (!sps) return undefined;
  if (sps.vr !== "SQ") throw invalid("ScheduledProcedureStepSequence (0040,0100) is not a sequence");
  if ((sps.items?.length ?? 0) > 1) {
    throw invalid("ScheduledProcedureStepSequence (0040,0100) holds more than one item");
  }
  return sps.items?.[0] ?? [];
}

/** Both start date and time given: one range over date and time together (PS3.4 C.2.2.2.5.1). */
function dateTimeCondition(date: string, time: string, params: unknown[]): string {
  const dates = parseDateMatch(date.trim());
  const times = parseTimeMatch(time.trim());
  if (!dates) throw invalid(`ScheduledProcedureStepStartDate: "${date}" is not a DA value or range`);
  if (!times) throw invalid(`ScheduledProcedureStepStartTime: "${time}" is not a TM value or range`);
  const expr = "(scheduled_date || dicom_time(scheduled_time))";
  const parts: string[] = [];
  if (dates.lo !== undefined) {
    parts.push(`${expr} >= ?`);
    params.push(dates.lo + (times.lo ?? "000000.000000"));
  }
  if (dates.hi !== undefined) {
    parts.push(`${expr} <= ?`);
    params.push(dates.hi + (times.hi ?? "235959.999999"));
  }
  return parts.length > 0 ? parts.join(" AND ") : "1";
}

function isUniversal(key: QueryKey | undefined): boolean {
  const value = key?.value?.trim() ?? "";
  return value === "" || /^\*+$/u.test(value);
}

function conditions(
  keys: readonly QueryKey[],
  catalog: Map<number, MwlAttribute>,
  params: unknown[],
): string[] {
  const out: string[] = [];
  const date = keys.find((k) => k.tag === DATE);
  const time = keys.find((k) => k.tag === TIME);
  const combined = catalog === SPS && !isUniversal(date) && !isUniversal(time);
  if (combined) out.push(dateTimeCondition(date!.value!, time!.value!, params));
  for (const key of keys) {
    const known = catalog.get(key.tag);
    if (!known || key.value === null || (combined && (key.tag === DATE || key.tag === TIME))) continue;
    const condition = keyCondition(known.def, key.value, PN_OPTIONS, params);
    if (condition) out.push(`(${condition})`);
  }
  return out;
}

export interface CompiledWorklistFind {
  sql: string;
  params: unknown[];
  /** Builds the response identifier of one matching procedure: exactly the requested keys. */
  answer(item: WorklistItem): FindMatch;
}

/** The whole Scheduled Procedure Step item, for a zero-length sequence key (return everything). */
const FULL_SPS_ITEM: QueryKey[] = [...SPS.keys()].map((tag) => ({ tag, vr: "", value: null }));

function returned(
  keys: readonly QueryKey[],
  catalog: Map<number, MwlAttribute>,
  item: WorklistItem,
): FindMatch {
  const match: FindMatch = new Map();
  for (const key of keys) {
    if (key.tag === T.SpecificCharacterSet) continue;
    match.set(key.tag, returnValue(key, catalog, item));
  }
  return match;
}

function returnValue(key: QueryKey, catalog: Map<number, MwlAttribute>, item: WorklistItem): ReturnValue {
  if (catalog === TOP && key.tag === T.ScheduledProcedureStepSequence) {
    const itemKeys = key.items?.[0]?.length ? key.items[0] : FULL_SPS_ITEM;
    return [returned(itemKeys, SPS, item)];
  }
  if (key.tag === T.RequestedProcedureCodeSequence) {
    if (!item.procedureCode) return [];
    const code: FindMatch = new Map<number, ReturnValue>([
      [T.CodeValue, item.procedureCode],
      [T.CodingSchemeDesignator, "L"],
      [T.CodeMeaning, item.requestedProcedureDescription ?? item.procedureCode],
    ]);
    return [code];
  }
  if (key.vr === "SQ") return [];
  return catalog.get(key.tag)?.value(item) ?? null;
}

/** Compiles an MWL identifier's keys; values are always bound parameters. */
export function compileWorklistFind(keys: readonly QueryKey[]): CompiledWorklistFind {
  const params: unknown[] = [];
  const where = [
    "status IN ('scheduled', 'in-progress')",
    ...conditions(keys, TOP, params),
    ...conditions(spsItemKeys(keys) ?? [], SPS, params),
  ];
  const sql = `SELECT ${WORKLIST_COLUMNS} FROM worklist_items WHERE ${where.join(" AND ")}
               ORDER BY scheduled_date, scheduled_time, id`;
  return { sql, params, answer: (item) => returned(keys, TOP, item) };
}
