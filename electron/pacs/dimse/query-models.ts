/** Query/Retrieve information models (PS3.4 Annex C) by SOP class UID. */
export type QueryModel = "PATIENT_ROOT" | "STUDY_ROOT";
export type RetrieveOperation = "FIND" | "MOVE" | "GET";

export const QueryRetrieveSopClass = {
  PatientRootFind: "1.2.840.10008.5.1.4.1.2.1.1",
  PatientRootMove: "1.2.840.10008.5.1.4.1.2.1.2",
  PatientRootGet: "1.2.840.10008.5.1.4.1.2.1.3",
  StudyRootFind: "1.2.840.10008.5.1.4.1.2.2.1",
  StudyRootMove: "1.2.840.10008.5.1.4.1.2.2.2",
  StudyRootGet: "1.2.840.10008.5.1.4.1.2.2.3",
} as const;

const MODELS = new Map<string, { model: QueryModel; operation: RetrieveOperation }>([
  [QueryRetrieveSopClass.PatientRootFind, { model: "PATIENT_ROOT", operation: "FIND" }],
  [QueryRetrieveSopClass.PatientRootMove, { model: "PATIENT_ROOT", operation: "MOVE" }],
  [QueryRetrieveSopClass.PatientRootGet, { model: "PATIENT_ROOT", operation: "GET" }],
  [QueryRetrieveSopClass.StudyRootFind, { model: "STUDY_ROOT", operation: "FIND" }],
  [QueryRetrieveSopClass.StudyRootMove, { model: "STUDY_ROOT", operation: "MOVE" }],
  [QueryRetrieveSopClass.StudyRootGet, { model: "STUDY_ROOT", operation: "GET" }],
]);

export function queryModelOf(sopClassUid: string) {
  return MODELS.get(sopClassUid);
}

export function sopClassFor(model: QueryModel, operation: RetrieveOperation): string {
  for (const [uid, entry] of MODELS) {
    if (entry.model === model && entry.operation === operation) return uid;
  }
  throw new Error(`no SOP class for ${model} ${operation}`);
}
