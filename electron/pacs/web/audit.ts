import type { FastifyRequest } from "fastify";
import type { WebContext } from "./context.js";

export interface AccessRecord {
  action: string;
  outcome?: "success" | "failure";
  studyUid?: string;
  seriesUid?: string;
  sopInstanceUid?: string;
  detail?: Record<string, unknown>;
}

/** Every PHI read and write over HTTP goes in the audit log with the user who made it. */
export function auditAccess(ctx: WebContext, request: FastifyRequest, record: AccessRecord): void {
  const principal = request.principal;
  ctx.index.audit.append({
    actorType: "user",
    actor: principal?.name ?? "anonymous",
    action: record.action,
    outcome: record.outcome ?? "success",
    studyUid: record.studyUid,
    seriesUid: record.seriesUid,
    sopInstanceUid: record.sopInstanceUid,
    detail: { ...record.detail, remoteAddress: request.ip, via: principal?.via },
  });
}
