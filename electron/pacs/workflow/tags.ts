import { tagForKeyword } from "../../../shared/dicom/dictionary.js";

function tag(keyword: string): number {
  const value = tagForKeyword(keyword);
  if (value === undefined) throw new Error(`no DICOM attribute ${keyword}`);
  return value;
}

/** The attributes of worklist, MPPS and storage commitment data sets, by keyword. */
export const T = {
  SpecificCharacterSet: tag("SpecificCharacterSet"),
  AccessionNumber: tag("AccessionNumber"),
  Modality: tag("Modality"),
  ReferringPhysicianName: tag("ReferringPhysicianName"),
  ReferencedStudySequence: tag("ReferencedStudySequence"),
  ReferencedPatientSequence: tag("ReferencedPatientSequence"),
  ReferencedSOPClassUID: tag("ReferencedSOPClassUID"),
  ReferencedSOPInstanceUID: tag("ReferencedSOPInstanceUID"),
  ReferencedImageSequence: tag("ReferencedImageSequence"),
  TransactionUID: tag("TransactionUID"),
  FailureReason: tag("FailureReason"),
  FailedSOPSequence: tag("FailedSOPSequence"),
  ReferencedSOPSequence: tag("ReferencedSOPSequence"),
  RetrieveAETitle: tag("RetrieveAETitle"),
  PatientName: tag("PatientName"),
  PatientID: tag("PatientID"),
  IssuerOfPatientID: tag("IssuerOfPatientID"),
  PatientBirthDate: tag("PatientBirthDate"),
  PatientSex: tag("PatientSex"),
  StudyInstanceUID: tag("StudyInstanceUID"),
  SeriesInstanceUID: tag("SeriesInstanceUID"),
  StudyID: tag("StudyID"),
  RequestedProcedureDescription: tag("RequestedProcedureDescription"),
  RequestedProcedureCodeSequence: tag("RequestedProcedureCodeSequence"),
  CodeValue: tag("CodeValue"),
  CodingSchemeDesignator: tag("CodingSchemeDesignator"),
  CodeMeaning: tag("CodeMeaning"),
  ScheduledStationAETitle: tag("ScheduledStationAETitle"),
  ScheduledProcedureStepStartDate: tag("ScheduledProcedureStepStartDate"),
  ScheduledProcedureStepStartTime: tag("ScheduledProcedureStepStartTime"),
  ScheduledPerformingPhysicianName: tag("ScheduledPerformingPhysicianName"),
  ScheduledProcedureStepDescription: tag("ScheduledProcedureStepDescription"),
  ScheduledProcedureStepID: tag("ScheduledProcedureStepID"),
  ScheduledStationName: tag("ScheduledStationName"),
  ScheduledProcedureStepStatus: tag("ScheduledProcedureStepStatus"),
  ScheduledProcedureStepSequence: tag("ScheduledProcedureStepSequence"),
  RequestedProcedureID: tag("RequestedProcedureID"),
  PerformedStationAETitle: tag("PerformedStationAETitle"),
  PerformedProcedureStepStartDate: tag("PerformedProcedureStepStartDate"),
  PerformedProcedureStepStartTime: tag("PerformedProcedureStepStartTime"),
  PerformedProcedureStepEndDate: tag("PerformedProcedureStepEndDate"),
  PerformedProcedureStepEndTime: tag("PerformedProcedureStepEndTime"),
  PerformedProcedureStepStatus: tag("PerformedProcedureStepStatus"),
  PerformedProcedureStepID: tag("PerformedProcedureStepID"),
  PerformedProcedureStepDescription: tag("PerformedProcedureStepDescription"),
  ScheduledStepAttributesSequence: tag("ScheduledStepAttributesSequence"),
  PerformedSeriesSequence: tag("PerformedSeriesSequence"),
} as const;
