/**
 * Back-off after failed logins, per user name and per remote address. After `lockout.failures`
 * failures for a name (`lockout.addressFailures` from an address), further attempts are refused for
 * `lockout.delaySeconds`; each failure after that doubles the delay, up to `lockout.maxDelaySeconds`.
 * A success clears the name's count; failures are forgotten after `lockout.forgetAfterMinutes`
 * without one. Unknown names are counted exactly like real ones, so the answers do not tell them apart.
 *
 * The counts live in memory (a restart forgets them) in bounded maps, so a flood of made-up names
 * or addresses cannot grow the process without limit.
 */
import type { LockoutConfig } from "./config.js";

export type LockScope = "user" | "address";

export interface Lock {
  scope: LockScope;
  /** Failures counted so far. */
  failures: number;
  retryAfterMs: number;
}

interface Entry {
  failures: number;
  lastFailure: number;
  lockedUntil: number;
}

const MAX_ENTRIES = 10_000;

class Counter {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly scope: LockScope,
    private readonly threshold: () => number,
    private readonly settings: () => LockoutConfig,
  ) {}

  private live(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const forgetMs = this.settings().forgetAfterMinutes * 60_000;
    if (now >= entry.lockedUntil && now - entry.lastFailure >= forgetMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  locked(key: string, now: number): Lock | undefined {
    const entry = this.live(key, now);
    if (!entry || now >= entry.lockedUntil) return undefined;
    return { scope: this.scope, failures: entry.failures, retryAfterMs: entry.lockedUntil - now };
  }

  /** Counts a failure; the lock it starts, if any. */
  fail(key: string, now: number): Lock | undefined {
    const threshold = this.threshold();
    if (threshold <= 0) return undefined;
    const entry = this.live(key, now) ?? { failures: 0, lastFailure: now, lockedUntil: 0 };
    entry.failures++;
    entry.lastFailure = now;
    // Re-inserted, so that the map's order is least recently failed first: that one goes when it is full.
    this.entries.delete(key);
    if (this.entries.size >= MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, entry);
    if (entry.failures < threshold) return undefined;
    const { delaySeconds, maxDelaySeconds } = this.settings();
    const delayMs = Math.min(maxDelaySeconds, delaySeconds * 2 ** (entry.failures - threshold)) * 1000;
    entry.lockedUntil = now + delayMs;
    return { scope: this.scope, failures: entry.failures, retryAfterMs: delayMs };
  }

  clear(key: string): void {
    this.entries.delete(key);
  }

  lockedUntil(key: string, now: number): number | undefined {
    const lock = this.locked(key, now);
    return lock ? now + lock.retryAfterMs : undefined;
  }
}

export class LoginThrottle {
  private readonly users: Counter;
  private readonly addresses: Counter;

  constructor(
    settings: () => LockoutConfig,
    private readonly clock: () => number = Date.now,
  ) {
    this.users = new Counter("user", () => settings().failures, settings);
    this.addresses = new Counter("address", () => settings().addressFailures, settings);
  }

  /** The lock that refuses an attempt now (the longer one when both the name and the address are locked). */
  check(userKey: string, address: string): Lock | undefined {
    const now = this.clock();
    const locks = [this.addresses.locked(address, now), this.users.locked(userKey, now)];
    return locks.reduce<Lock | undefined>(
      (longest, lock) => (lock && (!longest || lock.retryAfterMs > longest.retryAfterMs) ? lock : longest),
      undefined,
    );
  }

  /** Counts a failed attempt; the locks it starts. */
  fail(userKey: string, address: string): Lock[] {
    const now = this.clock();
    return [this.users.fail(userKey, now), this.addresses.fail(address, now)].filter(
      (lock): lock is Lock => lock !== undefined,
    );
  }

  /** A successful login, a new password or an admin's unlock: the name starts afresh. */
  clear(userKey: string): void {
    this.users.clear(userKey);
  }

  lockedUntil(userKey: string): Date | undefined {
    const until = this.users.lockedUntil(userKey, this.clock());
    return until === undefined ? undefined : new Date(until);
  }
}

export function retryAfterSeconds(lock: Lock): number {
  return Math.max(1, Math.ceil(lock.retryAfterMs / 1000));
}
