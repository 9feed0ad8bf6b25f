/** `GET /api/audit`: the audit log, newest first, filtered and paged. */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { auditAccess } from "../audit.js";
import type { WebContext } from "../context.js";
import { type ApiDocs, apiRoute } from "../openapi.js";
import { limit, offset, single, uid } from "./common.js";

const time = z.iso.datetime({
  offset: true,
  message: "expected an ISO 8601 date-time (2024-03-01T10:00:00Z)",
});

export const auditQuery = z.strictObject({
  from: single(time).optional().describe("On or after this time (ISO 8601)"),
  to: single(time).optional().describe("Before this time (ISO 8601)"),
  actor: single(z.string().min(1).max(256)).optional().describe("A user name, AE title or system component"),
  action: single(z.string().min(1).max(64))
    .optional()
    .describe("e.g. store, study-list, study-status, config-write, login, launch"),
  studyUid: single(uid).optional().describe("Entries about this study"),
  limit: limit(1000, 100),
  offset,
});

export const auditEntry = z.object({
  id: z.number().int(),
  time: z.string().describe("ISO 8601, UTC"),
  actorType: z.enum(["ae", "user", "system"]),
  actor: z.string(),
  action: z.string(),
  outcome: z.enum(["success", "failure"]),
  studyUid: z.string().nullable(),
  seriesUid: z.string().nullable(),
  sopInstanceUid: z.string().nullable(),
  detail: z.unknown().describe("Action-specific JSON (before/after for changes)"),
});

export const auditPage = z.object({
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  entries: z.array(auditEntry),
});

export function registerAudit(app: FastifyInstance, ctx: WebContext, docs: ApiDocs): void {
  apiRoute(
    app,
    docs,
    {
      method: "GET",
      url: "/api/audit",
      operationId: "queryAudit",
      summary: "Query the audit log (newest first)",
      description: "Reading the log is itself audited (action `audit-query`).",
      tags: ["audit"],
      access: { permission: "audit:read" },
      query: auditQuery,
      responses: { 200: { description: "One page of entries", schema: auditPage } },
    },
    async ({ query }, request) => {
      const filter = {
        from: query.from,
        to: query.to,
        actor: query.actor,
        action: query.action,
        studyUid: query.studyUid,
      };
      const total = ctx.index.audit.count(filter);
      const entries = ctx.index.audit.query({ ...filter, limit: query.limit, offset: query.offset });
      auditAccess(ctx, request, {
        action: "audit-query",
        detail: { query: request.query, total, returned: entries.length },
      });
      return { total, limit: query.limit, offset: query.offset, entries };
    },
  );
}
