/**
 * Login sessions. A session's token is 32 random bytes (base64url, 43 characters) given once to the
 * client — as the session cookie and as a bearer token — and stored only as its SHA-256, so a copy
 * of the database opens no session. A session ends at the first of: idle for `auth.sessionIdleMinutes`
 * (sliding: use renews it), `auth.sessionMaxHours` after login, logout, or its user being disabled,
 * removed or given a new password. The account is read with the session on every request, so a
 * disabled user or a changed role takes effect on the next request.
 */
import { createHash, randomBytes } from "node:crypto";
import type Database from "better-sqlite3";
import type { AuthConfig } from "./config.js";
import type { Role } from "./permissions.js";

export interface SessionUser {
  id: number;
  name: string;
  role: Role;
}

export interface SessionTimes {
  /** When the session ends if unused (sliding), or at its absolute limit if that comes first. */
  expiresAt: Date;
  /** The absolute limit. */
  absoluteExpiresAt: Date;
}

export interface NewSession extends SessionTimes {
  token: string;
}

export interface ResolvedSession extends SessionTimes {
  id: number;
  user: SessionUser;
}

export interface SessionOrigin {
  remoteAddress?: string;
  userAgent?: string;
}

const TOKEN_BYTES = 32;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const MAX_USER_AGENT = 256;

export function tokenHash(token: string): string {
  return createHash("sha256").update(Buffer.from(token, "base64url")).digest("hex");
}

export function looksLikeToken(value: string): boolean {
  return TOKEN.test(value);
}

interface Row {
  id: number;
  createdAt: string;
  lastSeenAt: string;
  userId: number;
  name: string;
  role: Role;
}

export class SessionStore {
  private readonly insert: Database.Statement;
  private readonly lookup: Database.Statement;
  private readonly touch: Database.Statement;
  private readonly deleteById: Database.Statement;
  private readonly deleteByHash: Database.Statement;
  private readonly deleteByUser: Database.Statement;
  private readonly deleteExpired: Database.Statement;

  constructor(
    db: Database.Database,
    private readonly settings: () => Pick<AuthConfig, "sessionIdleMinutes" | "sessionMaxHours">,
  ) {
    this.insert = db.prepare(`
      INSERT INTO sessions (token_hash, user_fk, created_at, last_seen_at, remote_address, user_agent)
      VALUES (?, ?, ?, ?, ?, ?)`);
    // A disabled user's sessions are not found: they stop working at once.
    this.lookup = db.prepare(`
      SELECT s.id, s.created_at AS createdAt, s.last_seen_at AS lastSeenAt, u.id AS userId, u.name, u.role
      FROM sessions s JOIN users u ON u.id = s.user_fk
      WHERE s.token_hash = ? AND u.disabled = 0`);
    this.touch = db.prepare(`UPDATE sessions SET last_seen_at = ? WHERE id = ?`);
    this.deleteById = db.prepare(`DELETE FROM sessions WHERE id = ?`);
    this.deleteByHash = db.prepare(`DELETE FROM sessions WHERE token_hash = ?`);
    this.deleteByUser = db.prepare(`DELETE FROM sessions WHERE user_fk = ?`);
    this.deleteExpired = db.prepare(`DELETE FROM sessions WHERE created_at <= ? OR last_seen_at <= ?`);
  }

  private limits(): { idleMs: number; maxMs: number } {
    const { sessionIdleMinutes, sessionMaxHours } = this.settings();
    return { idleMs: sessionIdleMinutes * 60_000, maxMs: sessionMaxHours * 3_600_000 };
  }

  private times(createdAt: number, lastSeenAt: number): SessionTimes {
    const { idleMs, maxMs } = this.limits();
    const absolute = createdAt + maxMs;
    return {
      expiresAt: new Date(Math.min(lastSeenAt + idleMs, absolute)),
      absoluteExpiresAt: new Date(absolute),
    };
  }

  create(user: { id: number }, origin: SessionOrigin = {}, now = new Date()): NewSession {
    this.purgeExpired(now);
    const token = randomBytes(TOKEN_BYTES).toString("base64url");
    const stamp = now.toISOString();
    this.insert.run(
      tokenHash(token),
      user.id,
      stamp,
      stamp,
      origin.remoteAddress ?? null,
      origin.userAgent?.slice(0, MAX_USER_AGENT) ?? null,
    );
    return { token, ...this.times(now.getTime(), now.getTime()) };
  }

  /** The live session for a token, renewing its idle time; undefined (and the row gone) when it has ended. */
  resolve(token: string, now = new Date()): ResolvedSession | undefined {
    if (!looksLikeToken(token)) return undefined;
    const row = this.lookup.get(tokenHash(token)) as Row | undefined;
    if (!row) return undefined;
    const { idleMs } = this.limits();
    const created = Date.parse(row.createdAt);
    let lastSeen = Date.parse(row.lastSeenAt);
    const current = now.getTime();
    if (current >= this.times(created, lastSeen).expiresAt.getTime()) {
      this.deleteById.run(row.id);
      return undefined;
    }
    // Renewed at most every tenth of the idle time (and at least every minute): the idle limit keeps its
    // precision without a database write on every image request.
    if (current - lastSeen >= Math.min(60_000, idleMs / 10)) {
      this.touch.run(now.toISOString(), row.id);
      lastSeen = current;
    }
    return {
      id: row.id,
      user: { id: row.userId, name: row.name, role: row.role },
      ...this.times(created, lastSeen),
    };
  }

  /** Ends the session of this token; whether there was one. */
  revoke(token: string): boolean {
    if (!looksLikeToken(token)) return false;
    return this.deleteByHash.run(tokenHash(token)).changes > 0;
  }

  revokeUser(userId: number): number {
    return this.deleteByUser.run(userId).changes;
  }

  /** Drops the rows of sessions that have ended (they would be refused anyway). */
  purgeExpired(now = new Date()): number {
    const { idleMs, maxMs } = this.limits();
    const current = now.getTime();
    return this.deleteExpired.run(
      new Date(current - maxMs).toISOString(),
      new Date(current - idleMs).toISOString(),
    ).changes;
  }
}
