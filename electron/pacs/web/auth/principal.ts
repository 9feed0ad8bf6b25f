import type { Role } from "./permissions.js";

/** Who is making a request, once authenticated: the audit log records `name`. */
export interface Principal {
  /** The user name, or "desktop" for the desktop app's per-launch secret. */
  name: string;
  role: Role;
  /** How the request proved it: a session cookie, a bearer token, or the per-launch secret. */
  via: "session" | "token" | "launch-secret";
  /** When a login session ends unless used again (absent for the per-launch secret). */
  expiresAt?: Date;
}

declare module "fastify" {
  interface FastifyRequest {
    /** Set by the authentication hook; undefined for anonymous requests. */
    principal?: Principal;
  }
}
