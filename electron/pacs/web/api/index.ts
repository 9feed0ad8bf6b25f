/**
 * The app's own HTTP surface: the JSON app API under /api (study list and reading status, audit log,
 * peers, configuration, the router's queues), its OpenAPI document (which also describes the auth routes and /api/status),
 * EMR launch (/launch), and the renderer at `/`. Registered with one call from server.ts, placed before the
 * other route modules so that the OpenAPI registry sees every /api route they add.
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { AUTH_ROUTES } from "../auth/routes.js";
import type { WebContext } from "../context.js";
import { registerLaunch } from "../launch.js";
import { ApiDocs, type RouteDoc, registerOpenApi } from "../openapi.js";
import { registerStatic, type StaticOptions } from "../static.js";
import { registerAudit } from "./audit.js";
import { registerConfig } from "./config.js";
import { registerMeasurements } from "./measurements.js";
import { registerStudies } from "./studies.js";
import { registerWorkflow } from "./workflow.js";
import { registerRouterRoutes } from "../../router/http.js";

const nodeStatus = z.object({
  version: z.string(),
  aeTitle: z.string(),
  startedAt: z.string(),
  dicom: z.object({
    host: z.string(),
    port: z.number().int(),
    tls: z.object({ host: z.string(), port: z.number().int() }).optional(),
    activeAssociations: z.number().int(),
  }),
  http: z.object({ url: z.string() }),
  archive: z.object({
    patients: z.number().int(),
    studies: z.number().int(),
    series: z.number().int(),
    instances: z.number().int(),
    bytes: z.number().int(),
  }),
  router: z
    .array(z.record(z.string(), z.unknown()))
    .describe("Per routing destination: queue and deliveries"),
});

/** The routes other modules register, described here from their own schemas. */
function externalRoutes(): RouteDoc[] {
  const auth = AUTH_ROUTES.map((route): RouteDoc => {
    const url = route.url.replace(/\{([A-Za-z0-9_]+)\}/g, ":$1");
    const names = [...url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
    return {
      method: route.method,
      url,
      operationId: `${route.method.toLowerCase()}${url
        .replace(/^\/api/, "")
        .split(/[/:.]/)
        .filter(Boolean)
        .map((part) => part[0]!.toUpperCase() + part.slice(1))
        .join("")}`,
      summary: route.summary,
      tags: ["auth"],
      access:
        route.permission === null
          ? "public"
          : route.permission === "authenticated"
            ? "authenticated"
            : { permission: route.permission },
      ...(names.length > 0
        ? { params: z.strictObject(Object.fromEntries(names.map((name) => [name, z.string()]))) }
        : {}),
      ...(route.body ? { body: route.body } : {}),
      responses: {
        [route.status]: {
          description: route.summary,
          ...(route.response ? { schema: route.response } : {}),
        },
      },
    };
  });
  const status: RouteDoc = {
    method: "GET",
    url: "/api/status",
    operationId: "getStatus",
    summary: "The node: version, AE title, listeners, archive counts, routing queues",
    tags: ["node"],
    access: "public",
    responses: { 200: { description: "Node status", schema: nodeStatus } },
  };
  return [status, ...auth];
}

export function registerAppRoutes(app: FastifyInstance, ctx: WebContext, options: StaticOptions = {}): void {
  const docs = new ApiDocs();
  docs.observe(app);
  for (const route of externalRoutes()) docs.add(route);
  registerOpenApi(app, ctx, docs);
  registerStudies(app, ctx, docs);
  registerMeasurements(app, ctx, docs);
  registerAudit(app, ctx, docs);
  registerConfig(app, ctx, docs);
  registerRouterRoutes(app, ctx, docs);
  registerWorkflow(app, ctx, docs);
  registerLaunch(app, ctx, docs);
  registerStatic(app, ctx, options);
}
