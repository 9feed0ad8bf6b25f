import { pnFuzzyKey, pnMatchKey } from "./pn.js";
import type { InstanceRecord, PatientRecord, SeriesRecord, Text } from "./records.js";
import type { StatementCache } from "./statements.js";

export interface PatientIdentity {
  patientId: string;
  issuerOfPatientId: string;
  patientName: Text;
}

/** The study was already filed under another patient; it stays there and so does this instance. */
export interface PatientConflict {
  studyInstanceUid: string;
  stored: PatientIdentity;
  received: PatientIdentity;
}

/** The series was already filed under another study; it stays there and so does this instance. */
export interface SeriesConflict {
  seriesInstanceUid: string;
  storedStudyInstanceUid: string;
  receivedStudyInstanceUid: string;
}

export type DemographicAttribute = "PatientName" | "PatientBirthDate" | "PatientSex";

/** Same patient identity, different demographics: the stored values are kept (first non-empty value wins). */
export interface DemographicsMismatch {
  patientId: string;
  issuerOfPatientId: string;
  differences: Array<{ attribute: DemographicAttribute; stored: string; received: string }>;
}

export interface ReplacedInstance {
  /** The file the caller may now delete (unless it is the same key as the new one). */
  storageKey: string;
  sha256: string;
  previousStudyInstanceUid: string;
  previousSeriesInstanceUid: string;
  movedStudy: boolean;
  movedSeries: boolean;
}

export interface CommitResult {
  sopInstanceUid: string;
  /** Where the instance is filed: the record's UIDs unless a conflict kept the existing hierarchy. */
  studyInstanceUid: string;
  seriesInstanceUid: string;
  replaced?: ReplacedInstance;
  patientConflict?: PatientConflict;
  seriesConflict?: SeriesConflict;
  demographicsMismatch?: DemographicsMismatch;
}

export interface DeletedInstance {
  sopInstanceUid: string;
  storageKey: string;
  sha256: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
}

/** Rows whose derived columns must be recomputed in full (and which are dropped if they became empty). */
interface Touched {
  series: Set<number>;
  studies: Set<number>;
  patients: Set<number>;
}

interface Placement {
  seriesFk: number;
  studyFk: number;
  patientFk: number;
}

interface StudyPlacement {
  studyFk: number;
  patientFk: number;
  created: boolean;
}

interface SeriesPlacement extends Placement {
  created: boolean;
  /** What this record gave the series row where it had nothing: a value its study may not list yet. */
  newModality: Text;
  newBodyPart: Text;
}

interface SeriesRow extends Pick<SeriesRecord, "modality" | "bodyPartExamined"> {
  id: number;
  studyFk: number;
  patientFk: number;
  studyInstanceUid: string;
}

interface ExistingInstance extends Placement {
  id: number;
  storageKey: string;
  sha256: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
}

const SELECT_INSTANCE = `
  SELECT i.id, i.storage_key AS storageKey, i.sha256, i.series_fk AS seriesFk, se.study_fk AS studyFk,
         s.patient_fk AS patientFk, se.series_instance_uid AS seriesInstanceUid,
         s.study_instance_uid AS studyInstanceUid
  FROM instances i JOIN series se ON se.id = i.series_fk JOIN studies s ON s.id = se.study_fk
  WHERE i.sop_instance_uid = ?`;

const SELECT_PATIENT = `
  SELECT id, patient_name AS PatientName, birth_date AS PatientBirthDate, sex AS PatientSex
  FROM patients WHERE patient_id = ? AND issuer_of_patient_id = ?`;

const INSERT_PATIENT = `
  INSERT INTO patients (patient_id, issuer_of_patient_id, patient_name, patient_name_norm, patient_name_fuzzy,
                        birth_date, birth_time, sex, other_patient_ids)
  VALUES (@patientId, @issuerOfPatientId, @patientName, @nameNorm, @nameFuzzy,
          @patientBirthDate, @patientBirthTime, @patientSex, @otherPatientIds)`;

const FILL_PATIENT = `
  UPDATE patients SET
    patient_name = coalesce(patient_name, @patientName),
    patient_name_norm = coalesce(patient_name_norm, @nameNorm),
    patient_name_fuzzy = coalesce(patient_name_fuzzy, @nameFuzzy),
    birth_date = coalesce(birth_date, @patientBirthDate),
    birth_time = coalesce(birth_time, @patientBirthTime),
    sex = coalesce(sex, @patientSex),
    other_patient_ids = coalesce(other_patient_ids, @otherPatientIds)
  WHERE id = @id`;

const SELECT_STUDY = `
  SELECT s.id, s.patient_fk AS patientFk, p.patient_id AS patientId,
         p.issuer_of_patient_id AS issuerOfPatientId, p.patient_name AS patientName
  FROM studies s JOIN patients p ON p.id = s.patient_fk WHERE s.study_instance_uid = ?`;

const INSERT_STUDY = `
  INSERT INTO studies (patient_fk, study_instance_uid, study_date, study_time, accession_number,
                       referring_physician_name, referring_physician_name_norm, referring_physician_name_fuzzy,
                       study_description, study_id)
  VALUES (@patientFk, @studyInstanceUid, @studyDate, @studyTime, @accessionNumber,
          @referringPhysicianName, @nameNorm, @nameFuzzy, @studyDescription, @studyId)`;

const FILL_STUDY = `
  UPDATE studies SET
    study_date = coalesce(study_date, @studyDate),
    study_time = coalesce(study_time, @studyTime),
    accession_number = coalesce(accession_number, @accessionNumber),
    referring_physician_name = coalesce(referring_physician_name, @referringPhysicianName),
    referring_physician_name_norm = coalesce(referring_physician_name_norm, @nameNorm),
    referring_physician_name_fuzzy = coalesce(referring_physician_name_fuzzy, @nameFuzzy),
    study_description = coalesce(study_description, @studyDescription),
    study_id = coalesce(study_id, @studyId)
  WHERE id = @id`;

const SELECT_SERIES = `
  SELECT se.id, se.study_fk AS studyFk, s.patient_fk AS patientFk, s.study_instance_uid AS studyInstanceUid,
         se.modality, se.body_part_examined AS bodyPartExamined
  FROM series se JOIN studies s ON s.id = se.study_fk WHERE se.series_instance_uid = ?`;

const INSERT_SERIES = `
  INSERT INTO series (study_fk, series_instance_uid, modality, series_number, series_description,
                      body_part_examined, series_date, series_time, pps_start_date, pps_start_time,
                      station_name, institution_name, protocol_name)
  VALUES (@studyFk, @seriesInstanceUid, @modality, @seriesNumber, @seriesDescription,
          @bodyPartExamined, @seriesDate, @seriesTime, @performedProcedureStepStartDate,
          @performedProcedureStepStartTime, @stationName, @institutionName, @protocolName)`;

const FILL_SERIES = `
  UPDATE series SET
    modality = coalesce(modality, @modality),
    series_number = coalesce(series_number, @seriesNumber),
    series_description = coalesce(series_description, @seriesDescription),
    body_part_examined = coalesce(body_part_examined, @bodyPartExamined),
    series_date = coalesce(series_date, @seriesDate),
    series_time = coalesce(series_time, @seriesTime),
    pps_start_date = coalesce(pps_start_date, @performedProcedureStepStartDate),
    pps_start_time = coalesce(pps_start_time, @performedProcedureStepStartTime),
    station_name = coalesce(station_name, @stationName),
    institution_name = coalesce(institution_name, @institutionName),
    protocol_name = coalesce(protocol_name, @protocolName)
  WHERE id = @id`;

const INSTANCE_VALUES = `
  series_fk = @seriesFk, sop_class_uid = @sopClassUid, instance_number = @instanceNumber,
  transfer_syntax_uid = @transferSyntaxUid, number_of_frames = @numberOfFrames, pixel_rows = @rows,
  pixel_columns = @columns, content_date = @contentDate, content_time = @contentTime,
  acquisition_datetime = @acquisitionDateTime, size = @size, sha256 = @sha256, storage_key = @storageKey,
  calling_ae_title = @callingAeTitle, received_at = @receivedAt, specific_character_set = @specificCharacterSet`;

const INSERT_INSTANCE = `
  INSERT INTO instances (series_fk, sop_instance_uid, sop_class_uid, instance_number, transfer_syntax_uid,
                         number_of_frames, pixel_rows, pixel_columns, content_date, content_time,
                         acquisition_datetime, size, sha256, storage_key, calling_ae_title, received_at,
                         specific_character_set)
  VALUES (@seriesFk, @sopInstanceUid, @sopClassUid, @instanceNumber, @transferSyntaxUid, @numberOfFrames,
          @rows, @columns, @contentDate, @contentTime, @acquisitionDateTime, @size, @sha256, @storageKey,
          @callingAeTitle, @receivedAt, @specificCharacterSet)`;

const UPDATE_INSTANCE = `UPDATE instances SET ${INSTANCE_VALUES} WHERE id = @id`;

const DELETE_INSTANCE = `DELETE FROM instances WHERE id = ?`;

const REFRESH_SERIES = `
  UPDATE series SET (number_of_instances, size_bytes) =
    (SELECT count(*), coalesce(sum(size), 0) FROM instances WHERE series_fk = @id)
  WHERE id = @id`;

/** Distinct values of a series column in the study being updated, sorted and joined with "\\". */
function distinctInStudy(column: string): string {
  return `(SELECT group_concat(v, '\\' ORDER BY v) FROM
            (SELECT DISTINCT ${column} AS v FROM series
             WHERE study_fk = studies.id AND ${column} IS NOT NULL))`;
}

const MODALITIES_IN_STUDY = distinctInStudy("modality");
const BODY_PARTS_IN_STUDY = distinctInStudy("body_part_examined");
const SOP_CLASSES_IN_STUDY = `(SELECT group_concat(v, '\\' ORDER BY v) FROM
  (SELECT DISTINCT i.sop_class_uid AS v FROM series se JOIN instances i ON i.series_fk = se.id
   WHERE se.study_fk = studies.id))`;

const REFRESH_STUDY = `
  UPDATE studies SET
    (number_of_series, number_of_instances, size_bytes) =
      (SELECT count(*), coalesce(sum(number_of_instances), 0), coalesce(sum(size_bytes), 0)
       FROM series WHERE study_fk = @id),
    modalities_in_study = ${MODALITIES_IN_STUDY},
    body_parts_in_study = ${BODY_PARTS_IN_STUDY},
    sop_classes_in_study = ${SOP_CLASSES_IN_STUDY}
  WHERE id = @id`;

const REFRESH_PATIENT = `
  UPDATE patients SET (number_of_studies, number_of_series, number_of_instances) =
    (SELECT count(*), coalesce(sum(number_of_series), 0), coalesce(sum(number_of_instances), 0)
     FROM studies WHERE patient_fk = @id)
  WHERE id = @id`;

/**
 * Whether a new instance brings its study a value that its lists lack: a modality or body part that its
 * series row just got, or a SOP class. Its own series answers the SOP class at once for all but a
 * series' first instance; the study-wide scan stops at the first match.
 */
const NEW_VALUES = `
  SELECT
    CASE WHEN @newModality IS NOT NULL AND NOT EXISTS (SELECT 1 FROM series
           WHERE study_fk = @studyFk AND modality = @newModality AND id <> @seriesFk) THEN 1
         WHEN @newBodyPart IS NOT NULL AND NOT EXISTS (SELECT 1 FROM series
           WHERE study_fk = @studyFk AND body_part_examined = @newBodyPart AND id <> @seriesFk) THEN 1
         ELSE 0 END AS seriesValue,
    CASE WHEN EXISTS (SELECT 1 FROM instances
                      WHERE series_fk = @seriesFk AND sop_class_uid = @sopClassUid AND id <> @instanceId)
           OR EXISTS (SELECT 1 FROM series se JOIN instances i ON i.series_fk = se.id
                      WHERE se.study_fk = @studyFk AND i.sop_class_uid = @sopClassUid AND i.id <> @instanceId)
         THEN 0 ELSE 1 END AS sopClass`;

const ADD_TO_SERIES = `
  UPDATE series SET number_of_instances = number_of_instances + @instances, size_bytes = size_bytes + @size
  WHERE id = @id`;

const ADD_TO_STUDY = `
  UPDATE studies SET
    number_of_series = number_of_series + @series,
    number_of_instances = number_of_instances + @instances,
    size_bytes = size_bytes + @size
  WHERE id = @id`;

const ADD_TO_PATIENT = `
  UPDATE patients SET
    number_of_studies = number_of_studies + @studies,
    number_of_series = number_of_series + @series,
    number_of_instances = number_of_instances + @instances
  WHERE id = @id`;

/**
 * A list gaining a value is rebuilt rather than merged: a value may itself hold "\\" (a multi-valued CS
 * stays joined), so the joined list cannot be split back into its values. It happens once per value
 * that a study gains.
 */
const REBUILD_SERIES_VALUES = `
  UPDATE studies SET
    modalities_in_study = ${MODALITIES_IN_STUDY},
    body_parts_in_study = ${BODY_PARTS_IN_STUDY}
  WHERE id = @id`;

const REBUILD_SOP_CLASSES = `
  UPDATE studies SET sop_classes_in_study = ${SOP_CLASSES_IN_STUDY} WHERE id = @id`;

const DELETE_EMPTY_SERIES = `DELETE FROM series WHERE id = ? AND number_of_instances = 0`;
const DELETE_EMPTY_STUDY = `DELETE FROM studies WHERE id = ? AND number_of_series = 0`;
const DELETE_EMPTY_PATIENT = `DELETE FROM patients WHERE id = ? AND number_of_studies = 0`;

function pnKeys(name: Text): { nameNorm: Text; nameFuzzy: Text } {
  return name === null
    ? { nameNorm: null, nameFuzzy: null }
    : { nameNorm: pnMatchKey(name), nameFuzzy: pnFuzzyKey(name) };
}

interface Delta {
  studies: number;
  series: number;
  instances: number;
  size: number;
}

/**
 * What the new instances of one commit add, summed per row: each row is then updated once, by delta,
 * instead of recounted. This keeps a commit O(its instances) however large their series and study are.
 */
class Additions {
  readonly series = new Map<number, Delta>();
  readonly studies = new Map<number, Delta>();
  readonly patients = new Map<number, Delta>();
  /** Studies whose modality or body part list gained a value, and those whose SOP class list did. */
  readonly newSeriesValues = new Set<number>();
  readonly newSopClasses = new Set<number>();

  count(placement: SeriesPlacement, size: number, newStudy: boolean): void {
    const series = Number(placement.created);
    sumInto(this.series, placement.seriesFk, { studies: 0, series: 0, instances: 1, size });
    sumInto(this.studies, placement.studyFk, { studies: 0, series, instances: 1, size });
    sumInto(this.patients, placement.patientFk, { studies: Number(newStudy), series, instances: 1, size: 0 });
  }
}

function sumInto(deltas: Map<number, Delta>, id: number, delta: Delta): void {
  const sum = deltas.get(id);
  if (!sum) {
    deltas.set(id, delta);
    return;
  }
  sum.studies += delta.studies;
  sum.series += delta.series;
  sum.instances += delta.instances;
  sum.size += delta.size;
}

function touch(touched: Touched, placement: Placement): void {
  touched.series.add(placement.seriesFk);
  touched.studies.add(placement.studyFk);
  touched.patients.add(placement.patientFk);
}

/** Writes the records of one transaction; the caller runs commit() inside db.transaction. */
export class IndexWriter {
  constructor(private readonly sql: StatementCache) {}

  commit(records: readonly InstanceRecord[]): CommitResult[] {
    const touched: Touched = { series: new Set(), studies: new Set(), patients: new Set() };
    const additions = new Additions();
    const results = records.map((record) => this.commitOne(record, touched, additions));
    this.applyAdditions(additions);
    this.refresh(touched);
    return results;
  }

  delete(sopInstanceUids: readonly string[]): DeletedInstance[] {
    const touched: Touched = { series: new Set(), studies: new Set(), patients: new Set() };
    const deleted: DeletedInstance[] = [];
    for (const sopInstanceUid of sopInstanceUids) {
      const existing = this.existing(sopInstanceUid);
      if (!existing) continue;
      this.sql.get(DELETE_INSTANCE).run(existing.id);
      touch(touched, existing);
      const { storageKey, sha256, studyInstanceUid, seriesInstanceUid } = existing;
      deleted.push({ sopInstanceUid, storageKey, sha256, studyInstanceUid, seriesInstanceUid });
    }
    this.refresh(touched);
    return deleted;
  }

  private existing(sopInstanceUid: string): ExistingInstance | undefined {
    return this.sql.get(SELECT_INSTANCE).get(sopInstanceUid) as ExistingInstance | undefined;
  }

  private commitOne(record: InstanceRecord, touched: Touched, additions: Additions): CommitResult {
    const previous = this.existing(record.instance.sopInstanceUid);
    const result: CommitResult = {
      sopInstanceUid: record.instance.sopInstanceUid,
      studyInstanceUid: record.study.studyInstanceUid,
      seriesInstanceUid: record.series.seriesInstanceUid,
    };
    const study = this.placeStudy(record, result);
    const placement = this.placeSeries(record.series, study, result);
    const filedInStudy = placement.studyFk === study.studyFk;
    if (study.created && !filedInStudy) {
      // Created for a series that stays in another study: left empty, so the refresh drops it.
      touched.studies.add(study.studyFk);
      touched.patients.add(study.patientFk);
    }
    const values = { ...record.instance, seriesFk: placement.seriesFk };
    if (!previous) {
      const id = Number(this.sql.get(INSERT_INSTANCE).run(values).lastInsertRowid);
      this.noteNewValues(id, record.instance.sopClassUid, placement, additions);
      additions.count(placement, record.instance.size, study.created && filedInStudy);
      return result;
    }
    // A replacement may move the instance and empty its old rows: recount both places in full.
    this.sql.get(UPDATE_INSTANCE).run({ ...values, id: previous.id });
    touch(touched, placement);
    touch(touched, previous);
    result.replaced = {
      storageKey: previous.storageKey,
      sha256: previous.sha256,
      previousStudyInstanceUid: previous.studyInstanceUid,
      previousSeriesInstanceUid: previous.seriesInstanceUid,
      movedStudy: previous.studyFk !== placement.studyFk,
      movedSeries: previous.seriesFk !== placement.seriesFk,
    };
    return result;
  }

  /** Checked as each instance goes in, so that "known" means known before it; rebuilt once at the end. */
  private noteNewValues(
    instanceId: number,
    sopClassUid: string,
    placement: SeriesPlacement,
    additions: Additions,
  ): void {
    const { seriesFk, studyFk, newModality, newBodyPart } = placement;
    const params = { instanceId, seriesFk, studyFk, newModality, newBodyPart, sopClassUid };
    const found = this.sql.get(NEW_VALUES).get(params) as { seriesValue: number; sopClass: number };
    if (found.seriesValue) additions.newSeriesValues.add(studyFk);
    if (found.sopClass) additions.newSopClasses.add(studyFk);
  }

  /** Finds or creates the study; an existing study keeps its patient even when the record names another. */
  private placeStudy(record: InstanceRecord, result: CommitResult): StudyPlacement {
    const row = this.sql.get(SELECT_STUDY).get(record.study.studyInstanceUid) as
      (PatientIdentity & { id: number; patientFk: number }) | undefined;
    const studyValues = { ...record.study, ...pnKeys(record.study.referringPhysicianName) };
    if (!row) {
      const patientFk = this.placePatient(record.patient, result);
      const studyFk = Number(this.sql.get(INSERT_STUDY).run({ ...studyValues, patientFk }).lastInsertRowid);
      return { studyFk, patientFk, created: true };
    }
    this.sql.get(FILL_STUDY).run({ ...studyValues, id: row.id });
    const { patient } = record;
    if (row.patientId === patient.patientId && row.issuerOfPatientId === patient.issuerOfPatientId) {
      this.placePatient(patient, result);
    } else {
      result.patientConflict = {
        studyInstanceUid: record.study.studyInstanceUid,
        stored: {
          patientId: row.patientId,
          issuerOfPatientId: row.issuerOfPatientId,
          patientName: row.patientName,
        },
        received: {
          patientId: patient.patientId,
          issuerOfPatientId: patient.issuerOfPatientId,
          patientName: patient.patientName,
        },
      };
    }
    return { studyFk: row.id, patientFk: row.patientFk, created: false };
  }

  private placePatient(patient: PatientRecord, result: CommitResult): number {
    const values = { ...patient, ...pnKeys(patient.patientName) };
    const row = this.sql.get(SELECT_PATIENT).get(patient.patientId, patient.issuerOfPatientId) as
      ({ id: number } & Record<DemographicAttribute, Text>) | undefined;
    if (!row) return Number(this.sql.get(INSERT_PATIENT).run(values).lastInsertRowid);
    this.sql.get(FILL_PATIENT).run({ ...values, id: row.id });
    const received: Record<DemographicAttribute, Text> = {
      PatientName: patient.patientName,
      PatientBirthDate: patient.patientBirthDate,
      PatientSex: patient.patientSex,
    };
    const differences = (Object.keys(received) as DemographicAttribute[]).flatMap((attribute) => {
      const stored = row[attribute];
      const value = received[attribute];
      return stored !== null && value !== null && stored !== value
        ? [{ attribute, stored, received: value }]
        : [];
    });
    if (differences.length > 0) {
      const { patientId, issuerOfPatientId } = patient;
      result.demographicsMismatch = { patientId, issuerOfPatientId, differences };
    }
    return row.id;
  }

  /** Finds or creates the series; an existing series stays in its study even when the record names another. */
  private placeSeries(series: SeriesRecord, study: StudyPlacement, result: CommitResult): SeriesPlacement {
    const row = this.sql.get(SELECT_SERIES).get(series.seriesInstanceUid) as SeriesRow | undefined;
    if (!row) {
      const { studyFk, patientFk } = study;
      const seriesFk = Number(this.sql.get(INSERT_SERIES).run({ ...series, studyFk }).lastInsertRowid);
      return {
        seriesFk,
        studyFk,
        patientFk,
        created: true,
        newModality: series.modality,
        newBodyPart: series.bodyPartExamined,
      };
    }
    this.sql.get(FILL_SERIES).run({ ...series, id: row.id });
    if (row.studyFk !== study.studyFk) {
      result.seriesConflict = {
        seriesInstanceUid: series.seriesInstanceUid,
        storedStudyInstanceUid: row.studyInstanceUid,
        receivedStudyInstanceUid: result.studyInstanceUid,
      };
      result.studyInstanceUid = row.studyInstanceUid;
    }
    return {
      seriesFk: row.id,
      studyFk: row.studyFk,
      patientFk: row.patientFk,
      created: false,
      newModality: row.modality === null ? series.modality : null,
      newBodyPart: row.bodyPartExamined === null ? series.bodyPartExamined : null,
    };
  }

  /** Runs before the refresh: a recounted study sums its series, some of which may only get a delta. */
  private applyAdditions(additions: Additions): void {
    for (const [id, delta] of additions.series) this.sql.get(ADD_TO_SERIES).run({ id, ...delta });
    for (const [id, delta] of additions.studies) this.sql.get(ADD_TO_STUDY).run({ id, ...delta });
    for (const [id, delta] of additions.patients) this.sql.get(ADD_TO_PATIENT).run({ id, ...delta });
    for (const id of additions.newSeriesValues) this.sql.get(REBUILD_SERIES_VALUES).run({ id });
    for (const id of additions.newSopClasses) this.sql.get(REBUILD_SOP_CLASSES).run({ id });
  }

  /** Children before parents, so that an emptied series is gone before its study is counted. */
  private refresh(touched: Touched): void {
    for (const id of touched.series) {
      this.sql.get(REFRESH_SERIES).run({ id });
      this.sql.get(DELETE_EMPTY_SERIES).run(id);
    }
    for (const id of touched.studies) {
      this.sql.get(REFRESH_STUDY).run({ id });
      this.sql.get(DELETE_EMPTY_STUDY).run(id);
    }
    for (const id of touched.patients) {
      this.sql.get(REFRESH_PATIENT).run({ id });
      this.sql.get(DELETE_EMPTY_PATIENT).run(id);
    }
  }
}
