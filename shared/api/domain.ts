/**
 * The app API's vocabulary, shared by the core (which enforces it) and the renderer (which shows it):
 * roles and permissions, reading status and priority, the study list's sort keys, the user-name rule.
 * Plain values only; the zod schemas built from them are in `schemas.ts`.
 */

export const ROLES = ["admin", "radiologist", "technologist", "viewer"] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  /** Search and read studies: QIDO-RS, WADO-RS/URI, thumbnails, the study list. */
  "studies:read",
  /** Add objects: STOW-RS, import. */
  "studies:write",
  /** Set a study's reading status and priority. */
  "studies:report",
  /** See the modality workflow: worklist, procedure steps, storage commitments, the QC queue. */
  "worklist:read",
  /** Schedule procedures and reconcile studies: correct to the worklist, merge patients, split studies. */
  "worklist:write",
  /** Read the audit log. */
  "audit:read",
  /** Read the configuration and the peers. */
  "config:read",
  /** Change the configuration and the peers. */
  "config:write",
  /** Create, change and remove user accounts. */
  "users:manage",
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const READING_STATUSES = ["unread", "in-progress", "read"] as const;
export type ReadingStatus = (typeof READING_STATUSES)[number];
export const PRIORITIES = ["routine", "urgent", "stat"] as const;
export type Priority = (typeof PRIORITIES)[number];

export const STUDY_SORT_KEYS = [
  "studyDate",
  "patientName",
  "patientId",
  "accessionNumber",
  "studyDescription",
  "modalities",
  "status",
  "priority",
  "numberOfInstances",
  "statusChangedAt",
] as const;
export type StudySortKey = (typeof STUDY_SORT_KEYS)[number];

/** Letters and digits of any script, then also `.`, `_`, `@`, `-`; at most 64. */
const USERNAME = /^[\p{L}\p{N}][\p{L}\p{N}._@-]{0,63}$/u;

export const USERNAME_RULE = "1–64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit";

/** The canonical spelling (NFC) of a user name as typed. */
export function normalizeUsername(name: string): string {
  return name.normalize("NFC");
}

export function isValidUsername(name: string): boolean {
  return USERNAME.test(normalizeUsername(name));
}

/** Longest password accepted at all (the configured minimum length applies to new passwords). */
export const PASSWORD_MAX = 1024;
