import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { WebContext } from "../context.js";
import { HttpProblem } from "../problem.js";
import { SESSION_COOKIE, readCookie } from "./cookies.js";
import type { Principal } from "./principal.js";
import { authService } from "./service.js";

export function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header?.startsWith("Bearer ")) return undefined;
  return header.slice("Bearer ".length).trim();
}

/** The session token a request carries: its bearer token, else its session cookie. */
export function sessionToken(
  request: FastifyRequest,
): { token: string; via: "token" | "session" } | undefined {
  const token = bearer(request);
  if (token) return { token, via: "token" };
  const cookie = readCookie(request, SESSION_COOKIE);
  return cookie ? { token: cookie, via: "session" } : undefined;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * A cookie-authenticated request that changes something must come from our own pages. SameSite=Strict
 * already keeps other sites' requests from carrying the cookie; this also refuses a browser's
 * cross-origin request (its Origin names another host) should the cookie ever travel with one.
 */
function crossOrigin(request: FastifyRequest): boolean {
  if (SAFE_METHODS.has(request.method)) return false;
  const origin = request.headers.origin;
  if (origin === undefined) return false;
  try {
    return new URL(origin).host !== request.headers.host;
  } catch {
    return true;
  }
}

/**
 * Resolves each request's principal before routing: the desktop app's per-launch secret
 * (`http.launchSecret`, sent as a bearer token, stands for the workstation's own user, role admin),
 * else a login session's token sent as a bearer token (API clients) or as the session cookie
 * (browsers). A request with neither, or with a token that is unknown or has expired, stays anonymous
 * and the routes' guards answer 401.
 */
export function installAuthentication(app: FastifyInstance, ctx: WebContext): void {
  app.decorateRequest("principal", undefined);
  app.addHook("onRequest", async (request) => {
    const presented = sessionToken(request);
    if (!presented) return;
    const secret = ctx.config.http.launchSecret;
    if (presented.via === "token" && secret && sameSecret(presented.token, secret)) {
      request.principal = { name: "desktop", role: "admin", via: "launch-secret" } satisfies Principal;
      return;
    }
    const session = authService(ctx).sessions.resolve(presented.token);
    if (!session) return;
    if (presented.via === "session" && crossOrigin(request)) {
      throw new HttpProblem(403, "Forbidden", "a cross-origin request may not use the session cookie");
    }
    request.principal = {
      name: session.user.name,
      role: session.user.role,
      via: presented.via,
      expiresAt: session.expiresAt,
    } satisfies Principal;
  });
}
