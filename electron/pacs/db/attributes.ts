/**
 * What the index needs from a parsed DICOM header. The real DataSet (electron/pacs/dicom) implements it;
 * tests use a Map-backed fake.
 */
export interface AttributeReader {
  /** Decoded Unicode text, padding trimmed, multiple values kept joined with "\\". */
  string(tag: number): string | undefined;
  /** Values split on "\\". */
  strings(tag: number): string[];
  /** First numeric value (US/UL/IS/DS…). */
  number(tag: number): number | undefined;
}

/**
 * The tags this module reads or answers. Local until shared/dicom/tags.ts exists; the names are the
 * DICOM keywords, so switching to the shared constants is a rename of the import.
 */
export const Tag = {
  SpecificCharacterSet: 0x00080005,
  SOPClassUID: 0x00080016,
  SOPInstanceUID: 0x00080018,
  StudyDate: 0x00080020,
  SeriesDate: 0x00080021,
  ContentDate: 0x00080023,
  AcquisitionDateTime: 0x0008002a,
  StudyTime: 0x00080030,
  SeriesTime: 0x00080031,
  ContentTime: 0x00080033,
  AccessionNumber: 0x00080050,
  QueryRetrieveLevel: 0x00080052,
  Modality: 0x00080060,
  ModalitiesInStudy: 0x00080061,
  SOPClassesInStudy: 0x00080062,
  InstitutionName: 0x00080080,
  ReferringPhysicianName: 0x00080090,
  TimezoneOffsetFromUTC: 0x00080201,
  StationName: 0x00081010,
  StudyDescription: 0x00081030,
  SeriesDescription: 0x0008103e,
  AvailableTransferSyntaxUID: 0x00083002,
  PatientName: 0x00100010,
  PatientID: 0x00100020,
  IssuerOfPatientID: 0x00100021,
  PatientBirthDate: 0x00100030,
  PatientBirthTime: 0x00100032,
  PatientSex: 0x00100040,
  OtherPatientIDs: 0x00101000,
  BodyPartExamined: 0x00180015,
  ProtocolName: 0x00181030,
  StudyInstanceUID: 0x0020000d,
  SeriesInstanceUID: 0x0020000e,
  StudyID: 0x00200010,
  SeriesNumber: 0x00200011,
  InstanceNumber: 0x00200013,
  NumberOfPatientRelatedStudies: 0x00201200,
  NumberOfPatientRelatedSeries: 0x00201202,
  NumberOfPatientRelatedInstances: 0x00201204,
  NumberOfStudyRelatedSeries: 0x00201206,
  NumberOfStudyRelatedInstances: 0x00201208,
  NumberOfSeriesRelatedInstances: 0x00201209,
  NumberOfFrames: 0x00280008,
  Rows: 0x00280010,
  Columns: 0x00280011,
  PerformedProcedureStepStartDate: 0x00400244,
  PerformedProcedureStepStartTime: 0x00400245,
} as const;

/** "(0010,0010)" for messages. */
export function formatTag(tag: number): string {
  const hex = tag.toString(16).toUpperCase().padStart(8, "0");
  return `(${hex.slice(0, 4)},${hex.slice(4)})`;
}
