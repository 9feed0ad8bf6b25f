import type { FastifyReply, FastifyRequest, preHandlerHookHandler } from "fastify";
import { HttpProblem } from "../problem.js";
import { type Permission, roleAllows } from "./permissions.js";

/** A route's preHandler: 401 without credentials, 403 when the role lacks the permission. */
export function requirePermission(permission: Permission): preHandlerHookHandler {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const principal = request.principal;
    if (!principal) {
      throw new HttpProblem(401, "Unauthorized", "log in, or send a bearer token");
    }
    if (!roleAllows(principal.role, permission)) {
      throw new HttpProblem(403, "Forbidden", `role ${principal.role} may not ${permission}`);
    }
  };
}

/** A route for any signed-in principal, whatever its role (its own account). 401 without credentials. */
export function requireAuthenticated(): preHandlerHookHandler {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    if (!request.principal) {
      throw new HttpProblem(401, "Unauthorized", "log in, or send a bearer token");
    }
  };
}
