/**
 * The viewer's study list with reading status (`GET /api/studies`) and status changes
 * (`PUT /api/studies/{studyUid}/status`).
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import {
  PRIORITIES,
  READING_STATUSES,
  ReadingWorklist,
  STUDY_SORT_KEYS,
  type StudyListRow,
} from "../../db/reading.js";
import { auditAccess } from "../audit.js";
import type { WebContext } from "../context.js";
import { type ApiDocs, apiRoute } from "../openapi.js";
import { HttpProblem } from "../problem.js";
import { dicomDate, isoDate, isoTime, limit, listParam, offset, single, uid } from "./common.js";

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

function rowJson(row: StudyListRow): z.infer<typeof studyRow> {
  return {
    ...row,
    patientBirthDate: isoDate(row.patientBirthDate),
    studyDate: isoDate(row.studyDate),
    studyTime: isoTime(row.studyTime),
  };
}

export function registerStudies(app: FastifyInstance, ctx: WebContext, docs: ApiDocs): void {
  const worklist = new ReadingWorklist(ctx.index.connection);

  apiRoute(
    app,
    docs,
    {
      method: "GET",
      url: "/api/studies",
      operationId: "listStudies",
      summary: "The study list, with reading status and priority",
      description: "Filters combine with AND. Each call is audited (action `study-list`).",
      tags: ["studies"],
      access: { permission: "studies:read" },
      query: studyListQuery,
      responses: { 200: { description: "One page of studies", schema: studyList } },
    },
    async ({ query }, request) => {
      const page = worklist.list({
        text: query.q,
        patientName: query.patientName,
        patientId: query.patientId,
        accessionNumber: query.accessionNumber,
        studyInstanceUid: query.studyInstanceUid,
        dateFrom: query.from,
        dateTo: query.to,
        modalities: query.modality,
        description: query.description,
        status: query.status,
        priority: query.priority,
        sort: query.sort,
        order: query.order,
        limit: query.limit,
        offset: query.offset,
      });
      auditAccess(ctx, request, {
        action: "study-list",
        detail: { query: request.query, total: page.total, returned: page.rows.length },
      });
      return { total: page.total, limit: query.limit, offset: query.offset, studies: page.rows.map(rowJson) };
    },
  );

  apiRoute(
    app,
    docs,
    {
      method: "PUT",
      url: "/api/studies/:studyUid/status",
      operationId: "setStudyStatus",
      summary: "Set a study's reading status (and priority)",
      description: "Audited (action `study-status`) with the values before and after.",
      tags: ["studies"],
      access: { permission: "studies:report" },
      params: z.strictObject({ studyUid: uid }),
      body: statusBody,
      responses: {
        200: { description: "The study's reading status now", schema: readingState },
        404: { description: "No such study in the archive" },
      },
    },
    async ({ params, body }, request) => {
      const by = request.principal?.name ?? "anonymous";
      return ctx.index.transaction(() => {
        if (!worklist.studyExists(params.studyUid)) {
          throw new HttpProblem(404, "Not Found", `no study ${params.studyUid} in the archive`);
        }
        const before = worklist.reading(params.studyUid);
        const after = worklist.setReading(params.studyUid, {
          status: body.status,
          priority: body.priority,
          by,
        });
        auditAccess(ctx, request, {
          action: "study-status",
          studyUid: params.studyUid,
          detail: {
            before: { status: before.status, priority: before.priority },
            after: { status: after.status, priority: after.priority },
          },
        });
        return after;
      });
    },
  );
}
