/**
 * The modality workflow's shapes (docs/workflow.md), shared by the app API (`/api/worklist`, `/api/mpps`,
 * `/api/commitments`, `/api/qc`, patient merge, study split) and the renderer's Workflow page. Dates and
 * times travel as DICOM DA/TM text; the schemas accept the ISO spellings a form gives and normalise them.
 */
import { z } from "zod";
import { dicomDate, uid } from "./schemas.js";

export const WORKLIST_STATUSES = [
  "scheduled",
  "in-progress",
  "completed",
  "discontinued",
  "cancelled",
] as const;
export type WorklistStatus = (typeof WORKLIST_STATUSES)[number];
export const MPPS_STATUSES = ["IN PROGRESS", "COMPLETED", "DISCONTINUED"] as const;

/** HH:MM[:SS] or HHMM[SS] → HHMMSS. */
export const dicomTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):?[0-5]\d(:?[0-5]\d)?$/, "expected a time as HH:MM[:SS] or HHMM[SS]")
  .transform((text) => text.replaceAll(":", "").padEnd(6, "0"));

/** A DICOM LO/SH-like value: no backslash or control characters. */
function text(max: number) {
  return z
    .string()
    .trim()
    .max(max, `at most ${max} characters`)
    .regex(/^[^\\\p{Cc}]*$/u, "no backslash or control characters");
}
const required = (max: number) => text(max).min(1, "required");
const optional = (max: number) =>
  text(max)
    .optional()
    .transform((value) => (value === "" ? undefined : value));

/** Family^Given^Middle^Prefix^Suffix, as DICOM writes a person's name. */
export const personName = text(320).regex(/^[^=]*$/, "one component group (no '=')");
export const modality = z
  .string()
  .trim()
  .regex(/^[A-Z0-9 _]{1,16}$/, "a DICOM modality such as CT, MR, US");
export const aeTitleText = z
  .string()
  .trim()
  .regex(/^[\x20-\x5b\x5d-\x7e]{1,16}$/, "an AE title (1–16 characters)");

export const scheduledProcedureBody = z.strictObject({
  patientId: required(64),
  issuerOfPatientId: optional(64),
  patientName: personName.min(1, "required"),
  patientBirthDate: dicomDate.optional(),
  patientSex: z.enum(["M", "F", "O"]).optional(),
  accessionNumber: required(16),
  /** Default: the accession number. */
  requestedProcedureId: optional(16),
  /** Default: the requested procedure ID. */
  scheduledProcedureStepId: optional(16),
  requestedProcedureDescription: optional(64),
  procedureCode: optional(16),
  modality,
  scheduledStationAeTitle: aeTitleText.optional(),
  scheduledStationName: optional(16),
  scheduledDate: dicomDate,
  scheduledTime: dicomTime.default("000000"),
  performingPhysician: personName.optional(),
  referringPhysician: personName.optional(),
  /** The Study Instance UID the modality is to use; Hilum makes one when absent. */
  studyInstanceUid: uid.optional(),
});
export type ScheduledProcedureInput = z.input<typeof scheduledProcedureBody>;
export type ScheduledProcedureBody = z.output<typeof scheduledProcedureBody>;

const nullableText = z.string().nullable();

export const worklistItem = z.object({
  id: z.number().int(),
  patientId: z.string(),
  issuerOfPatientId: z.string(),
  patientName: z.string(),
  patientBirthDate: nullableText,
  patientSex: nullableText,
  accessionNumber: z.string(),
  requestedProcedureId: z.string(),
  scheduledProcedureStepId: z.string(),
  requestedProcedureDescription: nullableText,
  procedureCode: nullableText,
  modality: z.string(),
  scheduledStationAeTitle: nullableText,
  scheduledStationName: nullableText,
  scheduledDate: z.string(),
  scheduledTime: z.string(),
  performingPhysician: nullableText,
  referringPhysician: nullableText,
  studyInstanceUid: z.string(),
  status: z.enum(WORKLIST_STATUSES),
  source: z.enum(["api", "csv", "hl7"]),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type WorklistItem = z.output<typeof worklistItem>;

export const worklistList = z.object({ items: z.array(worklistItem) });

export const worklistQuery = z.object({
  date: dicomDate.optional().describe("Scheduled on this date (YYYY-MM-DD or YYYYMMDD)"),
  status: z.enum(WORKLIST_STATUSES).optional(),
  modality: modality.optional(),
});

export const worklistStatusBody = z.strictObject({ status: z.enum(WORKLIST_STATUSES) });

export const csvImportResult = z.object({
  created: z.array(worklistItem),
  errors: z.array(z.object({ line: z.number().int(), message: z.string() })),
});
export type CsvImportResult = z.output<typeof csvImportResult>;

export const mppsItem = z.object({
  sopInstanceUid: z.string(),
  status: z.enum(MPPS_STATUSES),
  worklistId: z.number().int().nullable(),
  callingAeTitle: z.string(),
  stationAeTitle: nullableText,
  modality: nullableText,
  patientId: nullableText,
  patientName: nullableText,
  accessionNumber: nullableText,
  studyInstanceUid: nullableText,
  description: nullableText,
  startedAt: nullableText,
  endedAt: nullableText,
  referencedInstances: z.number().int(),
  /** Of the referenced instances, how many the archive holds. */
  arrivedInstances: z.number().int(),
  updatedAt: z.string(),
});
export type MppsItem = z.output<typeof mppsItem>;
export const mppsList = z.object({ items: z.array(mppsItem) });

export const commitmentFailure = z.object({
  sopClassUid: z.string(),
  sopInstanceUid: z.string(),
  failureReason: z.number().int(),
  why: z.string(),
});
export const commitmentItem = z.object({
  transactionUid: z.string(),
  callingAeTitle: z.string(),
  state: z.enum(["pending", "reported", "report-failed"]),
  requested: z.number().int(),
  committed: z.number().int(),
  failures: z.array(commitmentFailure),
  reportError: nullableText,
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type CommitmentItem = z.output<typeof commitmentItem>;
export const commitmentList = z.object({ items: z.array(commitmentItem) });

export const DEMOGRAPHIC_ATTRIBUTES = ["PatientName", "PatientID", "PatientBirthDate", "PatientSex"] as const;
export type DemographicAttribute = (typeof DEMOGRAPHIC_ATTRIBUTES)[number];

export const qcDifference = z.object({
  attribute: z.enum(DEMOGRAPHIC_ATTRIBUTES),
  study: z.string(),
  worklist: z.string(),
});
export const qcItem = z.object({
  id: z.number().int(),
  studyInstanceUid: z.string(),
  worklistId: z.number().int().nullable(),
  accessionNumber: nullableText,
  studyDate: nullableText,
  modalities: nullableText,
  numberOfInstances: z.number().int(),
  differences: z.array(qcDifference),
  state: z.enum(["open", "corrected", "dismissed"]),
  createdAt: z.string(),
  resolvedAt: nullableText,
  resolvedBy: nullableText,
  resolution: nullableText,
});
export type QcItem = z.output<typeof qcItem>;
export const qcList = z.object({ items: z.array(qcItem) });
export const qcQuery = z.object({ state: z.enum(["open", "corrected", "dismissed"]).optional() });

export const demographics = z.strictObject({
  patientId: required(64),
  issuerOfPatientId: text(64).optional(),
  patientName: personName.min(1, "required"),
  patientBirthDate: dicomDate.or(z.literal("")).optional(),
  patientSex: z.enum(["M", "F", "O", ""]).optional(),
});
export type Demographics = z.output<typeof demographics>;

export const dismissBody = z.strictObject({ reason: required(256) });
export const patientRef = z.strictObject({
  patientId: required(64),
  issuerOfPatientId: text(64).default(""),
});
export const mergeBody = z.strictObject({ source: patientRef, target: patientRef });
export const splitBody = z.strictObject({
  seriesInstanceUids: z.array(uid).min(1, "name at least one series"),
  /** The new study's patient; default: the study's own. */
  patient: demographics.optional(),
});

export const correctionResult = z.object({
  correctionId: z.number().int(),
  kind: z.enum(["correct", "merge", "split"]),
  studies: z.array(z.string()),
  instances: z.number().int(),
  /** Destinations that had received the study and were queued the corrected copies. */
  resent: z.array(z.string()),
});
export type CorrectionResult = z.output<typeof correctionResult>;
