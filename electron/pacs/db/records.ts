import { Tag, formatTag, type AttributeReader } from "./attributes.js";
import { normaliseDate } from "./datetime.js";

/** Absent and zero-length values are both null: DICOM does not tell them apart for matching. */
export type Text = string | null;

export interface PatientRecord {
  /** "" when the object has no Patient ID: DICOM allows it, and such objects still group together. */
  patientId: string;
  /** "" when absent; part of the patient identity key (patientId, issuerOfPatientId). */
  issuerOfPatientId: string;
  patientName: Text;
  patientBirthDate: Text;
  patientBirthTime: Text;
  patientSex: Text;
  /** Multiple values joined with "\\". */
  otherPatientIds: Text;
}

export interface StudyRecord {
  studyInstanceUid: string;
  studyDate: Text;
  studyTime: Text;
  accessionNumber: Text;
  referringPhysicianName: Text;
  studyDescription: Text;
  studyId: Text;
}

export interface SeriesRecord {
  seriesInstanceUid: string;
  modality: Text;
  seriesNumber: number | null;
  seriesDescription: Text;
  bodyPartExamined: Text;
  seriesDate: Text;
  seriesTime: Text;
  performedProcedureStepStartDate: Text;
  performedProcedureStepStartTime: Text;
  stationName: Text;
  institutionName: Text;
  protocolName: Text;
}

export interface InstanceFileRecord {
  sopInstanceUid: string;
  sopClassUid: string;
  instanceNumber: number | null;
  transferSyntaxUid: string;
  numberOfFrames: number | null;
  rows: number | null;
  columns: number | null;
  contentDate: Text;
  contentTime: Text;
  acquisitionDateTime: Text;
  /** Bytes of the stored file. */
  size: number;
  /** Hex SHA-256 of the stored file. */
  sha256: string;
  /** Opaque key of the stored file in the archive. */
  storageKey: string;
  callingAeTitle: string;
  /** ISO 8601. */
  receivedAt: string;
  /** Of the source object; the index itself holds decoded Unicode. */
  specificCharacterSet: Text;
}

export interface InstanceRecord {
  patient: PatientRecord;
  study: StudyRecord;
  series: SeriesRecord;
  instance: InstanceFileRecord;
}

export interface StoredFile {
  storageKey: string;
  sha256: string;
  size: number;
  transferSyntaxUid: string;
  callingAeTitle: string;
  receivedAt: string;
}

/** An object the index cannot file: a UID it needs is missing. Ingest refuses it with this message. */
export class RecordError extends Error {
  override readonly name = "RecordError";
  constructor(
    message: string,
    readonly tag: number,
  ) {
    super(message);
  }
}

function text(ds: AttributeReader, tag: number): Text {
  const value = ds.string(tag)?.trim();
  return value ? value : null;
}

function date(ds: AttributeReader, tag: number): Text {
  const value = text(ds, tag);
  return value === null ? null : normaliseDate(value);
}

function integer(ds: AttributeReader, tag: number): number | null {
  const value = ds.number(tag);
  return value !== undefined && Number.isSafeInteger(value) ? value : null;
}

function required(ds: AttributeReader, tag: number, keyword: string): string {
  const value = text(ds, tag);
  if (value === null) throw new RecordError(`${keyword} ${formatTag(tag)} is missing or empty`, tag);
  return value;
}

/** The index row parts of one received object. */
export function extractRecord(ds: AttributeReader, file: StoredFile): InstanceRecord {
  return {
    patient: {
      patientId: text(ds, Tag.PatientID) ?? "",
      issuerOfPatientId: text(ds, Tag.IssuerOfPatientID) ?? "",
      patientName: text(ds, Tag.PatientName),
      patientBirthDate: date(ds, Tag.PatientBirthDate),
      patientBirthTime: text(ds, Tag.PatientBirthTime),
      patientSex: text(ds, Tag.PatientSex),
      otherPatientIds: text(ds, Tag.OtherPatientIDs),
    },
    study: {
      studyInstanceUid: required(ds, Tag.StudyInstanceUID, "StudyInstanceUID"),
      studyDate: date(ds, Tag.StudyDate),
      studyTime: text(ds, Tag.StudyTime),
      accessionNumber: text(ds, Tag.AccessionNumber),
      referringPhysicianName: text(ds, Tag.ReferringPhysicianName),
      studyDescription: text(ds, Tag.StudyDescription),
      studyId: text(ds, Tag.StudyID),
    },
    series: {
      seriesInstanceUid: required(ds, Tag.SeriesInstanceUID, "SeriesInstanceUID"),
      modality: text(ds, Tag.Modality),
      seriesNumber: integer(ds, Tag.SeriesNumber),
      seriesDescription: text(ds, Tag.SeriesDescription),
      bodyPartExamined: text(ds, Tag.BodyPartExamined),
      seriesDate: date(ds, Tag.SeriesDate),
      seriesTime: text(ds, Tag.SeriesTime),
      performedProcedureStepStartDate: date(ds, Tag.PerformedProcedureStepStartDate),
      performedProcedureStepStartTime: text(ds, Tag.PerformedProcedureStepStartTime),
      stationName: text(ds, Tag.StationName),
      institutionName: text(ds, Tag.InstitutionName),
      protocolName: text(ds, Tag.ProtocolName),
    },
    instance: {
      sopInstanceUid: required(ds, Tag.SOPInstanceUID, "SOPInstanceUID"),
      sopClassUid: required(ds, Tag.SOPClassUID, "SOPClassUID"),
      instanceNumber: integer(ds, Tag.InstanceNumber),
      transferSyntaxUid: file.transferSyntaxUid,
      numberOfFrames: integer(ds, Tag.NumberOfFrames),
      rows: integer(ds, Tag.Rows),
      columns: integer(ds, Tag.Columns),
      contentDate: date(ds, Tag.ContentDate),
      contentTime: text(ds, Tag.ContentTime),
      acquisitionDateTime: text(ds, Tag.AcquisitionDateTime),
      size: file.size,
      sha256: file.sha256,
      storageKey: file.storageKey,
      callingAeTitle: file.callingAeTitle,
      receivedAt: file.receivedAt,
      specificCharacterSet: text(ds, Tag.SpecificCharacterSet),
    },
  };
}
