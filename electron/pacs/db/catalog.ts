import { Tag } from "./attributes.js";

/** Query/Retrieve levels, top to bottom; table aliases p, s, se, i belong to them. */
export const Level = { PATIENT: 0, STUDY: 1, SERIES: 2, IMAGE: 3 } as const;

/**
 * How a key is matched (PS3.4 C.2.2.2):
 * text: single value or wildcard; pn: text on the alphabetic group, case-folded by default;
 * uid: single value or list of UIDs; int: numeric equality; date/time/datetime: single value or range;
 * multi-text / multi-uid: the stored attribute is multi-valued and matches when any value does;
 * modalities: ModalitiesInStudy, a list that matches when any listed modality is in the study.
 */
export type MatchKind =
  "text" | "pn" | "uid" | "int" | "date" | "time" | "datetime" | "multi-text" | "multi-uid" | "modalities";

export interface AttributeDef {
  tag: number;
  keyword: string;
  level: number;
  match: MatchKind;
  /** SQL expression of the stored value. */
  column: string;
  /** PN only: the case-folded and the fuzzy key columns (see pn.ts). */
  pnKeys?: { norm: string; fuzzy: string };
}

type Row = [keyof typeof Tag, number, MatchKind, string];

const rows: Row[] = [
  ["PatientName", Level.PATIENT, "pn", "p.patient_name"],
  ["PatientID", Level.PATIENT, "text", "p.patient_id"],
  ["IssuerOfPatientID", Level.PATIENT, "text", "p.issuer_of_patient_id"],
  ["PatientBirthDate", Level.PATIENT, "date", "p.birth_date"],
  ["PatientBirthTime", Level.PATIENT, "time", "p.birth_time"],
  ["PatientSex", Level.PATIENT, "text", "p.sex"],
  ["OtherPatientIDs", Level.PATIENT, "multi-text", "p.other_patient_ids"],
  ["NumberOfPatientRelatedStudies", Level.PATIENT, "int", "p.number_of_studies"],
  ["NumberOfPatientRelatedSeries", Level.PATIENT, "int", "p.number_of_series"],
  ["NumberOfPatientRelatedInstances", Level.PATIENT, "int", "p.number_of_instances"],
  ["StudyInstanceUID", Level.STUDY, "uid", "s.study_instance_uid"],
  ["StudyDate", Level.STUDY, "date", "s.study_date"],
  ["StudyTime", Level.STUDY, "time", "s.study_time"],
  ["AccessionNumber", Level.STUDY, "text", "s.accession_number"],
  ["ReferringPhysicianName", Level.STUDY, "pn", "s.referring_physician_name"],
  ["StudyDescription", Level.STUDY, "text", "s.study_description"],
  ["StudyID", Level.STUDY, "text", "s.study_id"],
  ["ModalitiesInStudy", Level.STUDY, "modalities", "s.modalities_in_study"],
  ["SOPClassesInStudy", Level.STUDY, "multi-uid", "s.sop_classes_in_study"],
  ["NumberOfStudyRelatedSeries", Level.STUDY, "int", "s.number_of_series"],
  ["NumberOfStudyRelatedInstances", Level.STUDY, "int", "s.number_of_instances"],
  ["SeriesInstanceUID", Level.SERIES, "uid", "se.series_instance_uid"],
  ["Modality", Level.SERIES, "text", "se.modality"],
  ["SeriesNumber", Level.SERIES, "int", "se.series_number"],
  ["SeriesDescription", Level.SERIES, "text", "se.series_description"],
  ["BodyPartExamined", Level.SERIES, "text", "se.body_part_examined"],
  ["SeriesDate", Level.SERIES, "date", "se.series_date"],
  ["SeriesTime", Level.SERIES, "time", "se.series_time"],
  ["PerformedProcedureStepStartDate", Level.SERIES, "date", "se.pps_start_date"],
  ["PerformedProcedureStepStartTime", Level.SERIES, "time", "se.pps_start_time"],
  ["StationName", Level.SERIES, "text", "se.station_name"],
  ["InstitutionName", Level.SERIES, "text", "se.institution_name"],
  ["ProtocolName", Level.SERIES, "text", "se.protocol_name"],
  ["NumberOfSeriesRelatedInstances", Level.SERIES, "int", "se.number_of_instances"],
  ["SOPInstanceUID", Level.IMAGE, "uid", "i.sop_instance_uid"],
  ["SOPClassUID", Level.IMAGE, "uid", "i.sop_class_uid"],
  ["InstanceNumber", Level.IMAGE, "int", "i.instance_number"],
  ["AvailableTransferSyntaxUID", Level.IMAGE, "uid", "i.transfer_syntax_uid"],
  ["NumberOfFrames", Level.IMAGE, "int", "i.number_of_frames"],
  ["Rows", Level.IMAGE, "int", "i.pixel_rows"],
  ["Columns", Level.IMAGE, "int", "i.pixel_columns"],
  ["ContentDate", Level.IMAGE, "date", "i.content_date"],
  ["ContentTime", Level.IMAGE, "time", "i.content_time"],
  ["AcquisitionDateTime", Level.IMAGE, "datetime", "i.acquisition_datetime"],
];

function define([keyword, level, match, column]: Row): AttributeDef {
  const def: AttributeDef = { tag: Tag[keyword], keyword, level, match, column };
  if (match === "pn") def.pnKeys = { norm: `${column}_norm`, fuzzy: `${column}_fuzzy` };
  return def;
}

/** Every attribute the index matches and returns, by tag. */
export const CATALOG: ReadonlyMap<number, AttributeDef> = new Map(
  rows.map((row) => [Tag[row[0]], define(row)]),
);

/** The unique key of each level. */
export const UNIQUE_KEYS: readonly number[] = [
  Tag.PatientID,
  Tag.StudyInstanceUID,
  Tag.SeriesInstanceUID,
  Tag.SOPInstanceUID,
];

/** Known keys that describe the request rather than the data: never matched, returned zero-length. */
export const REQUEST_ATTRIBUTES: ReadonlySet<number> = new Set([
  Tag.SpecificCharacterSet,
  Tag.TimezoneOffsetFromUTC,
]);
