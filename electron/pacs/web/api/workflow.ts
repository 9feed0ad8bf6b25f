/**
 * The modality workflow in the app API (docs/workflow.md): the worklist (list, schedule, CSV import, status),
 * procedure steps (MPPS), storage commitments, and the QC queue with its corrections — correct a study to the
 * worklist, dismiss, merge two patients, split a study. Reads need `worklist:read`, changes `worklist:write`;
 * every change is audited with the user (corrections with before and after, by the workflow itself).
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import {
  commitmentList,
  correctionResult,
  csvImportResult,
  demographics,
  dismissBody,
  mergeBody,
  mppsList,
  qcList,
  qcQuery,
  scheduledProcedureBody,
  splitBody,
  worklistItem,
  worklistList,
  worklistQuery,
  worklistStatusBody,
} from "../../../../shared/api/workflow.js";
import { readWorklistCsv } from "../../workflow/csv.js";
import { CorrectionError } from "../../workflow/corrections.js";
import { RewriteError } from "../../workflow/rewrite-object.js";
import type { Workflow } from "../../workflow/workflow.js";
import { WorklistConflict } from "../../workflow/worklist.js";
import { auditAccess } from "../audit.js";
import type { WebContext } from "../context.js";
import { type ApiDocs, apiRoute } from "../openapi.js";
import { HttpProblem } from "../problem.js";
import { uid } from "./common.js";

const READ = { permission: "worklist:read" } as const;
const WRITE = { permission: "worklist:write" } as const;
const TAGS = ["workflow"];
const idParams = z.strictObject({ id: z.coerce.number().int().min(1) });

function actor(request: FastifyRequest): string {
  return request.principal?.name ?? "anonymous";
}

/** A correction's own errors as problems: 404 unknown, 409 not possible, 422 an object that cannot be rewritten. */
async function correcting<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof CorrectionError)
      throw new HttpProblem(err.status, err.status === 404 ? "Not Found" : "Conflict", err.message);
    if (err instanceof RewriteError) throw new HttpProblem(422, "Unprocessable Content", err.message);
    throw err;
  }
}

export function registerWorkflow(app: FastifyInstance, ctx: WebContext, docs: ApiDocs): void {
  const workflow: Workflow | undefined = ctx.workflow;
  if (!workflow) return;
  const { worklist, corrections } = workflow;

  apiRoute(
    app,
    docs,
    {
      method: "GET",
      url: "/api/worklist",
      operationId: "listWorklist",
      summary: "Scheduled procedures, newest date first",
      description: "Audited (action `worklist-list`).",
      tags: TAGS,
      access: READ,
      query: worklistQuery,
      responses: { 200: { description: "The procedures", schema: worklistList } },
    },
    async ({ query }, request) => {
      const items = worklist.list(query);
      auditAccess(ctx, request, { action: "worklist-list", detail: { ...query, count: items.length } });
      return { items };
    },
  );

  apiRoute(
    app,
    docs,
    {
      method: "POST",
      url: "/api/worklist",
      operationId: "scheduleProcedure",
      summary: "Schedule a procedure (a worklist entry modalities will see)",
      description:
        "Hilum makes the Study Instance UID unless one is given. Audited (action `worklist-create`).",
      tags: TAGS,
      access: WRITE,
      body: scheduledProcedureBody,
      responses: {
        201: { description: "Scheduled", schema: worklistItem },
        409: {
          description: "The same accession, requested procedure and step (or Study Instance UID) exists",
        },
      },
    },
    async ({ body }, request, reply) => {
      let item;
      try {
        item = worklist.create(body, "api");
      } catch (err) {
        if (err instanceof WorklistConflict) throw new HttpProblem(409, "Conflict", err.message);
        throw err;
      }
      auditAccess(ctx, request, {
        action: "worklist-create",
        studyUid: item.studyInstanceUid,
        detail: { after: item },
      });
      reply.code(201);
      return item;
    },
  );

  apiRoute(
    app,
    docs,
    {
      method: "POST",
      url: "/api/worklist/import",
      operationId: "importWorklistCsv",
      summary: "Schedule procedures from CSV text",
      description:
        "`csv`: a header row of field names as in `POST /api/worklist`, then one procedure per row. Valid rows are " +
        "scheduled, invalid ones listed with their line. Audited (action `worklist-import`).",
      tags: TAGS,
      access: WRITE,
      body: z.strictObject({
        csv: z
          .string()
          .min(1)
          .max(4 * 1024 * 1024),
      }),
      responses: { 200: { description: "What was scheduled and what was not", schema: csvImportResult } },
    },
    async ({ body }, request) => {
      let rows;
      try {
        rows = readWorklistCsv(body.csv);
      } catch (err) {
        throw new HttpProblem(400, "Bad Request", `body.csv: ${(err as Error).message}`, {
          errors: [{ field: "body.csv", message: (err as Error).message }],
        });
      }
      const created = [];
      const errors: Array<{ line: number; message: string }> = [];
      for (const row of rows) {
        if (!row.body) {
          errors.push({ line: row.line, message: row.error ?? "invalid" });
          continue;
        }
        try {
          created.push(worklist.create(row.body, "csv"));
        } catch (err) {
          if (!(err instanceof WorklistConflict)) throw err;
          errors.push({ line: row.line, message: err.message });
        }
      }
      auditAccess(ctx, request, {
        action: "worklist-import",
        detail: { created: created.map((item) => item.id), errors },
      });
      return { created, errors };
    },
  );

  apiRoute(
    app,
    docs,
    {
      method: "PUT",
      url: "/api/worklist/:id/status",
      operationId: "setWorklistStatus",
      summary: "Set a procedure's status (cancel it, or mark it done by hand)",
      description: "Audited (action `worklist-status`) with the status before and after.",
      tags: TAGS,
      access: WRITE,
      params: idParams,
      body: worklistStatusBody,
      responses: {
        200: { description: "Changed", schema: worklistItem },
        404: { description: "No such procedure" },
      },
    },
    async ({ params, body }, request) => {
      const before = worklist.get(params.id);
      if (!before) throw new HttpProblem(404, "Not Found", `no worklist entry ${params.id}`);
      const after = worklist.setStatus(params.id, body.status)!;
      auditAccess(ctx, request, {
        action: "worklist-status",
        studyUid: after.studyInstanceUid,
        detail: { id: params.id, before: before.status, after: after.status },
      });
      return after;
    },
  );

  apiRoute(
    app,
    docs,
    {
      method: "GET",
      url: "/api/mpps",
      operationId: "listMpps",
      summary: "Performed procedure steps reported by modalities (MPPS), newest first",
      tags: TAGS,
      access: READ,
      responses: {
        200: { description: "The steps, with how many of their instances arrived", schema: mppsList },
      },
    },
    async (_input, request) => {
      const items = workflow.mpps.list();
      auditAccess(ctx, request, { action: "mpps-list", detail: { count: items.length } });
      return { items };
    },
  );

  apiRoute(
    app,
    docs,
    {
      method: "GET",
      url: "/api/commitments",
      operationId: "listStorageCommitments",
      summary: "Storage commitment requests and what was committed, newest first",
      tags: TAGS,
      access: READ,
      responses: {
        200: { description: "The transactions, failures with their reason", schema: commitmentList },
      },
    },
    async () => ({ items: workflow.commitment.list() }),
  );

  apiRoute(
    app,
    docs,
    {
      method: "GET",
      url: "/api/qc",
      operationId: "listQc",
      summary: "The QC queue: studies whose demographics disagree with the worklist",
      description: "Audited (action `qc-list`).",
      tags: TAGS,
      access: READ,
      query: qcQuery,
      responses: { 200: { description: "QC items, newest first", schema: qcList } },
    },
    async ({ query }, request) => {
      const items = corrections.listQc(query.state);
      auditAccess(ctx, request, { action: "qc-list", detail: { state: query.state, count: items.length } });
      return { items };
    },
  );

  apiRoute(
    app,
    docs,
    {
      method: "POST",
      url: "/api/qc/:id/correct",
      operationId: "correctQcStudy",
      summary: "Correct a QC item's study to the worklist's demographics (or to the ones given)",
      description:
        "Every object of the study is rewritten (new bytes, new checksum), the index follows, the old objects are " +
        "removed, and destinations that had received the study are sent the corrected copies. Audited (action " +
        "`qc-correct`) with before and after.",
      tags: TAGS,
      access: WRITE,
      params: idParams,
      body: z.strictObject({ demographics: demographics.optional() }).optional(),
      responses: {
        200: { description: "Corrected", schema: correctionResult },
        404: { description: "No open QC item with this id" },
        409: { description: "Its worklist entry is gone and no demographics were given" },
        422: {
          description: "An object cannot be rewritten (deflated, or a value its character set cannot hold)",
        },
      },
    },
    async ({ params, body }, request) =>
      correcting(() => corrections.correct(params.id, actor(request), body?.demographics)),
  );

  apiRoute(
    app,
    docs,
    {
      method: "POST",
      url: "/api/qc/:id/dismiss",
      operationId: "dismissQcItem",
      summary: "Close a QC item without changing the study (the study is right, the worklist was not)",
      description: "Audited (action `qc-dismiss`) with the reason.",
      tags: TAGS,
      access: WRITE,
      params: idParams,
      body: dismissBody,
      responses: { 204: { description: "Dismissed" }, 404: { description: "No open QC item with this id" } },
    },
    async ({ params, body }, request, reply) => {
      await correcting(async () => corrections.dismiss(params.id, actor(request), body.reason));
      reply.code(204);
      return reply.send();
    },
  );

  apiRoute(
    app,
    docs,
    {
      method: "POST",
      url: "/api/patients/merge",
      operationId: "mergePatients",
      summary: "Merge a patient into another: every study of `source` is rewritten under `target`",
      description: "Audited (action `qc-merge`) with before and after.",
      tags: TAGS,
      access: WRITE,
      body: mergeBody,
      responses: {
        200: { description: "Merged", schema: correctionResult },
        404: { description: "Either patient is unknown" },
        409: { description: "Source and target are the same patient" },
      },
    },
    async ({ body }, request) =>
      correcting(() => corrections.merge(body.source, body.target, actor(request))),
  );

  apiRoute(
    app,
    docs,
    {
      method: "POST",
      url: "/api/studies/:studyUid/split",
      operationId: "splitStudy",
      summary: "Move series of a study into a new study (optionally of another patient)",
      description: "Audited (action `qc-split`) with before and after.",
      tags: TAGS,
      access: WRITE,
      params: z.strictObject({ studyUid: uid }),
      body: splitBody,
      responses: {
        200: { description: "Split", schema: correctionResult },
        404: { description: "No such study, or a series not in it" },
        409: { description: "Every series was named: a split leaves at least one behind" },
      },
    },
    async ({ params, body }, request) =>
      correcting(() =>
        corrections.split(params.studyUid, body.seriesInstanceUids, actor(request), body.patient),
      ),
  );
}
