import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { auditAccess } from "../web/audit.js";
import type { WebContext } from "../web/context.js";
import { type ApiDocs, apiRoute } from "../web/openapi.js";
import { HttpProblem } from "../web/problem.js";
import type { Router } from "./router.js";

const counts = z.object({
  queued: z.number().int(),
  sending: z.number().int(),
  delivered: z.number().int(),
  dead: z.number().int(),
  cancelled: z.number().int(),
});
const destinationStatus = z.object({
  name: z.string(),
  type: z.enum(["dimse", "dicomweb", "group"]),
  paused: z.boolean(),
  counts,
  deliveredLastMinute: z.number().int(),
  meanLatencyMs: z.number().nullable().describe("Mean time from queueing to delivery over the last minute"),
  lastError: z.string().nullable(),
  lastErrorAt: z.string().nullable(),
});
const job = z.object({
  id: z.number().int(),
  sopInstanceUid: z.string(),
  studyInstanceUid: z.string(),
  rule: z.string().describe("The rule that sent it"),
  destination: z.string(),
  member: z.string().nullable().describe("The group member that took it"),
  transferSyntax: z.string().nullable().describe("Asked for; null keeps the stored syntax"),
  state: z.enum(["queued", "sending", "delivered", "dead", "cancelled"]),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  sentAs: z.string().nullable(),
  createdAt: z.number().int(),
  deliveredAt: z.number().int().nullable(),
});
const loose = z.record(z.string(), z.unknown());
const actionResult = z.object({ destination: z.string(), action: z.string(), jobs: z.number().int() });

/**
 * The router's part of the app API: queue metrics per destination, the dead-letter list, manual
 * retry/cancel/pause, the rules, and "explain" — which rule sent an instance where, and how it went.
 */
export function registerRouterRoutes(app: FastifyInstance, ctx: WebContext, docs: ApiDocs): void {
  const router = ctx.router;
  if (!router) return;
  const tags = ["router"];

  apiRoute(
    app,
    docs,
    {
      method: "GET",
      url: "/api/router",
      operationId: "getRouter",
      summary: "Routing queues per destination",
      tags,
      access: { permission: "config:read" },
      responses: {
        200: {
          description: "Per destination",
          schema: z.object({ destinations: z.array(destinationStatus) }),
        },
      },
    },
    async () => ({ destinations: router.status() }),
  );

  apiRoute(
    app,
    docs,
    {
      method: "GET",
      url: "/api/router/rules",
      operationId: "getRouterRules",
      summary: "Routing destinations (secrets hidden), rules and retry policy",
      tags,
      access: { permission: "config:read" },
      responses: { 200: { description: "The routing configuration", schema: loose } },
    },
    async () => ({
      destinations: ctx.config.router.destinations.map((d) =>
        d.type === "dicomweb" && d.auth ? { ...d, auth: "[redacted]" } : d,
      ),
      rules: ctx.config.router.rules,
      retry: ctx.config.router.retry,
    }),
  );

  apiRoute(
    app,
    docs,
    {
      method: "GET",
      url: "/api/router/dead-letter",
      operationId: "listDeadLetters",
      summary: "Jobs that used up their attempts, newest first, with the last error",
      tags,
      access: { permission: "config:read" },
      query: z.object({
        destination: z.string().optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
        offset: z.coerce.number().int().min(0).default(0),
      }),
      responses: { 200: { description: "Dead jobs", schema: z.object({ jobs: z.array(job) }) } },
    },
    async ({ query }) => ({ jobs: router.queue.deadLetters(query.limit, query.offset, query.destination) }),
  );

  apiRoute(
    app,
    docs,
    {
      method: "GET",
      url: "/api/router/explain",
      operationId: "explainRouting",
      summary: "Which rule sent an instance where, and how each copy went",
      tags,
      access: { permission: "studies:read" },
      query: z.object({ sopInstanceUid: z.string().regex(/^[0-9.]{1,64}$/, "a UID") }),
      responses: {
        200: {
          description: "Its jobs",
          schema: z.object({ sopInstanceUid: z.string(), jobs: z.array(job) }),
        },
      },
    },
    async ({ query }, request) => {
      const jobs = router.explain(query.sopInstanceUid);
      auditAccess(ctx, request, {
        action: "router-explain",
        sopInstanceUid: query.sopInstanceUid,
        studyUid: jobs[0]?.studyInstanceUid,
      });
      return { sopInstanceUid: query.sopInstanceUid, jobs };
    },
  );

  for (const action of ["pause", "resume", "retry", "cancel"] as const) {
    apiRoute(
      app,
      docs,
      {
        method: "POST",
        url: `/api/router/destinations/:name/${action}`,
        operationId: `${action}Destination`,
        summary: DESTINATION_ACTIONS[action],
        tags,
        access: { permission: "config:write" },
        params: z.object({ name: z.string() }),
        responses: { 200: { description: "Done", schema: actionResult } },
      },
      async ({ params }, request) => destinationAction(ctx, router, params.name, action, request),
    );
  }

  for (const action of ["retry", "cancel"] as const) {
    apiRoute(
      app,
      docs,
      {
        method: "POST",
        url: `/api/router/jobs/:id/${action}`,
        operationId: `${action}Job`,
        summary: action === "retry" ? "Queue a dead or cancelled job again" : "Cancel a queued job",
        tags,
        access: { permission: "config:write" },
        params: z.object({ id: z.coerce.number().int().positive() }),
        responses: {
          200: { description: "Done", schema: z.object({ job: z.number().int(), action: z.string() }) },
        },
      },
      async ({ params }, request) => {
        const now = Date.now();
        const affected =
          action === "retry"
            ? router.queue.retry({ id: params.id }, now)
            : router.queue.cancel({ id: params.id }, now);
        if (affected === 0)
          throw new HttpProblem(409, "Conflict", `job ${params.id} is not in a state that allows ${action}`);
        router.kickAll();
        auditAccess(ctx, request, { action: `router-job-${action}`, detail: { job: params.id } });
        return { job: params.id, action };
      },
    );
  }
}

const DESTINATION_ACTIONS = {
  pause: "Stop deliveries to a destination (jobs keep queueing)",
  resume: "Restart deliveries to a destination",
  retry: "Queue a destination's dead and cancelled jobs again",
  cancel: "Cancel a destination's queued jobs",
} as const;

function destinationAction(
  ctx: WebContext,
  router: Router,
  name: string,
  action: keyof typeof DESTINATION_ACTIONS,
  request: Parameters<typeof auditAccess>[1],
) {
  try {
    router.requireDestination(name);
  } catch {
    throw new HttpProblem(404, "Not Found", `no destination ${name}`);
  }
  const now = Date.now();
  let jobs = 0;
  if (action === "pause" || action === "resume") router.pause(name, action === "pause");
  if (action === "retry") jobs = router.queue.retry({ destination: name }, now);
  if (action === "cancel") jobs = router.queue.cancel({ destination: name }, now);
  router.kickAll();
  auditAccess(ctx, request, { action: `router-${action}`, detail: { destination: name, jobs } });
  return { destination: name, action, jobs };
}
