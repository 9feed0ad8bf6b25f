/**
 * The reading worklist on top of the index: the study list the viewer shows (search, sort, paging) with
 * each study's reading status and priority (table reading_status, migration 003), and status changes.
 * Matching reuses the C-FIND conditions (matching.ts) where the semantics are the same.
 */
import type { Database } from "better-sqlite3";
import { Tag } from "./attributes.js";
import { CATALOG } from "./catalog.js";
import { keyCondition, type PnOptions } from "./matching.js";
import { pnFuzzyKey } from "./pn.js";
import { StatementCache } from "./statements.js";
import type { Priority, ReadingStatus, StudySortKey } from "../../../shared/api/domain.js";

// The vocabulary is shared with the renderer (shared/api/domain.ts).
export {
  PRIORITIES,
  type Priority,
  READING_STATUSES,
  type ReadingStatus,
  STUDY_SORT_KEYS,
  type StudySortKey,
} from "../../../shared/api/domain.js";

export interface StudyListQuery {
  /** Patient name: without wildcards, matches names whose family name or any other component starts
   * with it, ignoring case and accents; with `*`/`?`, the pattern is matched against the whole name. */
  patientName?: string;
  /** Exact, or a `*`/`?` pattern. */
  patientId?: string;
  /** Exact, or a `*`/`?` pattern. */
  accessionNumber?: string;
  studyInstanceUid?: string;
  /** Inclusive, YYYYMMDD. */
  dateFrom?: string;
  /** Inclusive, YYYYMMDD. */
  dateTo?: string;
  /** Studies holding a series of any of these modalities. */
  modalities?: readonly string[];
  /** Case-insensitive substring of the study description. */
  description?: string;
  /** One box for the viewer's search field: patient name (as patientName), or the start of the patient ID or
   * accession number (ASCII case ignored). */
  text?: string;
  status?: readonly ReadingStatus[];
  priority?: readonly Priority[];
  sort?: StudySortKey;
  order?: "asc" | "desc";
  limit?: number;
  offset?: number;
}

export interface StudyListRow {
  studyInstanceUid: string;
  patientName: string | null;
  patientId: string;
  patientBirthDate: string | null;
  patientSex: string | null;
  studyDate: string | null;
  studyTime: string | null;
  studyDescription: string | null;
  accessionNumber: string | null;
  referringPhysicianName: string | null;
  modalities: string[];
  numberOfSeries: number;
  numberOfInstances: number;
  status: ReadingStatus;
  priority: Priority;
  statusChangedAt: string | null;
  statusChangedBy: string | null;
}

export interface StudyListPage {
  total: number;
  rows: StudyListRow[];
}

export interface StudyReading {
  studyInstanceUid: string;
  status: ReadingStatus;
  priority: Priority;
  changedAt: string | null;
  changedBy: string | null;
}

const FROM = `
  studies s JOIN patients p ON p.id = s.patient_fk
  LEFT JOIN reading_status r ON r.study_instance_uid = s.study_instance_uid`;

const COLUMNS = `
  s.study_instance_uid AS studyInstanceUid, p.patient_name AS patientName, p.patient_id AS patientId,
  p.birth_date AS patientBirthDate, p.sex AS patientSex, s.study_date AS studyDate, s.study_time AS studyTime,
  s.study_description AS studyDescription, s.accession_number AS accessionNumber,
  s.referring_physician_name AS referringPhysicianName, s.modalities_in_study AS modalities,
  s.number_of_series AS numberOfSeries, s.number_of_instances AS numberOfInstances,
  coalesce(r.status, 'unread') AS status, coalesce(r.priority, 'routine') AS priority,
  r.changed_at AS statusChangedAt, r.changed_by AS statusChangedBy`;

const STATUS_RANK = `CASE coalesce(r.status, 'unread') WHEN 'unread' THEN 0 WHEN 'in-progress' THEN 1 ELSE 2 END`;
const PRIORITY_RANK = `CASE coalesce(r.priority, 'routine') WHEN 'routine' THEN 0 WHEN 'urgent' THEN 1 ELSE 2 END`;

/** The sort expressions of each key; values that may be absent sort last in either direction. */
const SORT: Record<StudySortKey, string[]> = {
  studyDate: ["s.study_date", "s.study_time"],
  patientName: ["p.patient_name_fuzzy", "p.patient_name"],
  patientId: ["p.patient_id"],
  accessionNumber: ["s.accession_number"],
  studyDescription: ["s.study_description"],
  modalities: ["s.modalities_in_study"],
  status: [STATUS_RANK],
  priority: [PRIORITY_RANK],
  numberOfInstances: ["s.number_of_instances"],
  statusChangedAt: ["r.changed_at"],
};

const PN: PnOptions = { caseInsensitive: true, fuzzy: false };
const WILDCARD = /[*?]/u;

function catalogCondition(tag: number, value: string, params: unknown[]): string | undefined {
  const def = CATALOG.get(tag);
  if (!def) throw new Error(`no index column for tag ${tag}`);
  return keyCondition(def, value, PN, params);
}

/** GLOB metacharacters other than the DICOM wildcards are literal. */
function globLiteral(text: string): string {
  return text.replace(/[[*?]/gu, (ch) => `[${ch}]`);
}

/** Names, case and accents ignored: a plain value matches the start of any name component. */
function patientNameCondition(value: string, params: unknown[]): string {
  if (WILDCARD.test(value)) {
    params.push(pnFuzzyKey(value).replaceAll("[", "[[]"));
    return "p.patient_name_fuzzy GLOB ?";
  }
  const key = globLiteral(pnFuzzyKey(value));
  params.push(`${key}*`, `*^${key}*`);
  return "(p.patient_name_fuzzy GLOB ? OR p.patient_name_fuzzy GLOB ?)";
}

function inList(column: string, values: readonly string[], params: unknown[]): string {
  params.push(JSON.stringify(values));
  return `${column} IN (SELECT value FROM json_each(?))`;
}

function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/gu, (ch) => `\\${ch}`);
}

export function compileStudyList(query: StudyListQuery): { where: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (condition: string | undefined) => {
    if (condition) conditions.push(`(${condition})`);
  };
  if (query.patientName?.trim()) add(patientNameCondition(query.patientName.trim(), params));
  if (query.patientId !== undefined) add(catalogCondition(Tag.PatientID, query.patientId, params));
  if (query.accessionNumber !== undefined) {
    add(catalogCondition(Tag.AccessionNumber, query.accessionNumber, params));
  }
  if (query.studyInstanceUid !== undefined) {
    add(catalogCondition(Tag.StudyInstanceUID, query.studyInstanceUid, params));
  }
  if (query.dateFrom !== undefined || query.dateTo !== undefined) {
    add(catalogCondition(Tag.StudyDate, `${query.dateFrom ?? ""}-${query.dateTo ?? ""}`, params));
  }
  if (query.modalities && query.modalities.length > 0) {
    add(catalogCondition(Tag.ModalitiesInStudy, query.modalities.join("\\"), params));
  }
  if (query.description?.trim()) {
    params.push(`%${likeLiteral(query.description.trim())}%`);
    add("s.study_description LIKE ? ESCAPE '\\'");
  }
  if (query.text?.trim()) {
    const text = query.text.trim();
    const name = patientNameCondition(text, params);
    params.push(`${likeLiteral(text)}%`, `${likeLiteral(text)}%`);
    add(`${name} OR p.patient_id LIKE ? ESCAPE '\\' OR s.accession_number LIKE ? ESCAPE '\\'`);
  }
  if (query.status && query.status.length > 0)
    add(inList("coalesce(r.status, 'unread')", query.status, params));
  if (query.priority && query.priority.length > 0) {
    add(inList("coalesce(r.priority, 'routine')", query.priority, params));
  }
  return { where: conditions.length > 0 ? conditions.join(" AND ") : "1", params };
}

function orderBy(sort: StudySortKey, order: "asc" | "desc"): string {
  const direction = order === "desc" ? "DESC" : "ASC";
  const terms = SORT[sort].flatMap((expr) => [`(${expr}) IS NULL`, `${expr} ${direction}`]);
  return [...terms, `s.id ${direction}`].join(", ");
}

function splitValues(value: string | null): string[] {
  return value ? value.split("\\").filter((v) => v !== "") : [];
}

const SELECT_READING = `
  SELECT study_instance_uid AS studyInstanceUid, status, priority, changed_at AS changedAt, changed_by AS changedBy
  FROM reading_status WHERE study_instance_uid = ?`;

const UPSERT_READING = `
  INSERT INTO reading_status (study_instance_uid, status, priority, changed_at, changed_by)
  VALUES (@studyInstanceUid, @status, @priority, @changedAt, @changedBy)
  ON CONFLICT (study_instance_uid) DO UPDATE SET
    status = excluded.status, priority = excluded.priority,
    changed_at = excluded.changed_at, changed_by = excluded.changed_by`;

const STUDY_EXISTS = `SELECT 1 FROM studies WHERE study_instance_uid = ?`;

const LOCATE = `
  SELECT s.study_instance_uid AS studyInstanceUid, p.patient_id AS patientId, s.accession_number AS accessionNumber
  FROM studies s JOIN patients p ON p.id = s.patient_fk
  WHERE (@studyUid IS NULL OR s.study_instance_uid = @studyUid)
    AND (@accession IS NULL OR s.accession_number = @accession)
  ORDER BY s.id LIMIT 100`;

export interface LocatedStudy {
  studyInstanceUid: string;
  patientId: string;
  accessionNumber: string | null;
}

/** The study list and reading status, on the index's own SQLite connection. */
export class ReadingWorklist {
  private readonly statements: StatementCache;

  constructor(db: Database) {
    this.statements = new StatementCache(db);
  }

  list(query: StudyListQuery = {}): StudyListPage {
    const { where, params } = compileStudyList(query);
    const total = (
      this.statements.get(`SELECT count(*) AS n FROM ${FROM} WHERE ${where}`).get(...params) as { n: number }
    ).n;
    const order = orderBy(query.sort ?? "studyDate", query.order ?? "desc");
    const sql = `SELECT ${COLUMNS} FROM ${FROM} WHERE ${where} ORDER BY ${order} LIMIT ? OFFSET ?`;
    const rows = this.statements.get(sql).all(...params, query.limit ?? 100, query.offset ?? 0) as Array<
      Omit<StudyListRow, "modalities"> & { modalities: string | null }
    >;
    return { total, rows: rows.map((row) => ({ ...row, modalities: splitValues(row.modalities) })) };
  }

  studyExists(studyInstanceUid: string): boolean {
    return this.statements.get(STUDY_EXISTS).get(studyInstanceUid) !== undefined;
  }

  /** Studies by exact Study Instance UID and/or accession number (no wildcards), with their patient. */
  locate(by: { studyUid?: string; accession?: string }): LocatedStudy[] {
    return this.statements
      .get(LOCATE)
      .all({ studyUid: by.studyUid ?? null, accession: by.accession ?? null }) as LocatedStudy[];
  }

  /** The study's reading status; unread and routine when it was never set. */
  reading(studyInstanceUid: string): StudyReading {
    const row = this.statements.get(SELECT_READING).get(studyInstanceUid) as StudyReading | undefined;
    return (
      row ?? { studyInstanceUid, status: "unread", priority: "routine", changedAt: null, changedBy: null }
    );
  }

  /** Sets status and priority (the priority stays as it was when not given); returns the new value. */
  setReading(
    studyInstanceUid: string,
    change: { status: ReadingStatus; priority?: Priority; by: string; at?: Date },
  ): StudyReading {
    const next: StudyReading = {
      studyInstanceUid,
      status: change.status,
      priority: change.priority ?? this.reading(studyInstanceUid).priority,
      changedAt: (change.at ?? new Date()).toISOString(),
      changedBy: change.by,
    };
    this.statements.get(UPSERT_READING).run(next);
    return next;
  }
}
