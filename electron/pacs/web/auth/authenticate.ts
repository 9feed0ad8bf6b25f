import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { WebContext } from "../context.js";
import type { Principal } from "./principal.js";

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header?.startsWith("Bearer ")) return undefined;
  return header.slice("Bearer ".length).trim();
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Resolves each request's principal before routing. The desktop app's per-launch secret
 * (`http.launchSecret`, sent as a bearer token) stands for the workstation's own user.
 */
export function installAuthentication(app: FastifyInstance, ctx: WebContext): void {
  app.decorateRequest("principal", undefined);
  app.addHook("onRequest", async (request) => {
    const token = bearer(request);
    const secret = ctx.config.http.launchSecret;
    if (token && secret && sameSecret(token, secret)) {
      request.principal = { name: "desktop", role: "admin", via: "launch-secret" } satisfies Principal;
    }
  });
}
