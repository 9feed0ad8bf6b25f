import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { requirePermission } from "../web/auth/guard.js";
import { auditAccess } from "../web/audit.js";
import type { WebContext } from "../web/context.js";
import { HttpProblem } from "../web/problem.js";

const destinationParams = z.object({ name: z.string() });
const jobParams = z.object({ id: z.coerce.number().int().positive() });
const deadLetterQuery = z.object({
  destination: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
const explainQuery = z.object({ sopInstanceUid: z.string().regex(/^[0-9.]{1,64}$/, "a UID") });

function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new HttpProblem(
    400,
    "Bad Request",
    `${where} ${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`,
  );
}

/**
 * The router's part of the app API: queue metrics per destination, the dead-letter list, manual
 * retry/cancel/pause, the rules, and "explain" — which rule sent an instance where, and how it went.
 */
export function registerRouterRoutes(app: FastifyInstance, ctx: WebContext): void {
  const router = ctx.router;
  if (!router) return;
  const known = (name: string) => {
    try {
      router.requireDestination(name);
    } catch {
      throw new HttpProblem(404, "Not Found", `no destination ${name}`);
    }
  };

  app.get("/api/router", { preHandler: requirePermission("config:read") }, async () => ({
    destinations: router.status(),
  }));

  app.get("/api/router/rules", { preHandler: requirePermission("config:read") }, async () => ({
    destinations: ctx.config.router.destinations.map((d) =>
      d.type === "dicomweb" ? { ...d, auth: d.auth ? "(set)" : undefined } : d,
    ),
    rules: ctx.config.router.rules,
    retry: ctx.config.router.retry,
  }));

  app.get("/api/router/dead-letter", { preHandler: requirePermission("config:read") }, async (request) => {
    const query = parse(deadLetterQuery, request.query, "query");
    return { jobs: router.queue.deadLetters(query.limit, query.offset, query.destination) };
  });

  app.get("/api/router/explain", { preHandler: requirePermission("studies:read") }, async (request) => {
    const { sopInstanceUid } = parse(explainQuery, request.query, "query");
    const jobs = router.explain(sopInstanceUid);
    auditAccess(ctx, request, {
      action: "router-explain",
      sopInstanceUid,
      studyUid: jobs[0]?.studyInstanceUid,
    });
    return { sopInstanceUid, jobs };
  });

  for (const action of ["pause", "resume", "retry", "cancel"] as const) {
    app.post(
      `/api/router/destinations/:name/${action}`,
      { preHandler: requirePermission("config:write") },
      async (request) => {
        const { name } = parse(destinationParams, request.params, "path");
        known(name);
        const now = Date.now();
        let affected = 0;
        if (action === "pause" || action === "resume") router.pause(name, action === "pause");
        if (action === "retry") affected = router.queue.retry({ destination: name }, now);
        if (action === "cancel") affected = router.queue.cancel({ destination: name }, now);
        router.kickAll();
        auditAccess(ctx, request, {
          action: `router-${action}`,
          detail: { destination: name, jobs: affected },
        });
        return { destination: name, action, jobs: affected };
      },
    );
  }

  for (const action of ["retry", "cancel"] as const) {
    app.post(
      `/api/router/jobs/:id/${action}`,
      { preHandler: requirePermission("config:write") },
      async (request) => {
        const { id } = parse(jobParams, request.params, "path");
        const now = Date.now();
        const affected =
          action === "retry" ? router.queue.retry({ id }, now) : router.queue.cancel({ id }, now);
        if (affected === 0)
          throw new HttpProblem(409, "Conflict", `job ${id} is not in a state that allows ${action}`);
        router.kickAll();
        auditAccess(ctx, request, { action: `router-job-${action}`, detail: { job: id } });
        return { job: id, action };
      },
    );
  }
}
