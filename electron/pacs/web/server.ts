import type { TlsOptions } from "node:tls";
import Fastify, { type FastifyBaseLogger } from "fastify";
import { registerAppRoutes } from "./api/index.js";
import { installAuthentication } from "./auth/authenticate.js";
import { registerAuthRoutes } from "./auth/routes.js";
import type { WebContext } from "./context.js";
import { registerFrames } from "./dicomweb/frames.js";
import { registerQueryRetrieve } from "./dicomweb/query-retrieve.js";
import { registerStow } from "./dicomweb/stow.js";
import { installProblemHandlers } from "./problem.js";

export interface WebServerOptions {
  port: number;
  host: string;
  /** HTTPS with these (from `http.tls`, see `tls/contexts.ts`); plain HTTP without. */
  tls?: TlsOptions;
}

/** The node's HTTP face: health and status, and the route modules, all answering errors as problem+json. */
export async function startWebServer(ctx: WebContext, options: WebServerOptions) {
  // Requests are not logged one by one; warnings and errors are.
  const app = Fastify({
    loggerInstance: ctx.log.child({ component: "http" }, { level: "warn" }) as FastifyBaseLogger,
    bodyLimit: ctx.config.http.maxBodyMiB * 1024 * 1024,
    ...(options.tls ? { https: options.tls } : {}),
  });
  installProblemHandlers(app);
  installAuthentication(app, ctx);
  registerAppRoutes(app, ctx); // first: its OpenAPI registry watches the /api routes registered after it
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/api/status", async () => ctx.status());
  registerAuthRoutes(app, ctx);
  registerStow(app, ctx);
  registerQueryRetrieve(app, ctx);
  registerFrames(app, ctx);
  const url = await app.listen({ port: options.port, host: options.host });
  return { app, url };
}
