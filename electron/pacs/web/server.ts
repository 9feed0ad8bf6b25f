import Fastify from "fastify";
import type { Logger } from "../core/logger.js";
import type { NodeStatus } from "../node-status.js";

export interface WebServerOptions {
  port: number;
  host: string;
  log: Logger;
  status: () => NodeStatus;
}

/** The node's HTTP face. For now: health and status; DICOMweb and the app API join it later. */
export async function startWebServer(options: WebServerOptions) {
  // Requests are not logged one by one; warnings and errors are.
  const app = Fastify({ loggerInstance: options.log.child({ component: "http" }, { level: "warn" }) });
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/api/status", async () => options.status());
  const url = await app.listen({ port: options.port, host: options.host });
  return { app, url };
}
