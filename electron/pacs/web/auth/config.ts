import { z } from "zod";

/**
 * `auth` in the configuration: sessions, password rules and login back-off. The values are read on
 * every use, so a configuration change applies to sessions already open.
 */
export const authSchema = z.strictObject({
  /** A session unused for this long ends (sliding: every authenticated request renews it). */
  sessionIdleMinutes: z
    .number()
    .positive()
    .max(7 * 24 * 60)
    .default(30),
  /** A session ends this long after login, however busy. */
  sessionMaxHours: z
    .number()
    .positive()
    .max(30 * 24)
    .default(12),
  /** Shortest password accepted for a new account or a password change. */
  passwordMinLength: z.number().int().min(8).max(128).default(10),
  /** log2 of scrypt's cost N for new hashes (15 = 32 MiB, ~50 ms); old hashes are upgraded at login. */
  passwordHashCost: z.number().int().min(15).max(20).default(15),
  lockout: z
    .strictObject({
      /** Failed logins for one user name before back-off starts. */
      failures: z.number().int().min(1).max(1000).default(5),
      /** Failed logins from one remote address (any user name) before back-off starts; 0 = no limit per address. */
      addressFailures: z.number().int().min(0).max(100_000).default(20),
      /** The first lockout; each further failure doubles it. */
      delaySeconds: z.number().positive().max(86_400).default(30),
      /** The longest lockout. */
      maxDelaySeconds: z
        .number()
        .positive()
        .max(7 * 86_400)
        .default(900),
      /** Failures are forgotten after this long without one. */
      forgetAfterMinutes: z
        .number()
        .positive()
        .max(7 * 24 * 60)
        .default(60),
    })
    .prefault({}),
});

export type AuthConfig = z.infer<typeof authSchema>;
export type LockoutConfig = AuthConfig["lockout"];
