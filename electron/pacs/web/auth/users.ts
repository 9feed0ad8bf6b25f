/**
 * Local user accounts, kept in the index database (migration 002_users). Names are unique regardless
 * of case; the stored spelling is the one given at creation. The rule that at least one enabled admin
 * remains is enforced here, inside the write transaction, so the HTTP API and the CLI both obey it.
 * Password hashes never leave this module except to the password check: `UserInfo` has no hash.
 */
import type Database from "better-sqlite3";
import { isValidUsername, normalizeUsername, USERNAME_RULE } from "../../../../shared/api/domain.js";
import { ROLES, type Role } from "./permissions.js";

/** What the API and the CLI show about an account. */
export interface UserInfo {
  name: string;
  role: Role;
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
  passwordChangedAt: string;
  lastLoginAt: string | null;
}

/** The row, for the login check only. */
export interface UserRecord extends UserInfo {
  id: number;
  passwordHash: string;
}

export interface UserChange {
  role?: Role;
  disabled?: boolean;
  passwordHash?: string;
}

// The user-name rule is shared with the renderer.
export { isValidUsername, normalizeUsername, USERNAME_RULE } from "../../../../shared/api/domain.js";

/** The key that makes names unique regardless of case. */
export function usernameKey(name: string): string {
  return normalizeUsername(name).toLowerCase();
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export class UserExists extends Error {
  override readonly name = "UserExists";
}
export class UnknownUser extends Error {
  override readonly name = "UnknownUser";
}
/** The change would leave no enabled admin. */
export class LastAdmin extends Error {
  override readonly name = "LastAdmin";
}
/** First-run setup after a user exists. */
export class SetupDone extends Error {
  override readonly name = "SetupDone";
}

interface Row {
  id: number;
  name: string;
  role: Role;
  passwordHash: string;
  disabled: number;
  createdAt: string;
  updatedAt: string;
  passwordChangedAt: string;
  lastLoginAt: string | null;
}

const COLUMNS = `id, name, role, password_hash AS passwordHash, disabled, created_at AS createdAt,
  updated_at AS updatedAt, password_changed_at AS passwordChangedAt, last_login_at AS lastLoginAt`;

function record(row: Row): UserRecord {
  return { ...row, disabled: row.disabled === 1 };
}

export function publicUser(user: UserInfo): UserInfo {
  return {
    name: user.name,
    role: user.role,
    disabled: user.disabled,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
    passwordChangedAt: user.passwordChangedAt,
    lastLoginAt: user.lastLoginAt,
  };
}

function isEnabledAdmin(user: { role: Role; disabled: boolean }): boolean {
  return user.role === "admin" && !user.disabled;
}

export class UserStore {
  private readonly byKey: Database.Statement;
  private readonly all: Database.Statement;
  private readonly countAll: Database.Statement;
  private readonly countAdmins: Database.Statement;
  private readonly insert: Database.Statement;
  private readonly loginStamp: Database.Statement;
  private readonly dropSessions: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.byKey = db.prepare(`SELECT ${COLUMNS} FROM users WHERE name_key = ?`);
    this.all = db.prepare(`SELECT ${COLUMNS} FROM users ORDER BY name_key`);
    this.countAll = db.prepare(`SELECT count(*) FROM users`).pluck();
    this.countAdmins = db.prepare(`SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0`).pluck();
    this.insert = db.prepare(`
      INSERT INTO users (name, name_key, role, password_hash, disabled, created_at, updated_at, password_changed_at)
      VALUES (@name, @key, @role, @passwordHash, 0, @now, @now, @now)`);
    this.loginStamp = db.prepare(`UPDATE users SET last_login_at = ? WHERE id = ?`);
    this.dropSessions = db.prepare(`DELETE FROM sessions WHERE user_fk = ?`);
  }

  count(): number {
    return this.countAll.get() as number;
  }

  get(name: string): UserRecord | undefined {
    const row = this.byKey.get(usernameKey(name)) as Row | undefined;
    return row && record(row);
  }

  list(): UserInfo[] {
    return (this.all.all() as Row[]).map((row) => publicUser(record(row)));
  }

  /** Throws UserExists when the name is taken in any case. */
  create(user: { name: string; role: Role; passwordHash: string }, now = new Date()): UserInfo {
    return this.db.transaction(() => this.insertUser(user, now)).immediate();
  }

  /** The first admin at first run: only while no account exists (else SetupDone), atomically. */
  createFirst(user: { name: string; passwordHash: string }, now = new Date()): UserInfo {
    return this.db
      .transaction(() => {
        if (this.count() > 0) throw new SetupDone("an account exists already");
        return this.insertUser({ ...user, role: "admin" }, now);
      })
      .immediate();
  }

  private insertUser(user: { name: string; role: Role; passwordHash: string }, now: Date): UserInfo {
    const name = normalizeUsername(user.name);
    if (!isValidUsername(name))
      throw new RangeError(`user name ${JSON.stringify(user.name)}: ${USERNAME_RULE}`);
    if (this.byKey.get(usernameKey(name))) throw new UserExists(`user ${name} exists already`);
    this.insert.run({
      name,
      key: usernameKey(name),
      role: user.role,
      passwordHash: user.passwordHash,
      now: now.toISOString(),
    });
    return publicUser(this.mustGet(name));
  }

  private mustGet(name: string): UserRecord {
    const user = this.get(name);
    if (!user) throw new UnknownUser(`no user ${name}`);
    return user;
  }

  /**
   * Changes role, disabled flag or password. Disabling an account or changing its password ends all
   * of its sessions in the same transaction. Throws UnknownUser, or LastAdmin when no enabled admin
   * would remain.
   */
  update(name: string, change: UserChange, now = new Date()): { before: UserInfo; after: UserInfo } {
    return this.db
      .transaction(() => {
        const user = this.mustGet(name);
        const next = { role: change.role ?? user.role, disabled: change.disabled ?? user.disabled };
        if (isEnabledAdmin(user) && !isEnabledAdmin(next) && this.enabledAdmins() <= 1) {
          throw new LastAdmin(`${user.name} is the last enabled admin`);
        }
        const stamp = now.toISOString();
        this.db
          .prepare(
            `UPDATE users SET role = ?, disabled = ?, updated_at = ?,
               password_hash = coalesce(?, password_hash),
               password_changed_at = CASE WHEN ? IS NULL THEN password_changed_at ELSE ? END
             WHERE id = ?`,
          )
          .run(
            next.role,
            next.disabled ? 1 : 0,
            stamp,
            change.passwordHash ?? null,
            change.passwordHash ?? null,
            stamp,
            user.id,
          );
        if (next.disabled || change.passwordHash !== undefined) this.dropSessions.run(user.id);
        return { before: publicUser(user), after: publicUser(this.mustGet(user.name)) };
      })
      .immediate();
  }

  /** Removes the account and its sessions. Throws UnknownUser, or LastAdmin. */
  remove(name: string): UserInfo {
    return this.db
      .transaction(() => {
        const user = this.mustGet(name);
        if (isEnabledAdmin(user) && this.enabledAdmins() <= 1) {
          throw new LastAdmin(`${user.name} is the last enabled admin`);
        }
        this.dropSessions.run(user.id);
        this.db.prepare(`DELETE FROM users WHERE id = ?`).run(user.id);
        return publicUser(user);
      })
      .immediate();
  }

  /** After a successful login; with a new hash when the stored one was weaker than today's parameters. */
  recordLogin(user: UserRecord, now = new Date(), upgradedHash?: string): void {
    this.loginStamp.run(now.toISOString(), user.id);
    if (upgradedHash) {
      // Only over the hash that was checked: a password changed meanwhile is not overwritten.
      this.db
        .prepare(`UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?`)
        .run(upgradedHash, user.id, user.passwordHash);
    }
  }

  enabledAdmins(): number {
    return this.countAdmins.get() as number;
  }
}
