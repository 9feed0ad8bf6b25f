/**
 * Modality workflow (docs/workflow.md): the scheduled procedures modalities pull as their worklist, the
 * procedure steps they report (MPPS), storage commitment transactions, which worklist entry each arriving
 * study was matched to, the QC queue of studies whose demographics disagree with the worklist, and the
 * corrections applied to stored studies (with what they changed and where the corrected copies went).
 * PN columns carry their matching keys (*_norm, *_fuzzy, see pn.ts) as the index's do.
 */
export const sql = `
CREATE TABLE worklist_items (
  id INTEGER PRIMARY KEY,
  accession_number TEXT NOT NULL,
  requested_procedure_id TEXT NOT NULL,
  sps_id TEXT NOT NULL,
  patient_id TEXT NOT NULL,
  issuer_of_patient_id TEXT NOT NULL DEFAULT '',
  patient_name TEXT NOT NULL,
  patient_name_norm TEXT NOT NULL,
  patient_name_fuzzy TEXT NOT NULL,
  birth_date TEXT,
  sex TEXT,
  requested_procedure_description TEXT,
  procedure_code TEXT,
  modality TEXT NOT NULL,
  station_ae_title TEXT,
  station_name TEXT,
  scheduled_date TEXT NOT NULL,
  scheduled_time TEXT NOT NULL,
  performing_physician TEXT,
  performing_physician_norm TEXT,
  performing_physician_fuzzy TEXT,
  referring_physician TEXT,
  referring_physician_norm TEXT,
  referring_physician_fuzzy TEXT,
  study_instance_uid TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL CHECK (status IN ('scheduled', 'in-progress', 'completed', 'discontinued', 'cancelled')),
  source TEXT NOT NULL CHECK (source IN ('api', 'csv', 'hl7')),
  placer_order TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (accession_number, requested_procedure_id, sps_id)
) STRICT;
CREATE INDEX worklist_scheduled ON worklist_items (scheduled_date, scheduled_time);
CREATE INDEX worklist_station ON worklist_items (station_ae_title, scheduled_date);
CREATE INDEX worklist_patient ON worklist_items (patient_id, scheduled_date);

CREATE TABLE mpps (
  sop_instance_uid TEXT PRIMARY KEY,
  status TEXT NOT NULL CHECK (status IN ('IN PROGRESS', 'COMPLETED', 'DISCONTINUED')),
  worklist_fk INTEGER REFERENCES worklist_items (id),
  calling_ae_title TEXT NOT NULL,
  station_ae_title TEXT,
  modality TEXT,
  patient_id TEXT,
  patient_name TEXT,
  accession_number TEXT,
  study_instance_uid TEXT,
  description TEXT,
  started_at TEXT,
  ended_at TEXT,
  -- JSON array of the SOP Instance UIDs of the Performed Series Sequence.
  referenced_instances TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(referenced_instances)),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX mpps_worklist ON mpps (worklist_fk);
CREATE INDEX mpps_study ON mpps (study_instance_uid);

CREATE TABLE storage_commitments (
  transaction_uid TEXT PRIMARY KEY,
  calling_ae_title TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'reported', 'report-failed')),
  requested INTEGER NOT NULL,
  committed INTEGER NOT NULL DEFAULT 0,
  -- JSON array of {sopClassUid, sopInstanceUid, failureReason, why}.
  failures TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(failures)),
  report_error TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE study_worklist_links (
  study_instance_uid TEXT PRIMARY KEY,
  worklist_fk INTEGER NOT NULL REFERENCES worklist_items (id),
  matched_by TEXT NOT NULL CHECK (matched_by IN ('accession', 'patient-date-modality')),
  matched_at TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX study_worklist_links_item ON study_worklist_links (worklist_fk);

CREATE TABLE qc_items (
  id INTEGER PRIMARY KEY,
  study_instance_uid TEXT NOT NULL,
  worklist_fk INTEGER REFERENCES worklist_items (id),
  -- JSON array of {attribute, study, worklist}.
  differences TEXT NOT NULL CHECK (json_valid(differences)),
  state TEXT NOT NULL CHECK (state IN ('open', 'corrected', 'dismissed')),
  created_at TEXT NOT NULL,
  resolved_at TEXT,
  resolved_by TEXT,
  resolution TEXT
) STRICT;
CREATE UNIQUE INDEX qc_items_open ON qc_items (study_instance_uid) WHERE state = 'open';

CREATE TABLE workflow_corrections (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('correct', 'merge', 'split')),
  actor TEXT NOT NULL,
  -- JSON: the studies touched, the attributes before and after, the instances rewritten with old and new
  -- checksums, and the destinations the corrected copies were queued for.
  detail TEXT NOT NULL CHECK (json_valid(detail)),
  created_at TEXT NOT NULL
) STRICT;
`;
