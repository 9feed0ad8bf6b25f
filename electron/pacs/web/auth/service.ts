import type { WebContext } from "../context.js";
import { scryptParams, type ScryptParams } from "./passwords.js";
import { SessionStore } from "./sessions.js";
import { LoginThrottle } from "./throttle.js";
import { UserStore } from "./users.js";

/** The account store, the sessions and the login back-off of one node, shared by the hook and the routes. */
export interface AuthService {
  users: UserStore;
  sessions: SessionStore;
  throttle: LoginThrottle;
  /** scrypt parameters for new hashes, from `auth.passwordHashCost`. */
  hashParams(): ScryptParams;
}

const services = new WeakMap<WebContext, AuthService>();

export function authService(ctx: WebContext): AuthService {
  let service = services.get(ctx);
  if (!service) {
    // Read on every use: a configuration change applies without a restart.
    const settings = () => ctx.config.auth;
    service = {
      users: new UserStore(ctx.index.connection),
      sessions: new SessionStore(ctx.index.connection, settings),
      throttle: new LoginThrottle(() => settings().lockout),
      hashParams: () => scryptParams(settings().passwordHashCost),
    };
    services.set(ctx, service);
  }
  return service;
}
