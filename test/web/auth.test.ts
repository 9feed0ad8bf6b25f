/**
 * Users, sessions, login and lockout over real HTTP against in-process nodes: first-run setup, login
 * answers that do not tell an unknown name from a wrong password, the session cookie, bearer tokens,
 * logout, idle and absolute expiry, back-off per name and per address, roles on the users API,
 * disabled accounts, and the stored scrypt hashes (which never leave the database).
 */
import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConfigInput } from "../../electron/pacs/config/schema.js";
import { mergeConfig, validateConfig } from "../../electron/pacs/config/load.js";
import { type HilumNode, startNode } from "../../electron/pacs/node.js";
import { hashPassword, parseHash, verifyPassword } from "../../electron/pacs/web/auth/passwords.js";
import { tokenHash } from "../../electron/pacs/web/auth/sessions.js";
import { scratchDir, startTestNode, type TestNode } from "../support/hilum.js";

const SECRET = "s".repeat(32);
const ADMIN = { username: "Root.Admin", password: "first admin password" };

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

interface CallOptions {
  method?: string;
  body?: unknown;
  token?: string;
  cookie?: string;
  headers?: Record<string, string>;
}

/** Every answer's body, to prove later that no hash ever left the server. */
const seen: string[] = [];

async function call(base: string, path: string, options: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers["content-type"] = "application/json";
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.cookie) headers.cookie = options.cookie;
  const response = await fetch(new URL(path, base), {
    method: options.method ?? (options.body === undefined ? "GET" : "POST"),
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  seen.push(text);
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

function expectProblem(answer: Answer, status: number, detail?: RegExp): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  expect(answer.json.status).toBe(status);
  if (detail) expect(answer.json.detail).toMatch(detail);
}

function login(base: string, username: string, password: string): Promise<Answer> {
  return call(base, "/api/login", { body: { username, password } });
}

async function tokenFor(base: string, username: string, password: string): Promise<string> {
  const answer = await login(base, username, password);
  expect(answer.status, answer.text).toBe(200);
  return answer.json.token as string;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await work();
  return [result, performance.now() - start];
}

/** A node like startTestNode's, but whose log (debug and up) is kept, to search it for secrets. */
async function startLoggedNode(overrides: ConfigInput): Promise<{ node: HilumNode; log: () => string }> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString("utf8"));
      done();
    },
  });
  const base: ConfigInput = {
    dataDir: scratchDir("auth"),
    dicom: { port: 0, bind: "127.0.0.1" },
    http: { port: 0, bind: "127.0.0.1" },
    log: { level: "debug", file: false },
  };
  const config = validateConfig(mergeConfig(base, overrides), "test");
  const node = await startNode(config, pino({ level: "debug" }, sink));
  return { node, log: () => lines.join("") };
}

describe("accounts, login and sessions", () => {
  let node: HilumNode;
  let log: () => string;
  let base: string;
  let adminToken: string;
  const passwords = new Map<string, string>([[ADMIN.username, ADMIN.password]]);

  beforeAll(async () => {
    ({ node, log } = await startLoggedNode({
      http: { launchSecret: SECRET },
      auth: { lockout: { failures: 3, delaySeconds: 1, maxDelaySeconds: 8, addressFailures: 0 } },
    }));
    base = node.http.url;
  });
  afterAll(async () => {
    await node?.close();
  });

  async function createUser(name: string, role: string, password = `${name} password 1`): Promise<Answer> {
    const answer = await call(base, "/api/users", {
      token: adminToken,
      body: { username: name, password, role },
    });
    if (answer.status === 201) passwords.set(name, password);
    return answer;
  }

  it("offers first-run setup while no account exists, then creates the first admin once", async () => {
    expect((await call(base, "/api/setup")).json).toMatchObject({
      setupRequired: true,
      passwordMinLength: 10,
    });
    expectProblem(await call(base, "/api/users"), 401);
    expectProblem(await login(base, ADMIN.username, ADMIN.password), 401);

    expectProblem(
      await call(base, "/api/setup", { body: { username: "root", password: "short" } }),
      400,
      /^password: must be at least 10 characters/,
    );
    expectProblem(
      await call(base, "/api/setup", { body: { username: "../etc", password: ADMIN.password } }),
      400,
      /^username: /,
    );
    expectProblem(await call(base, "/api/setup", { body: { username: "root" } }), 400, /^password: /);
    expectProblem(
      await call(base, "/api/setup", { body: { ...ADMIN, role: "viewer" } }),
      400,
      /unrecognized key.*role/i,
    );
    expect(node.index.connection.prepare("SELECT count(*) FROM users").pluck().get()).toBe(0);

    const created = await call(base, "/api/setup", { body: ADMIN });
    expect(created.status, created.text).toBe(201);
    expect(created.json.user).toEqual({ name: ADMIN.username, role: "admin" });
    expect(created.json.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    adminToken = created.json.token as string;

    expect((await call(base, "/api/setup")).json.setupRequired).toBe(false);
    expectProblem(
      await call(base, "/api/setup", { body: { username: "intruder", password: "intruder password" } }),
      409,
      /an account exists already/,
    );
    const [row] = node.index.audit.query({ action: "user-create" });
    expect(row).toMatchObject({ actor: ADMIN.username, outcome: "success" });
    expect(row?.detail).toMatchObject({ firstRun: true, after: { role: "admin", disabled: false } });
  });

  it("logs in with the right password: a token, the session cookie, and an audit row", async () => {
    const answer = await login(base, "root.admin", ADMIN.password); // any case
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json.user).toEqual({ name: ADMIN.username, role: "admin" });
    const expires = Date.parse(answer.json.expiresAt as string);
    expect(expires - Date.now()).toBeGreaterThan(29 * 60_000); // sessionIdleMinutes 30 by default
    expect(expires - Date.now()).toBeLessThanOrEqual(30 * 60_000);

    const cookies = answer.headers.getSetCookie();
    expect(cookies).toHaveLength(1);
    const attributes = cookies[0]!.split(";").map((part) => part.trim());
    expect(attributes[0]).toBe(`hilum_session=${answer.json.token as string}`);
    expect(attributes.slice(1).sort()).toEqual(["HttpOnly", "Path=/", "SameSite=Strict"]);
    // Plain HTTP here: no Secure (that comes with HTTPS), and no Max-Age (a browser session cookie).

    const [audit] = node.index.audit.query({ action: "login" });
    expect(audit).toMatchObject({ actorType: "user", actor: ADMIN.username, outcome: "success" });
    expect(audit?.detail).toMatchObject({ remoteAddress: "127.0.0.1" });
  });

  it("accepts the token as a bearer token and as the cookie, and the launch secret still", async () => {
    const token = await tokenFor(base, ADMIN.username, ADMIN.password);
    const viaBearer = await call(base, "/api/me", { token });
    expect(viaBearer.json).toMatchObject({ name: ADMIN.username, role: "admin", via: "token" });
    expect(viaBearer.json.permissions).toContain("users:manage");
    const viaCookie = await call(base, "/api/me", { cookie: `theme=dark; hilum_session=${token}` });
    expect(viaCookie.json).toMatchObject({ name: ADMIN.username, via: "session" });
    expect(Date.parse(viaCookie.json.expiresAt as string)).toBeGreaterThan(Date.now());
    const desktop = await call(base, "/api/me", { token: SECRET });
    expect(desktop.json).toMatchObject({ name: "desktop", role: "admin", via: "launch-secret" });
    expect(desktop.json.expiresAt).toBeUndefined();

    expectProblem(await call(base, "/api/me"), 401);
    expectProblem(await call(base, "/api/me", { token: "A".repeat(43) }), 401);
    expectProblem(await call(base, "/api/me", { token: "not a token" }), 401);
    expectProblem(await call(base, "/api/me", { cookie: "hilum_session=garbage" }), 401);

    // A browser's cross-origin request may not change anything with the cookie.
    const crossSite = await call(base, "/api/users", {
      cookie: `hilum_session=${token}`,
      headers: { origin: "https://evil.example" },
      body: { username: "mallory", password: "mallory password", role: "admin" },
    });
    expectProblem(crossSite, 403, /cross-origin/);
    expect(
      node.index.connection.prepare("SELECT count(*) FROM users WHERE name_key = 'mallory'").pluck().get(),
    ).toBe(0);
    // The same-origin page may.
    const sameSite = await call(base, "/api/users", {
      cookie: `hilum_session=${token}`,
      headers: { origin: base.replace(/\/$/, "") },
      body: { username: "Tech1", password: "tech1 password", role: "technologist" },
    });
    expect(sameSite.status, sameSite.text).toBe(201);
    passwords.set("Tech1", "tech1 password");
  });

  it("answers a wrong password and an unknown name alike, in the same time class", async () => {
    // Different names each time, so that no lockout starts (3 failures per name here).
    for (const name of ["timing1", "timing2", "timing3"])
      expect((await createUser(name, "viewer")).status).toBe(201);
    const wrong: number[] = [];
    const unknown: number[] = [];
    let wrongBody: unknown;
    let unknownBody: unknown;
    for (let i = 1; i <= 3; i++) {
      const [a, ms1] = await timed(() => login(base, `timing${i}`, "not the password"));
      const [b, ms2] = await timed(() => login(base, `nobody${i}`, "not the password"));
      expectProblem(a, 401);
      expectProblem(b, 401);
      wrong.push(ms1);
      unknown.push(ms2);
      wrongBody = a.json;
      unknownBody = b.json;
    }
    expect(unknownBody).toEqual(wrongBody);
    expect(wrongBody).toMatchObject({ title: "Unauthorized", detail: "invalid user name or password" });
    const ratio = median(unknown) / median(wrong);
    console.log(
      `login failure: wrong password median ${median(wrong).toFixed(0)} ms, unknown user ${median(unknown).toFixed(0)} ms`,
    );
    // Without the dummy hash an unknown name would answer in ~1 ms against ~50–100 ms of scrypt.
    expect(ratio).toBeGreaterThan(0.4);
    expect(ratio).toBeLessThan(2.5);

    const failures = node.index.audit.query({ action: "login" }).filter((row) => row.outcome === "failure");
    expect(failures.map((row) => row.actor)).toEqual(expect.arrayContaining(["timing1", "nobody1"]));
    expect(failures.find((row) => row.actor === "nobody1")?.detail).toMatchObject({ reason: "unknown-user" });
    expect(failures.find((row) => row.actor === "timing1")?.detail).toMatchObject({
      reason: "wrong-password",
    });
  });

  it("locks a name out after 3 failures with 429 and Retry-After, doubling, and lets it in after the delay", async () => {
    expect((await createUser("locky", "radiologist")).status).toBe(201);
    const password = passwords.get("locky")!;
    for (let i = 0; i < 3; i++) expectProblem(await login(base, "locky", "wrong password"), 401);
    // Even the right password is refused while locked, without being checked.
    const locked = await login(base, "LOCKY", password);
    expectProblem(locked, 429, /for this user name/);
    expect(locked.headers.get("retry-after")).toBe("1");
    expect(locked.json.retryAfterSeconds).toBe(1);
    // An unknown name is locked exactly the same way.
    for (let i = 0; i < 3; i++) expectProblem(await login(base, "ghost", "wrong password"), 401);
    expectProblem(await login(base, "ghost", "wrong password"), 429);
    // Other names are not affected.
    expect((await login(base, ADMIN.username, ADMIN.password)).status).toBe(200);

    await sleep(1100);
    // One more failure after the lock: the next lock is twice as long.
    expectProblem(await login(base, "locky", "wrong again"), 401);
    const again = await login(base, "locky", password);
    expectProblem(again, 429);
    expect(again.headers.get("retry-after")).toBe("2");
    const listed = (await call(base, "/api/users", { token: adminToken })).json as Array<{
      name: string;
      lockedUntil?: string;
    }>;
    expect(listed.find((user) => user.name === "locky")?.lockedUntil).toBeDefined();

    await sleep(2100);
    expect((await login(base, "locky", password)).status).toBe(200);
    // A success starts the count afresh: two failures do not lock.
    for (let i = 0; i < 2; i++) expectProblem(await login(base, "locky", "wrong password"), 401);
    expect((await login(base, "locky", password)).status).toBe(200);

    const lockouts = node.index.audit.query({ action: "login-lockout", actor: "locky" });
    expect(lockouts).toHaveLength(2);
    expect(lockouts.map((row) => (row.detail as { retryAfterSeconds: number }).retryAfterSeconds)).toEqual([
      2, 1,
    ]);
    expect(lockouts[0]?.detail).toMatchObject({ scope: "user", failures: 4 });
  });

  it("lets only admins use the users API", async () => {
    expect((await createUser("Vera", "viewer")).status).toBe(201);
    const vera = await tokenFor(base, "vera", passwords.get("Vera")!);
    expectProblem(await call(base, "/api/users", { token: vera }), 403, /role viewer may not users:manage/);
    expectProblem(
      await call(base, "/api/users", {
        token: vera,
        body: { username: "x1", password: "x1 password!", role: "admin" },
      }),
      403,
    );
    expectProblem(await call(base, "/api/users/Vera", { token: vera, method: "DELETE" }), 403);
    const tech = await tokenFor(base, "tech1", passwords.get("Tech1")!);
    expectProblem(await call(base, "/api/users", { token: tech }), 403);

    const list = await call(base, "/api/users", { token: adminToken });
    expect(list.status).toBe(200);
    const names = (list.json as Array<{ name: string }>).map((user) => user.name);
    expect(names).toEqual(expect.arrayContaining([ADMIN.username, "Vera", "Tech1", "locky"]));
    const admin = (list.json as Array<{ name: string }>).find((user) => user.name === ADMIN.username)!;
    expect(Object.keys(admin).sort()).toEqual(
      ["createdAt", "disabled", "lastLoginAt", "name", "passwordChangedAt", "role", "updatedAt"].sort(),
    );
  });

  it("creates, changes and removes accounts with precise errors, audited with before and after", async () => {
    expectProblem(await createUser("VERA", "viewer"), 409, /exists already/);
    expectProblem(await createUser("nobody role", "viewer"), 400, /^username: /);
    expectProblem(await createUser("rolf", "superuser"), 400, /^role: /);
    expectProblem(
      await call(base, "/api/users", {
        token: adminToken,
        body: { username: "rolf", password: "short", role: "viewer" },
      }),
      400,
      /^password: must be at least 10/,
    );

    const patched = await call(base, "/api/users/vera", {
      token: adminToken,
      method: "PATCH",
      body: { role: "radiologist" },
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json).toMatchObject({ name: "Vera", role: "radiologist", disabled: false });
    const [update] = node.index.audit.query({ action: "user-update" });
    expect(update).toMatchObject({ actor: ADMIN.username, outcome: "success" });
    expect(update?.detail).toMatchObject({
      user: "Vera",
      before: { role: "viewer", disabled: false },
      after: { role: "radiologist", disabled: false },
      passwordChanged: false,
    });

    expectProblem(
      await call(base, "/api/users/nobody", { token: adminToken, method: "PATCH", body: { role: "viewer" } }),
      404,
    );
    expectProblem(await call(base, "/api/users/vera", { token: adminToken, method: "PATCH", body: {} }), 400);
    expectProblem(
      await call(base, "/api/users/vera", { token: adminToken, method: "PATCH", body: { disabled: "yes" } }),
      400,
      /^disabled: /,
    );
    expectProblem(await call(base, "/api/users/nobody", { token: adminToken, method: "DELETE" }), 404);

    // The last enabled admin can be neither removed, nor demoted, nor disabled.
    const admin = `/api/users/${encodeURIComponent(ADMIN.username)}`;
    expectProblem(
      await call(base, admin, { token: adminToken, method: "DELETE" }),
      409,
      /last enabled admin/,
    );
    expectProblem(
      await call(base, admin, { token: adminToken, method: "PATCH", body: { role: "viewer" } }),
      409,
    );
    expectProblem(
      await call(base, admin, { token: adminToken, method: "PATCH", body: { disabled: true } }),
      409,
    );

    expect((await createUser("temp", "technologist")).status).toBe(201);
    const removed = await call(base, "/api/users/TEMP", { token: adminToken, method: "DELETE" });
    expect(removed.status).toBe(204);
    const [deleted] = node.index.audit.query({ action: "user-delete" });
    expect(deleted?.detail).toMatchObject({
      user: "temp",
      before: { role: "technologist", disabled: false },
    });
    expectProblem(await login(base, "temp", passwords.get("temp")!), 401);
  });

  it("shuts a disabled user out at once, sessions included, and a role change applies at once", async () => {
    const token = await tokenFor(base, "Vera", passwords.get("Vera")!);
    expect((await call(base, "/api/me", { token })).json.role).toBe("radiologist");
    const disabled = await call(base, "/api/users/Vera", {
      token: adminToken,
      method: "PATCH",
      body: { disabled: true },
    });
    expect(disabled.json.disabled).toBe(true);
    expectProblem(await call(base, "/api/me", { token }), 401);
    // The right password does not let a disabled user in, and the answer says no more than for a wrong one.
    const refused = await login(base, "Vera", passwords.get("Vera")!);
    expectProblem(refused, 401, /^invalid user name or password$/);
    expect(node.index.audit.query({ action: "login", actor: "Vera" })[0]?.detail).toMatchObject({
      reason: "disabled",
    });

    await call(base, "/api/users/Vera", { token: adminToken, method: "PATCH", body: { disabled: false } });
    const again = await tokenFor(base, "Vera", passwords.get("Vera")!);
    expectProblem(await call(base, "/api/users", { token: again }), 403);
    await call(base, "/api/users/Vera", { token: adminToken, method: "PATCH", body: { role: "admin" } });
    expect((await call(base, "/api/users", { token: again })).status).toBe(200);
    await call(base, "/api/users/Vera", { token: adminToken, method: "PATCH", body: { role: "viewer" } });
    expectProblem(await call(base, "/api/users", { token: again }), 403);
  });

  it("ends sessions at logout and at a password change", async () => {
    const answer = await login(base, "Tech1", passwords.get("Tech1")!);
    const token = answer.json.token as string;
    const out = await call(base, "/api/logout", { token, method: "POST" });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie()[0]).toMatch(/^hilum_session=; .*Max-Age=0/);
    expectProblem(await call(base, "/api/me", { token }), 401);
    expect(node.index.audit.query({ action: "logout" })[0]).toMatchObject({
      actor: "Tech1",
      outcome: "success",
    });
    // Logging out twice, or without a session, is harmless.
    expect((await call(base, "/api/logout", { token, method: "POST" })).status).toBe(204);

    const cookieSession = await tokenFor(base, "Tech1", passwords.get("Tech1")!);
    expect(
      (await call(base, "/api/logout", { cookie: `hilum_session=${cookieSession}`, method: "POST" })).status,
    ).toBe(204);
    expectProblem(await call(base, "/api/me", { token: cookieSession }), 401);

    // Changing one's own password: the current one is checked, other sessions end, a new one starts.
    const first = await tokenFor(base, "Tech1", passwords.get("Tech1")!);
    const second = await tokenFor(base, "Tech1", passwords.get("Tech1")!);
    expectProblem(
      await call(base, "/api/me/password", {
        token: first,
        method: "PUT",
        body: { currentPassword: "wrong password", newPassword: "tech1 new password" },
      }),
      403,
    );
    const changed = await call(base, "/api/me/password", {
      token: first,
      method: "PUT",
      body: { currentPassword: passwords.get("Tech1"), newPassword: "tech1 new password" },
    });
    expect(changed.status, changed.text).toBe(200);
    passwords.set("Tech1", "tech1 new password");
    expectProblem(await call(base, "/api/me", { token: first }), 401);
    expectProblem(await call(base, "/api/me", { token: second }), 401);
    expect((await call(base, "/api/me", { token: changed.json.token as string })).json.name).toBe("Tech1");
    expect((await login(base, "Tech1", "tech1 new password")).status).toBe(200);

    // An admin's new password for someone else ends that user's sessions too.
    const vera = await tokenFor(base, "Vera", passwords.get("Vera")!);
    await call(base, "/api/users/Vera", {
      token: adminToken,
      method: "PATCH",
      body: { password: "vera reset password" },
    });
    passwords.set("Vera", "vera reset password");
    expectProblem(await call(base, "/api/me", { token: vera }), 401);
    expect(node.index.audit.query({ action: "user-update" })[0]?.detail).toMatchObject({
      passwordChanged: true,
    });
  });

  it("keeps a body that is not JSON, or too big, out with a precise status", async () => {
    const notJson = await fetch(new URL("/api/login", base), {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "username=root",
    });
    expect(notJson.status).toBe(415);
    expect(notJson.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const broken = await fetch(new URL("/api/login", base), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"username": ',
    });
    expect(broken.status).toBe(400);
    const huge = await call(base, "/api/login", { body: { username: "x", password: "p".repeat(64 * 1024) } });
    expectProblem(huge, 413);
    expect((await call(base, "/healthz")).status).toBe(200);
  });

  it("stores scrypt hashes with their parameters and a salt of their own, and never shows them", async () => {
    const rows = node.index.connection
      .prepare("SELECT name, password_hash AS hash FROM users ORDER BY id")
      .all() as Array<{ name: string; hash: string }>;
    expect(rows.length).toBeGreaterThan(5);
    const salts = new Set<string>();
    for (const { name, hash } of rows) {
      expect(hash).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
      const parsed = parseHash(hash)!;
      expect(parsed.salt).toHaveLength(16);
      expect(parsed.hash).toHaveLength(32);
      salts.add(parsed.salt.toString("hex"));
      expect(await verifyPassword(passwords.get(name)!, hash), name).toBe(true);
    }
    expect(salts.size).toBe(rows.length);
    // The same password twice: two different hashes.
    const [a, b] = await Promise.all([hashPassword("same password"), hashPassword("same password")]);
    expect(a).not.toBe(b);

    const audit = JSON.stringify(node.index.audit.query({ limit: 100_000 }));
    const logged = log();
    const answers = seen.join("\n");
    for (const { hash } of rows) {
      const secretPart = hash.split("$").at(-1)!;
      for (const [where, text] of [
        ["audit", audit],
        ["log", logged],
        ["answers", answers],
      ] as const) {
        expect(text.includes(secretPart), `hash in ${where}`).toBe(false);
      }
    }
    expect(answers).not.toContain("$scrypt$");
    for (const password of passwords.values()) {
      expect(audit.includes(password), "password in audit").toBe(false);
      expect(logged.includes(password), "password in log").toBe(false);
    }
  });

  it("upgrades a hash made with weaker parameters at the next login", async () => {
    const weak = await hashPassword("upgrade me please", { logN: 14, r: 8, p: 1 });
    expect((await createUser("upgrader", "viewer", "upgrade me please")).status).toBe(201);
    node.index.connection.prepare("UPDATE users SET password_hash = ? WHERE name = 'upgrader'").run(weak);
    expect((await login(base, "upgrader", "upgrade me please")).status).toBe(200);
    const stored = node.index.connection
      .prepare("SELECT password_hash FROM users WHERE name = 'upgrader'")
      .pluck()
      .get() as string;
    expect(parseHash(stored)?.params).toEqual({ logN: 15, r: 8, p: 1 });
    expect(await verifyPassword("upgrade me please", stored)).toBe(true);
    expect(node.index.audit.query({ action: "login", actor: "upgrader" })[0]?.detail).toMatchObject({
      hashUpgraded: true,
    });
  });
});

describe("session expiry", () => {
  // Idle 2.4 s. Requests that must succeed have a second or more of margin, so a loaded machine does not
  // make them fail; a late check only finds the session more expired.
  const IDLE_MINUTES = 0.04;
  let idleNode: TestNode;
  let busyNode: TestNode;

  async function nodeWith(sessionMaxHours?: number): Promise<TestNode> {
    const started = await startTestNode({
      auth: { sessionIdleMinutes: IDLE_MINUTES, ...(sessionMaxHours ? { sessionMaxHours } : {}) },
    });
    expect((await call(started.node.http.url, "/api/setup", { body: ADMIN })).status).toBe(201);
    return started;
  }

  beforeAll(async () => {
    idleNode = await nodeWith();
    busyNode = await nodeWith(0.0012); // 4.32 s
  });
  afterAll(async () => {
    await idleNode?.close();
    await busyNode?.close();
  });

  it("ends an unused session after the idle time, and use keeps it alive", async () => {
    const base = idleNode.node.http.url;
    const answer = await login(base, ADMIN.username, ADMIN.password);
    const token = answer.json.token as string;
    const firstExpiry = Date.parse(answer.json.expiresAt as string);
    expect(firstExpiry - Date.now()).toBeLessThanOrEqual(2400);
    await sleep(1200);
    const renewed = await call(base, "/api/me", { token });
    expect(renewed.status).toBe(200);
    expect(Date.parse(renewed.json.expiresAt as string)).toBeGreaterThan(firstExpiry);
    await sleep(1200); // past the first expiry: alive only because it was renewed
    expect(Date.now()).toBeGreaterThan(firstExpiry);
    expect((await call(base, "/api/me", { token })).status).toBe(200);
    await sleep(3000);
    expectProblem(await call(base, "/api/me", { token }), 401);
    // The ended session's row is gone, not just refused.
    expect(
      idleNode.node.index.connection
        .prepare("SELECT count(*) FROM sessions WHERE token_hash = ?")
        .pluck()
        .get(tokenHash(token)),
    ).toBe(0);
  });

  it("ends a busy session at the absolute limit", async () => {
    const base = busyNode.node.http.url;
    const answer = await login(base, ADMIN.username, ADMIN.password);
    const token = answer.json.token as string;
    const started = Date.now();
    let lastUse = started;
    while (Date.now() - started < 3300) {
      expect((await call(base, "/api/me", { token })).status).toBe(200);
      lastUse = Date.now();
      await sleep(400);
    }
    await sleep(Math.max(0, 4900 - (Date.now() - started)));
    // Used less than the idle time ago, yet over the absolute limit.
    expect(Date.now() - lastUse).toBeLessThan(2400);
    expectProblem(await call(base, "/api/me", { token }), 401);
  });
});

describe("back-off per remote address", () => {
  let node: TestNode;
  let base: string;

  beforeAll(async () => {
    node = await startTestNode({
      auth: { lockout: { failures: 100, addressFailures: 4, delaySeconds: 30 } },
    });
    base = node.node.http.url;
    expect((await call(base, "/api/setup", { body: ADMIN })).status).toBe(201);
  });
  afterAll(async () => {
    await node?.close();
  });

  it("refuses every name from an address that failed too often", async () => {
    for (let i = 0; i < 4; i++) expectProblem(await login(base, `spray${i}`, "password123"), 401);
    const refused = await login(base, ADMIN.username, ADMIN.password);
    expectProblem(refused, 429, /from this address/);
    expect(refused.headers.get("retry-after")).toBe("30");
    const [lockout] = node.node.index.audit.query({ action: "login-lockout" });
    expect(lockout).toMatchObject({ actor: "spray3" });
    expect(lockout?.detail).toMatchObject({ scope: "address", failures: 4, remoteAddress: "127.0.0.1" });
  });
});
