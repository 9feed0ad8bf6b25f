/**
 * First-run setup, login, logout, the signed-in user, and the users API for admins.
 *
 * Public routes (no credentials needed): GET/POST /api/setup (POST only while no account exists),
 * POST /api/login, POST /api/logout. Everything else names its permission.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import {
  changePasswordBody,
  createUserBody,
  loginBody,
  meResponse,
  sessionResponse,
  setupBody,
  setupState,
  updateUserBody,
  userSchema,
} from "../../../../shared/api/schemas.js";
import { auditAccess } from "../audit.js";
import type { WebContext } from "../context.js";
import { HttpProblem } from "../problem.js";
import { sessionToken } from "./authenticate.js";
import { clearSessionCookie, setSessionCookie } from "./cookies.js";
import { requireAuthenticated, requirePermission } from "./guard.js";
import { dummyHash, hashPassword, needsRehash, PasswordHasherBusy, verifyPassword } from "./passwords.js";
import { type Permission, ROLE_PERMISSIONS } from "./permissions.js";
import { type AuthService, authService } from "./service.js";
import { retryAfterSeconds, type Lock } from "./throttle.js";
import {
  LastAdmin,
  SetupDone,
  UnknownUser,
  UserExists,
  USERNAME_RULE,
  usernameKey,
  type UserInfo,
  type UserRecord,
} from "./users.js";

// ---------------------------------------------------------------------------------------------------------
// Request and response shapes (also what the OpenAPI document describes: see AUTH_ROUTES) are shared with
// the renderer: shared/api/schemas.ts.

/** These routes take small JSON bodies: not the node's upload limit (`http.maxBodyMiB`), which is for STOW. */
const BODY_LIMIT = 16 * 1024;

export interface AuthRoute {
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  url: string;
  /** null: public; "authenticated": any signed-in principal. */
  permission: Permission | "authenticated" | null;
  summary: string;
  body?: z.ZodType;
  response?: z.ZodType;
  /** Status of success. */
  status: number;
}

/** Every route this module registers, for the OpenAPI document. */
export const AUTH_ROUTES: readonly AuthRoute[] = [
  {
    method: "GET",
    url: "/api/setup",
    permission: null,
    summary: "Whether first-run setup is needed",
    response: setupState,
    status: 200,
  },
  {
    method: "POST",
    url: "/api/setup",
    permission: null,
    summary: "Create the first admin (only while no account exists) and log in",
    body: setupBody,
    response: sessionResponse,
    status: 201,
  },
  {
    method: "POST",
    url: "/api/login",
    permission: null,
    summary: "Log in: a session token, also set as the session cookie",
    body: loginBody,
    response: sessionResponse,
    status: 200,
  },
  {
    method: "POST",
    url: "/api/logout",
    permission: null,
    summary: "End the session of the cookie or bearer token",
    status: 204,
  },
  {
    method: "GET",
    url: "/api/me",
    permission: "authenticated",
    summary: "The signed-in user and what the role may do",
    response: meResponse,
    status: 200,
  },
  {
    method: "PUT",
    url: "/api/me/password",
    permission: "authenticated",
    summary: "Change one's own password (ends the other sessions)",
    body: changePasswordBody,
    response: sessionResponse,
    status: 200,
  },
  {
    method: "GET",
    url: "/api/users",
    permission: "users:manage",
    summary: "List the accounts",
    response: z.array(userSchema),
    status: 200,
  },
  {
    method: "POST",
    url: "/api/users",
    permission: "users:manage",
    summary: "Create an account",
    body: createUserBody,
    response: userSchema,
    status: 201,
  },
  {
    method: "PATCH",
    url: "/api/users/{name}",
    permission: "users:manage",
    summary: "Change role, disabled flag or password",
    body: updateUserBody,
    response: userSchema,
    status: 200,
  },
  {
    method: "DELETE",
    url: "/api/users/{name}",
    permission: "users:manage",
    summary: "Remove an account (not the last enabled admin)",
    status: 204,
  },
];

// ---------------------------------------------------------------------------------------------------------

/** The JSON body, validated: 415 for another media type (fastify would also hand over text/plain), 400 naming the field. */
function parse<T>(schema: z.ZodType<T>, request: FastifyRequest): T {
  const type = request.headers["content-type"];
  if (type !== undefined && !/^application\/json\s*(;|$)/i.test(type)) {
    throw new HttpProblem(415, "Unsupported Media Type", `send the body as application/json, not ${type}`);
  }
  const result = schema.safeParse(request.body);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`);
  throw new HttpProblem(400, "Bad Request", issues.join("; "));
}

function checkPasswordRule(ctx: WebContext, password: string, field: string): void {
  const min = ctx.config.auth.passwordMinLength;
  if ([...password.normalize("NFC")].length < min) {
    throw new HttpProblem(400, "Bad Request", `${field}: must be at least ${min} characters`);
  }
}

/** The domain errors as HTTP answers. */
async function answering<T>(work: () => Promise<T> | T, reply?: FastifyReply): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof UnknownUser) throw new HttpProblem(404, "Not Found", err.message);
    if (err instanceof UserExists || err instanceof LastAdmin || err instanceof SetupDone) {
      throw new HttpProblem(409, "Conflict", err.message);
    }
    if (err instanceof PasswordHasherBusy) {
      reply?.header("retry-after", "1");
      throw new HttpProblem(503, "Service Unavailable", "too many logins in progress; retry shortly", {
        retryAfterSeconds: 1,
      });
    }
    throw err;
  }
}

function tooManyAttempts(reply: FastifyReply, lock: Lock): HttpProblem {
  const seconds = retryAfterSeconds(lock);
  reply.header("retry-after", String(seconds));
  return new HttpProblem(
    429,
    "Too Many Requests",
    `too many failed logins ${lock.scope === "user" ? "for this user name" : "from this address"}; retry in ${seconds} s`,
    { retryAfterSeconds: seconds },
  );
}

function startSession(auth: AuthService, request: FastifyRequest, reply: FastifyReply, user: UserRecord) {
  const session = auth.sessions.create(user, {
    remoteAddress: request.ip,
    userAgent: request.headers["user-agent"],
  });
  setSessionCookie(request, reply, session.token);
  return {
    token: session.token,
    user: { name: user.name, role: user.role },
    expiresAt: session.expiresAt.toISOString(),
  } satisfies z.infer<typeof sessionResponse>;
}

function mustFind(auth: AuthService, name: string): UserRecord {
  const user = auth.users.get(name);
  if (!user) throw new HttpProblem(404, "Not Found", `no user ${name}`);
  return user;
}

/** An account as the API shows it: never the hash. */
function shown(auth: AuthService, user: UserInfo): z.infer<typeof userSchema> {
  const lockedUntil = auth.throttle.lockedUntil(usernameKey(user.name));
  return {
    name: user.name,
    role: user.role,
    disabled: user.disabled,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
    passwordChangedAt: user.passwordChangedAt,
    lastLoginAt: user.lastLoginAt,
    ...(lockedUntil ? { lockedUntil: lockedUntil.toISOString() } : {}),
  };
}

/** Role and flag only: hashes and passwords never reach the audit log. */
function auditView(user: UserInfo) {
  return { role: user.role, disabled: user.disabled };
}

export function registerAuthRoutes(app: FastifyInstance, ctx: WebContext): void {
  const auth = authService(ctx);
  // Computed now, so that the first login for an unknown name costs no more than any other.
  void dummyHash(auth.hashParams()).catch(() => undefined);

  const auditLogin = (
    request: FastifyRequest,
    actor: string,
    action: "login" | "login-lockout" | "logout" | "password-change",
    outcome: "success" | "failure",
    detail: Record<string, unknown> = {},
  ) =>
    ctx.index.audit.append({
      actorType: "user",
      actor,
      action,
      outcome,
      detail: { ...detail, remoteAddress: request.ip },
    });

  /** A failed password check: audited, counted, and any lockout it starts audited too. */
  const failed = (
    request: FastifyRequest,
    name: string,
    action: "login" | "password-change",
    reason: string,
  ) => {
    auditLogin(request, name, action, "failure", { reason });
    for (const lock of auth.throttle.fail(usernameKey(name), request.ip)) {
      auditLogin(request, name, "login-lockout", "failure", {
        scope: lock.scope,
        failures: lock.failures,
        retryAfterSeconds: retryAfterSeconds(lock),
      });
    }
  };

  app.get("/api/setup", async () => ({
    setupRequired: auth.users.count() === 0,
    passwordMinLength: ctx.config.auth.passwordMinLength,
    usernameRule: USERNAME_RULE,
  }));

  app.post("/api/setup", { bodyLimit: BODY_LIMIT }, async (request, reply) => {
    const body = parse(setupBody, request);
    if (auth.users.count() > 0)
      throw new HttpProblem(409, "Conflict", "setup is done: an account exists already");
    checkPasswordRule(ctx, body.password, "password");
    const passwordHash = await answering(() => hashPassword(body.password, auth.hashParams()), reply);
    const created = await answering(() => auth.users.createFirst({ name: body.username, passwordHash }));
    ctx.index.audit.append({
      actorType: "user",
      actor: created.name,
      action: "user-create",
      outcome: "success",
      detail: { user: created.name, after: auditView(created), firstRun: true, remoteAddress: request.ip },
    });
    const user = mustFind(auth, created.name);
    auth.users.recordLogin(user);
    return reply.code(201).send(startSession(auth, request, reply, user));
  });

  app.post("/api/login", { bodyLimit: BODY_LIMIT }, async (request, reply) => {
    const body = parse(loginBody, request);
    const key = usernameKey(body.username);
    const address = request.ip;
    const locked = auth.throttle.check(key, address);
    // Refused without a password check. Not audited one by one (an attacker could flood the append-only
    // log at no cost); the lockout itself is.
    if (locked) throw tooManyAttempts(reply, locked);

    const params = auth.hashParams();
    const user = auth.users.get(body.username);
    // An unknown name is checked against a dummy hash: same work, same time, same answer as a wrong password.
    const matches = await answering(
      async () => verifyPassword(body.password, user?.passwordHash ?? (await dummyHash(params))),
      reply,
    );
    if (!user || !matches || user.disabled) {
      const reason = !user ? "unknown-user" : !matches ? "wrong-password" : "disabled";
      failed(request, body.username, "login", reason);
      throw new HttpProblem(401, "Unauthorized", "invalid user name or password");
    }

    auth.throttle.clear(key);
    const upgraded = needsRehash(user.passwordHash, params)
      ? await hashPassword(body.password, params).catch(() => undefined)
      : undefined;
    auth.users.recordLogin(user, new Date(), upgraded);
    auditLogin(request, user.name, "login", "success", upgraded ? { hashUpgraded: true } : {});
    return startSession(auth, request, reply, user);
  });

  app.post("/api/logout", { bodyLimit: BODY_LIMIT }, async (request, reply) => {
    const presented = sessionToken(request);
    const ended = presented ? auth.sessions.revoke(presented.token) : false;
    if (ended && request.principal) auditLogin(request, request.principal.name, "logout", "success");
    clearSessionCookie(request, reply);
    return reply.code(204).send();
  });

  app.get("/api/me", { preHandler: requireAuthenticated() }, async (request) => {
    const principal = request.principal!;
    return {
      name: principal.name,
      role: principal.role,
      via: principal.via,
      permissions: [...ROLE_PERMISSIONS[principal.role]],
      ...(principal.expiresAt ? { expiresAt: principal.expiresAt.toISOString() } : {}),
    } satisfies z.infer<typeof meResponse>;
  });

  app.put(
    "/api/me/password",
    { preHandler: requireAuthenticated(), bodyLimit: BODY_LIMIT },
    async (request, reply) => {
      const principal = request.principal!;
      const body = parse(changePasswordBody, request);
      if (principal.via === "launch-secret") {
        throw new HttpProblem(409, "Conflict", "the desktop user has no password");
      }
      const key = usernameKey(principal.name);
      const locked = auth.throttle.check(key, request.ip);
      if (locked) throw tooManyAttempts(reply, locked);
      const user = mustFind(auth, principal.name);
      if (!(await answering(() => verifyPassword(body.currentPassword, user.passwordHash), reply))) {
        failed(request, user.name, "password-change", "wrong-password");
        throw new HttpProblem(403, "Forbidden", "the current password is wrong");
      }
      checkPasswordRule(ctx, body.newPassword, "newPassword");
      const passwordHash = await answering(() => hashPassword(body.newPassword, auth.hashParams()), reply);
      await answering(() => auth.users.update(user.name, { passwordHash }));
      auth.throttle.clear(key);
      auditLogin(request, user.name, "password-change", "success", { endedOtherSessions: true });
      return startSession(auth, request, reply, mustFind(auth, user.name));
    },
  );

  app.get("/api/users", { preHandler: requirePermission("users:manage") }, async () =>
    auth.users.list().map((user) => shown(auth, user)),
  );

  app.post(
    "/api/users",
    { preHandler: requirePermission("users:manage"), bodyLimit: BODY_LIMIT },
    async (request, reply) => {
      const body = parse(createUserBody, request);
      if (auth.users.get(body.username)) {
        throw new HttpProblem(409, "Conflict", `user ${body.username} exists already`);
      }
      checkPasswordRule(ctx, body.password, "password");
      const passwordHash = await answering(() => hashPassword(body.password, auth.hashParams()), reply);
      const created = await answering(() =>
        auth.users.create({ name: body.username, role: body.role, passwordHash }),
      );
      auditAccess(ctx, request, {
        action: "user-create",
        detail: { user: created.name, after: auditView(created) },
      });
      return reply
        .code(201)
        .header("location", `/api/users/${encodeURIComponent(created.name)}`)
        .send(shown(auth, created));
    },
  );

  app.patch<{ Params: { name: string } }>(
    "/api/users/:name",
    { preHandler: requirePermission("users:manage"), bodyLimit: BODY_LIMIT },
    async (request, reply) => {
      const body = parse(updateUserBody, request);
      mustFind(auth, request.params.name);
      if (body.password !== undefined) checkPasswordRule(ctx, body.password, "password");
      const passwordHash =
        body.password === undefined
          ? undefined
          : await answering(() => hashPassword(body.password!, auth.hashParams()), reply);
      const { before, after } = await answering(() =>
        auth.users.update(request.params.name, {
          ...(body.role ? { role: body.role } : {}),
          ...(body.disabled !== undefined ? { disabled: body.disabled } : {}),
          ...(passwordHash ? { passwordHash } : {}),
        }),
      );
      // A new password from an admin also lifts a lockout.
      if (passwordHash) auth.throttle.clear(usernameKey(after.name));
      auditAccess(ctx, request, {
        action: "user-update",
        detail: {
          user: after.name,
          before: auditView(before),
          after: auditView(after),
          passwordChanged: passwordHash !== undefined,
          sessionsEnded: after.disabled || passwordHash !== undefined,
        },
      });
      return shown(auth, after);
    },
  );

  app.delete<{ Params: { name: string } }>(
    "/api/users/:name",
    { preHandler: requirePermission("users:manage") },
    async (request, reply) => {
      const removed = await answering(() => auth.users.remove(request.params.name));
      auth.throttle.clear(usernameKey(removed.name));
      auditAccess(ctx, request, {
        action: "user-delete",
        detail: { user: removed.name, before: auditView(removed) },
      });
      return reply.code(204).send();
    },
  );
}
