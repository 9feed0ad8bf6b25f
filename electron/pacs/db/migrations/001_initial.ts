/**
 * Patients, studies, series, instances, and the append-only audit log.
 * Absent values are NULL, except the patient identity (patient_id, issuer_of_patient_id), which uses ""
 * so that UNIQUE groups objects without a Patient ID together. *_norm / *_fuzzy columns hold the PN
 * matching keys (see pn.ts). Derived columns are maintained by commit.ts inside each write transaction.
 */
export const sql = `
CREATE TABLE patients (
  id INTEGER PRIMARY KEY,
  patient_id TEXT NOT NULL,
  issuer_of_patient_id TEXT NOT NULL,
  patient_name TEXT,
  patient_name_norm TEXT,
  patient_name_fuzzy TEXT,
  birth_date TEXT,
  birth_time TEXT,
  sex TEXT,
  other_patient_ids TEXT,
  number_of_studies INTEGER NOT NULL DEFAULT 0,
  number_of_series INTEGER NOT NULL DEFAULT 0,
  number_of_instances INTEGER NOT NULL DEFAULT 0,
  UNIQUE (patient_id, issuer_of_patient_id)
) STRICT;
CREATE INDEX patients_name_norm ON patients (patient_name_norm);
CREATE INDEX patients_name_fuzzy ON patients (patient_name_fuzzy);

CREATE TABLE studies (
  id INTEGER PRIMARY KEY,
  patient_fk INTEGER NOT NULL REFERENCES patients (id),
  study_instance_uid TEXT NOT NULL UNIQUE,
  study_date TEXT,
  study_time TEXT,
  accession_number TEXT,
  referring_physician_name TEXT,
  referring_physician_name_norm TEXT,
  referring_physician_name_fuzzy TEXT,
  study_description TEXT,
  study_id TEXT,
  modalities_in_study TEXT,
  sop_classes_in_study TEXT,
  body_parts_in_study TEXT,
  number_of_series INTEGER NOT NULL DEFAULT 0,
  number_of_instances INTEGER NOT NULL DEFAULT 0,
  size_bytes INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX studies_patient ON studies (patient_fk);
CREATE INDEX studies_date ON studies (study_date);
CREATE INDEX studies_accession ON studies (accession_number);

CREATE TABLE series (
  id INTEGER PRIMARY KEY,
  study_fk INTEGER NOT NULL REFERENCES studies (id),
  series_instance_uid TEXT NOT NULL UNIQUE,
  modality TEXT,
  series_number INTEGER,
  series_description TEXT,
  body_part_examined TEXT,
  series_date TEXT,
  series_time TEXT,
  pps_start_date TEXT,
  pps_start_time TEXT,
  station_name TEXT,
  institution_name TEXT,
  protocol_name TEXT,
  number_of_instances INTEGER NOT NULL DEFAULT 0,
  size_bytes INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX series_study ON series (study_fk, series_number);
CREATE INDEX series_modality ON series (modality, study_fk);

CREATE TABLE instances (
  id INTEGER PRIMARY KEY,
  series_fk INTEGER NOT NULL REFERENCES series (id),
  sop_instance_uid TEXT NOT NULL UNIQUE,
  sop_class_uid TEXT NOT NULL,
  instance_number INTEGER,
  transfer_syntax_uid TEXT NOT NULL,
  number_of_frames INTEGER,
  pixel_rows INTEGER,
  pixel_columns INTEGER,
  content_date TEXT,
  content_time TEXT,
  acquisition_datetime TEXT,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  storage_key TEXT NOT NULL,
  calling_ae_title TEXT NOT NULL,
  received_at TEXT NOT NULL,
  specific_character_set TEXT
) STRICT;
CREATE INDEX instances_series ON instances (series_fk, instance_number);
CREATE INDEX instances_storage_key ON instances (storage_key);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time TEXT NOT NULL,
  actor_type TEXT NOT NULL CHECK (actor_type IN ('ae', 'user', 'system')),
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure')),
  study_uid TEXT,
  series_uid TEXT,
  sop_instance_uid TEXT,
  detail TEXT CHECK (detail IS NULL OR json_valid(detail))
) STRICT;
CREATE INDEX audit_log_time ON audit_log (time);
CREATE INDEX audit_log_study ON audit_log (study_uid, time);
CREATE INDEX audit_log_actor ON audit_log (actor, time);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused');
END;
`;
