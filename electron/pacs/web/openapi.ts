/**
 * The OpenAPI 3.1 document of the app API, served at `GET /api/openapi.json`. It is generated from the
 * same zod schemas that validate the requests (`z.toJSONSchema`), never written twice: every /api route
 * is declared once with `ApiDocs.add` (the app API's own routes through `apiRoute`, which also registers
 * them) and the document lists what was declared. An `onRoute` hook sees every route fastify registers;
 * a /api route registered without a declaration is listed under `x-undocumented` (the tests require it
 * to be empty), and a declaration without a route is left out.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods, RouteOptions } from "fastify";
import { z } from "zod";
import { requireAuthenticated, requirePermission } from "./auth/guard.js";
import type { Permission } from "./auth/permissions.js";
import type { WebContext } from "./context.js";
import { HttpProblem } from "./problem.js";

export type ApiMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** Who may call a route: anyone, any signed-in principal, or a principal whose role has the permission. */
export type Access = { permission: Permission } | "authenticated" | "public";

export interface ResponseDoc {
  description: string;
  /** The body's schema (output side); none for an empty body. */
  schema?: z.ZodType;
  /** Default application/json. */
  contentType?: string;
  headers?: Record<string, string>;
}

export interface RouteDoc {
  method: ApiMethod;
  /** Fastify syntax: `/api/studies/:studyUid/status`. */
  url: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  access: Access;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Success responses, by status; the error responses that apply are added. */
  responses: Record<number, ResponseDoc>;
}

const PROBLEM = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    errors: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .describe("For 400: each invalid field (query.limit, body.dicom.port, …) and what is wrong with it"),
  })
  .describe("RFC 9457 problem details");

function jsonSchema(schema: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  const out = z.toJSONSchema(schema, { io, unrepresentable: "any", target: "draft-2020-12" }) as Record<
    string,
    unknown
  >;
  delete out.$schema;
  return out;
}

function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
}

function routeKey(method: string, url: string): string {
  return `${method.toUpperCase()} ${url}`;
}

/** Zod's "optional" means the parser accepts undefined (optional, or with a default). */
function isRequired(schema: z.ZodType): boolean {
  return !schema.safeParse(undefined).success;
}

function parameters(schema: z.ZodObject | undefined, where: "path" | "query"): unknown[] {
  if (!schema) return [];
  return Object.entries(schema.shape).map(([name, field]) => {
    const fieldSchema = jsonSchema(field as z.ZodType, "input");
    const { description, ...rest } = fieldSchema;
    return {
      name,
      in: where,
      required: where === "path" || isRequired(field as z.ZodType),
      ...(description ? { description } : {}),
      schema: rest,
      ...(rest.type === "array" ? { style: "form", explode: false } : {}),
    };
  });
}

const PROBLEM_CONTENT = { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } };

function operation(doc: RouteDoc): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(doc.responses)) {
    responses[status] = {
      description: response.description,
      ...(response.headers
        ? {
            headers: Object.fromEntries(
              Object.entries(response.headers).map(([name, description]) => [
                name,
                { description, schema: { type: "string" } },
              ]),
            ),
          }
        : {}),
      ...(!response.schema && Number(status) >= 400 ? { content: PROBLEM_CONTENT } : {}),
      ...(response.schema
        ? {
            content: {
              [response.contentType ?? "application/json"]: { schema: jsonSchema(response.schema, "output") },
            },
          }
        : {}),
    };
  }
  const problem = (description: string) => ({ description, content: PROBLEM_CONTENT });
  if ((doc.params || doc.query || doc.body) && !responses["400"]) {
    responses["400"] = problem("Invalid input; `errors` names each bad field");
  }
  if (doc.access !== "public") {
    responses["401"] ??= problem("No credentials, or expired ones");
  }
  if (typeof doc.access === "object") {
    responses["403"] ??= problem(`The role lacks the permission \`${doc.access.permission}\``);
  }
  const access =
    doc.access === "public"
      ? "Open to anyone."
      : doc.access === "authenticated"
        ? "Any signed-in user."
        : `Permission: \`${doc.access.permission}\`.`;
  return {
    operationId: doc.operationId,
    summary: doc.summary,
    description: [doc.description, access].filter(Boolean).join("\n\n"),
    tags: doc.tags,
    ...(doc.access === "public" ? { security: [] } : {}),
    ...(typeof doc.access === "object" ? { "x-permission": doc.access.permission } : {}),
    parameters: [...parameters(doc.params, "path"), ...parameters(doc.query, "query")],
    ...(doc.body
      ? {
          requestBody: {
            required: isRequired(doc.body),
            content: { "application/json": { schema: jsonSchema(doc.body, "input") } },
          },
        }
      : {}),
    responses,
  };
}

export interface OpenApiInfo {
  version: string;
}

/** The declared /api routes of one fastify app, and the routes fastify actually registered. */
export class ApiDocs {
  private readonly docs = new Map<string, RouteDoc>();
  private readonly registered = new Set<string>();

  /** Starts watching registrations; call before any /api route is registered. */
  observe(app: FastifyInstance): void {
    app.addHook("onRoute", (route: RouteOptions) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const method of methods as HTTPMethods[]) {
        if (method === "HEAD" || method === "OPTIONS") continue;
        if (route.url === "/api" || route.url.startsWith("/api/"))
          this.registered.add(routeKey(method, route.url));
      }
    });
  }

  add(doc: RouteDoc): void {
    this.docs.set(routeKey(doc.method, doc.url), doc);
  }

  /** Registered /api routes with no declaration, as "METHOD /url". */
  undocumented(): string[] {
    return [...this.registered].filter((key) => !this.docs.has(key)).sort();
  }

  document(info: OpenApiInfo): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    const docs = [...this.docs.entries()]
      .filter(([key, doc]) => this.registered.has(key) || !doc.url.startsWith("/api"))
      .sort(([a], [b]) => a.localeCompare(b));
    for (const [, doc] of docs) {
      const path = (paths[openApiPath(doc.url)] ??= {});
      path[doc.method.toLowerCase()] = operation(doc);
    }
    return {
      openapi: "3.1.0",
      info: {
        title: "Hilum app API",
        version: info.version,
        description:
          "The JSON API of a Hilum node: study list and reading status, audit log, peers, configuration, " +
          "users and sessions. Images travel over DICOMweb (PS3.18) under /dicom-web, which is not described " +
          "here. Errors are application/problem+json (RFC 9457).",
      },
      jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
      servers: [{ url: "/" }],
      security: [{ bearerToken: [] }, { sessionCookie: [] }],
      components: {
        schemas: { Problem: jsonSchema(PROBLEM, "output") },
        securitySchemes: {
          bearerToken: {
            type: "http",
            scheme: "bearer",
            description: "A session token from POST /api/login, or the desktop app's per-launch secret",
          },
          sessionCookie: {
            type: "apiKey",
            in: "cookie",
            name: "hilum_session",
            description: "The HttpOnly session cookie POST /api/login sets",
          },
        },
      },
      tags: [
        { name: "studies", description: "The study list and reading status" },
        { name: "audit", description: "The append-only audit log" },
        { name: "configuration", description: "Peers and the node's configuration" },
        { name: "auth", description: "First-run setup, login, sessions and user accounts" },
        { name: "node", description: "The node itself" },
        { name: "launch", description: "EMR launch by signed URL" },
        { name: "router", description: "Routing queues, dead letters and rules" },
      ],
      paths,
      ...(this.undocumented().length > 0 ? { "x-undocumented": this.undocumented() } : {}),
    };
  }
}

/** 400 naming each invalid field: `query.limit: Too small: expected number to be >=1`. */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const errors = parsed.error.issues.flatMap((issue) => {
    const base = [where, ...issue.path.map(String)].join(".");
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({ field: `${base}.${key}`, message: "unknown field" }));
    }
    return [{ field: base, message: issue.message }];
  });
  throw new HttpProblem(
    400,
    "Bad Request",
    errors.map((error) => `${error.field}: ${error.message}`).join("; "),
    { errors },
  );
}

export interface ParsedInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

/**
 * Declares and registers one route: its permission guard, its inputs parsed with the zod schemas (400 on
 * failure), and its OpenAPI entry.
 */
export function apiRoute<
  P extends z.ZodObject | undefined = undefined,
  Q extends z.ZodObject | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(
  app: FastifyInstance,
  docs: ApiDocs,
  doc: RouteDoc & { params?: P; query?: Q; body?: B },
  handler: (
    input: ParsedInput<Out<P>, Out<Q>, Out<B>>,
    request: FastifyRequest,
    reply: FastifyReply,
  ) => Promise<unknown>,
): void {
  docs.add(doc);
  const guard =
    doc.access === "public"
      ? []
      : doc.access === "authenticated"
        ? [requireAuthenticated()]
        : [requirePermission(doc.access.permission)];
  app.route({
    method: doc.method,
    url: doc.url,
    preHandler: guard,
    handler: async (request, reply) => {
      const input = {
        params: (doc.params ? parseInput(doc.params, request.params, "path") : undefined) as Out<P>,
        query: (doc.query ? parseInput(doc.query, request.query, "query") : undefined) as Out<Q>,
        body: (doc.body ? parseInput(doc.body, request.body, "body") : undefined) as Out<B>,
      };
      return handler(input, request, reply);
    },
  });
}

/** `GET /api/openapi.json`: public, as API descriptions usually are (it holds no data). */
export function registerOpenApi(app: FastifyInstance, ctx: WebContext, docs: ApiDocs): void {
  docs.add({
    method: "GET",
    url: "/api/openapi.json",
    operationId: "getOpenApi",
    summary: "This OpenAPI 3.1 document",
    tags: ["node"],
    access: "public",
    responses: { 200: { description: "The OpenAPI document", schema: z.record(z.string(), z.unknown()) } },
  });
  let cached: Record<string, unknown> | undefined;
  // Built on first use, when every route is registered; the version is the node's own.
  app.get("/api/openapi.json", async () => (cached ??= docs.document({ version: ctx.status().version })));
}
