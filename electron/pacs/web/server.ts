import Fastify, { type FastifyBaseLogger } from "fastify";
import { installAuthentication } from "./auth/authenticate.js";
import type { WebContext } from "./context.js";
import { installProblemHandlers } from "./problem.js";

export interface WebServerOptions {
  port: number;
  host: string;
}

/** The node's HTTP face: health and status, and the route modules, all answering errors as problem+json. */
export async function startWebServer(ctx: WebContext, options: WebServerOptions) {
  // Requests are not logged one by one; warnings and errors are.
  const app = Fastify({
    loggerInstance: ctx.log.child({ component: "http" }, { level: "warn" }) as FastifyBaseLogger,
    bodyLimit: ctx.config.http.maxBodyMiB * 1024 * 1024,
  });
  installProblemHandlers(app);
  installAuthentication(app, ctx);
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/api/status", async () => ctx.status());
  const url = await app.listen({ port: options.port, host: options.host });
  return { app, url };
}
