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

/**
 * When the last row of each (user, address, action, study) was written: an access within `windowMs` of it
 * is covered by that row. Insertion order is time order, so expired keys are dropped from the front; past
 * `maxKeys` the oldest are dropped early (which only writes more rows, never fewer).
 */
export class AccessCoalescer {
  private readonly written = new Map<string, number>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 10_000,
  ) {}

  /** Whether an access under `key` gets a row of its own now (it then opens a new window). */
  admit(key: string, windowMs: number): boolean {
    const now = this.now();
    const last = this.written.get(key);
    // A clock set back opens a new window rather than extending the old one.
    if (last !== undefined && now >= last && now - last < windowMs) return false;
    this.written.delete(key);
    this.written.set(key, now);
    for (const [oldest, time] of this.written) {
      if (this.written.size <= this.maxKeys && now - time < windowMs && now >= time) break;
      this.written.delete(oldest);
    }
    return true;
  }

  /** Keys remembered now (for tests). */
  get size(): number {
    return this.written.size;
  }
}

const coalescers = new WeakMap<WebContext, AccessCoalescer>();

function coalescerOf(ctx: WebContext): AccessCoalescer {
  let coalescer = coalescers.get(ctx);
  if (!coalescer) {
    coalescer = new AccessCoalescer();
    coalescers.set(ctx, coalescer);
  }
  return coalescer;
}

/**
 * auditAccess for the requests a viewer makes by the hundred for one study (a frame, an instance's pixel
 * data): one row per user, address, action and study every `dicomWeb.auditWindowSeconds` (60 by default),
 * written by the first request of the window, which stands for the rest of it and says so
 * (`detail.auditWindowSeconds`). A failure, an access outside a study, or a window of 0 is a row of its
 * own, as with auditAccess.
 */
export function auditAccessCoalesced(ctx: WebContext, request: FastifyRequest, record: AccessRecord): void {
  const windowSeconds = ctx.config.dicomWeb.auditWindowSeconds;
  if (windowSeconds > 0 && (record.outcome ?? "success") === "success" && record.studyUid) {
    const principal = request.principal;
    const key = [
      principal?.name ?? "anonymous",
      principal?.via ?? "",
      request.ip,
      record.action,
      record.studyUid,
    ].join("\n");
    if (!coalescerOf(ctx).admit(key, windowSeconds * 1000)) return;
    record = { ...record, detail: { ...record.detail, auditWindowSeconds: windowSeconds } };
  }
  auditAccess(ctx, request, record);
}
