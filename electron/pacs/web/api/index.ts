/**
 * The app's own HTTP surface: the JSON app API under /api (study list and reading status, audit log,
 * peers, configuration), its OpenAPI document (which also describes the auth routes and /api/status),
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
import { registerStudies } from "./studies.js";

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
  return [status, ...auth, ...routerRoutes()];
}

/**
 * The router's /api routes (router/http.ts). Its schemas are not exported, so they are restated here for
 * the document; when that module exports a route table like AUTH_ROUTES, describe it from that instead.
 */
function routerRoutes(): RouteDoc[] {
  const loose = z.record(z.string(), z.unknown());
  const route = (
    method: "GET" | "POST",
    url: string,
    operationId: string,
    summary: string,
    permission: "config:read" | "config:write" | "studies:read",
    extra: Partial<RouteDoc> = {},
  ): RouteDoc => {
    const names = [...url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
    return {
      method,
      url,
      operationId,
      summary,
      tags: ["router"],
      access: { permission },
      ...(names.length > 0
        ? { params: z.strictObject(Object.fromEntries(names.map((name) => [name, z.string()]))) }
        : {}),
      responses: { 200: { description: summary, schema: loose } },
      ...extra,
    };
  };
  const actions = (["pause", "resume", "retry", "cancel"] as const).map((action) =>
    route(
      "POST",
      `/api/router/destinations/:name/${action}`,
      `${action}Destination`,
      `${action[0]!.toUpperCase()}${action.slice(1)} a destination's queue`,
      "config:write",
      {
        responses: {
          200: { description: "Done", schema: loose },
          404: { description: "No such destination" },
        },
      },
    ),
  );
  const jobs = (["retry", "cancel"] as const).map((action) =>
    route(
      "POST",
      `/api/router/jobs/:id/${action}`,
      `${action}Job`,
      `${action} one routing job`,
      "config:write",
      {
        responses: {
          200: { description: "Done", schema: loose },
          409: { description: "The job is not in a state that allows it" },
        },
      },
    ),
  );
  return [
    route("GET", "/api/router", "getRouter", "Routing queues per destination", "config:read"),
    route(
      "GET",
      "/api/router/rules",
      "getRouterRules",
      "Routing destinations, rules and retry policy",
      "config:read",
    ),
    route(
      "GET",
      "/api/router/dead-letter",
      "listDeadLetters",
      "Jobs that gave up (the dead-letter list)",
      "config:read",
      {
        query: z.object({
          destination: z.string().optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
          offset: z.coerce.number().int().min(0).default(0),
        }),
      },
    ),
    route(
      "GET",
      "/api/router/explain",
      "explainRouting",
      "Which rule sent an instance where, and how it went",
      "studies:read",
      {
        query: z.object({ sopInstanceUid: z.string().regex(/^[0-9.]{1,64}$/) }),
      },
    ),
    ...actions,
    ...jobs,
  ];
}

export function registerAppRoutes(app: FastifyInstance, ctx: WebContext, options: StaticOptions = {}): void {
  const docs = new ApiDocs();
  docs.observe(app);
  for (const route of externalRoutes()) docs.add(route);
  registerOpenApi(app, ctx, docs);
  registerStudies(app, ctx, docs);
  registerAudit(app, ctx, docs);
  registerConfig(app, ctx, docs);
  registerLaunch(app, ctx, docs);
  registerStatic(app, ctx, options);
}
