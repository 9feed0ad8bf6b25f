/**
 * The app API's request and response shapes, as zod schemas: the server validates requests and documents
 * its routes (OpenAPI) with them, and the renderer's client checks the answers against the same ones.
 * Query-string schemas take what a query string gives (strings, repeated keys as arrays); the types a
 * client builds them from are in `contract.ts`.
 */
import { z } from "zod";
import {
  isValidUsername,
  PASSWORD_MAX,
  PRIORITIES,
  READING_STATUSES,
  ROLES,
  STUDY_SORT_KEYS,
  USERNAME_RULE,
} from "./domain.js";

// ---------------------------------------------------------------------------------------------------------
// Building blocks for parameters.

/** A DICOM UID (PS3.5 9.1): digits and dots, at most 64 characters, no empty or zero-led component. */
export const uid = z
  .string()
  .max(64, "a UID has at most 64 characters")
  .regex(/^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/, "not a DICOM UID (digits and dots)");

/** A comma-separated list in a query string (`modality=CT,MR`), or the parameter repeated. */
export function listParam<T extends z.ZodType>(item: T) {
  return z.preprocess((value) => {
    const values = Array.isArray(value) ? value : value === undefined ? undefined : [value];
    return values
      ?.flatMap((v) => String(v).split(","))
      .map((v) => v.trim())
      .filter((v) => v !== "");
  }, z.array(item).optional());
}

/** A query string parameter that must appear at most once (fastify makes a repeated one an array). */
export function single<T extends z.ZodType>(schema: T) {
  return z.preprocess((value, ctx) => {
    if (!Array.isArray(value)) return value;
    ctx.addIssue({ code: "custom", message: "given more than once" });
    return z.NEVER;
  }, schema);
}

export const limit = (max: number, fallback: number) =>
  single(z.coerce.number().int().min(1).max(max).default(fallback)).describe(
    `At most this many rows (1–${max}, default ${fallback})`,
  );

export const offset = single(z.coerce.number().int().min(0).default(0)).describe("Rows to skip, for paging");

/** YYYY-MM-DD or YYYYMMDD → YYYYMMDD. */
export const dicomDate = z
  .string()
  .regex(/^\d{4}-?\d{2}-?\d{2}$/, "expected a date as YYYY-MM-DD or YYYYMMDD")
  .transform((text) => text.replaceAll("-", ""));

// ---------------------------------------------------------------------------------------------------------
// Setup, login, the signed-in user, accounts (web/auth/routes.ts).

const username = z.string().min(1).max(64).refine(isValidUsername, USERNAME_RULE);
const role = z.enum(ROLES);

export const loginBody = z.strictObject({
  username: z.string().min(1).max(256),
  password: z.string().min(1).max(PASSWORD_MAX),
});
export const setupBody = z.strictObject({ username, password: z.string().max(PASSWORD_MAX) });
export const createUserBody = z.strictObject({ username, password: z.string().max(PASSWORD_MAX), role });
export const updateUserBody = z
  .strictObject({
    role: role.optional(),
    disabled: z.boolean().optional(),
    password: z.string().max(PASSWORD_MAX).optional(),
  })
  .refine((body) => Object.keys(body).length > 0, "name at least one of role, disabled, password");
export const changePasswordBody = z.strictObject({
  currentPassword: z.string().min(1).max(PASSWORD_MAX),
  newPassword: z.string().max(PASSWORD_MAX),
});

export const userSchema = z.object({
  name: z.string(),
  role,
  disabled: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
  passwordChangedAt: z.string(),
  lastLoginAt: z.string().nullable(),
  /** Present while failed logins hold the name locked. */
  lockedUntil: z.string().optional(),
});
export const sessionResponse = z.object({
  /** The session token: send it as `Authorization: Bearer …` (browsers get it as the cookie too). */
  token: z.string(),
  user: z.object({ name: z.string(), role }),
  /** When the session ends unless used again (or at its absolute limit). */
  expiresAt: z.string(),
});
export const setupState = z.object({
  setupRequired: z.boolean(),
  passwordMinLength: z.number(),
  usernameRule: z.string(),
});
export const meResponse = z.object({
  name: z.string(),
  role,
  via: z.enum(["session", "token", "launch-secret"]),
  permissions: z.array(z.string()),
  expiresAt: z.string().optional(),
});

// ---------------------------------------------------------------------------------------------------------
// The study list and reading status (web/api/studies.ts).

const text = (description: string) => single(z.string().max(256)).optional().describe(description);

export const studyListQuery = z.strictObject({
  q: text(
    "Search box: the start of any patient name component (case and accents ignored), or the start of the " +
      "patient ID or accession number",
  ),
  patientName: text(
    "Patient name: the start of the family name or any other name component, case and accents ignored; " +
      "with `*` or `?`, a DICOM wildcard pattern over the whole name (`SMITH^J*`)",
  ),
  patientId: text("Patient ID, exact or with `*`/`?` wildcards"),
  accessionNumber: text("Accession number, exact or with `*`/`?` wildcards"),
  studyInstanceUid: single(uid).optional().describe("One study"),
  from: single(dicomDate).optional().describe("Study date on or after (YYYY-MM-DD)"),
  to: single(dicomDate).optional().describe("Study date on or before (YYYY-MM-DD)"),
  modality: listParam(z.string().regex(/^[A-Z0-9]{1,16}$/, "not a modality code (CT, MR, …)")).describe(
    "Studies with a series of any of these modalities (comma-separated)",
  ),
  description: text("Words in the study description (case ignored)"),
  status: listParam(z.enum(READING_STATUSES)).describe("Reading status, any of (comma-separated)"),
  priority: listParam(z.enum(PRIORITIES)).describe("Priority, any of (comma-separated)"),
  sort: single(z.enum(STUDY_SORT_KEYS).default("studyDate")).describe("Sort key (default studyDate)"),
  order: single(z.enum(["asc", "desc"]).default("desc")).describe("Sort order (default desc: newest first)"),
  limit: limit(1000, 100),
  offset,
});

export const studyRow = z.object({
  studyInstanceUid: z.string(),
  patientName: z.string().nullable().describe("DICOM PN: Family^Given^Middle^Prefix^Suffix, as stored"),
  patientId: z.string(),
  patientBirthDate: z.string().nullable().describe("YYYY-MM-DD"),
  patientSex: z.string().nullable(),
  studyDate: z.string().nullable().describe("YYYY-MM-DD"),
  studyTime: z.string().nullable().describe("HH:MM:SS"),
  studyDescription: z.string().nullable(),
  accessionNumber: z.string().nullable(),
  referringPhysicianName: z.string().nullable(),
  modalities: z.array(z.string()),
  numberOfSeries: z.number().int(),
  numberOfInstances: z.number().int(),
  status: z.enum(READING_STATUSES),
  priority: z.enum(PRIORITIES),
  statusChangedAt: z.string().nullable().describe("ISO 8601; null when never set"),
  statusChangedBy: z.string().nullable().describe("The user who last changed status or priority"),
});

export const studyList = z.object({
  total: z.number().int().describe("Studies matching the filters, ignoring limit and offset"),
  limit: z.number().int(),
  offset: z.number().int(),
  studies: z.array(studyRow),
});

export const statusBody = z.strictObject({
  status: z.enum(READING_STATUSES),
  priority: z.enum(PRIORITIES).optional().describe("Unchanged when absent"),
});

export const readingState = z.object({
  studyInstanceUid: z.string(),
  status: z.enum(READING_STATUSES),
  priority: z.enum(PRIORITIES),
  changedAt: z.string().nullable(),
  changedBy: z.string().nullable(),
});

// ---------------------------------------------------------------------------------------------------------
// Errors (web/problem.ts).

/** RFC 9457 problem details, as every failing /api and /dicom-web route answers. */
export const problemDetails = z.looseObject({
  type: z.string().optional(),
  title: z.string().optional(),
  status: z.number().int().optional(),
  detail: z.string().optional(),
  /** 400: each invalid field and what is wrong with it. */
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  /** 429 and 503: when to try again. */
  retryAfterSeconds: z.number().optional(),
});
