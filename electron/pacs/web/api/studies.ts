/**
 * The viewer's study list with reading status (`GET /api/studies`) and status changes
 * (`PUT /api/studies/{studyUid}/status`). The request and response schemas are shared with the renderer
 * (shared/api/schemas.ts).
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import {
  readingState,
  statusBody,
  studyList,
  studyListQuery,
  type studyRow,
} from "../../../../shared/api/schemas.js";
import { ReadingWorklist, type StudyListRow } from "../../db/reading.js";
import { auditAccess } from "../audit.js";
import type { WebContext } from "../context.js";
import { type ApiDocs, apiRoute } from "../openapi.js";
import { HttpProblem } from "../problem.js";
import { isoDate, isoTime, uid } from "./common.js";

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
