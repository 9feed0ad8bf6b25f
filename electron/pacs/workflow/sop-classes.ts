/** The SOP classes of the modality workflow (PS3.4 Annexes K, F and J). */
export const WorkflowSopClass = {
  ModalityWorklistFind: "1.2.840.10008.5.1.4.31",
  ModalityPerformedProcedureStep: "1.2.840.10008.3.1.2.3.3",
  StorageCommitmentPushModel: "1.2.840.10008.1.20.1",
} as const;

/** The well-known instance every Storage Commitment N-ACTION and N-EVENT-REPORT addresses. */
export const STORAGE_COMMITMENT_INSTANCE = "1.2.840.10008.1.20.1.1";
