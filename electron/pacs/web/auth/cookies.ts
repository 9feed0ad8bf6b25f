import type { FastifyReply, FastifyRequest } from "fastify";

/** The session cookie's name. */
export const SESSION_COOKIE = "hilum_session";

/** The value of one cookie from the Cookie header (RFC 6265 syntax; the first one of that name wins). */
export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    if (eq < 0) continue;
    if (pair.slice(0, eq).trim() !== name) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    return value;
  }
  return undefined;
}

/**
 * HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it), Path=/, Secure when
 * the request came over HTTPS. No Max-Age: a browser session cookie, gone when the browser closes; the
 * server ends the session itself at its idle and absolute limits.
 */
function attributes(request: FastifyRequest): string {
  return `Path=/; HttpOnly; SameSite=Strict${request.protocol === "https" ? "; Secure" : ""}`;
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string): void {
  reply.header("set-cookie", `${SESSION_COOKIE}=${token}; ${attributes(request)}`);
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.header("set-cookie", `${SESSION_COOKIE}=; ${attributes(request)}; Max-Age=0`);
}
