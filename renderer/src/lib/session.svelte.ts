/**
 * Who is signed in. Every page but the login page needs a session: the app asks `GET /api/setup` (is there
 * any account yet?) and then `GET /api/me`; a 401 there, or from any later call, sends the user to the
 * login page, remembering where they wanted to go (an EMR launch lands on `#/study/{uid}` before anyone has
 * signed in) so that signing in continues there.
 */
import { api, ApiError, onUnauthorized, type Me, type Permission, type SetupState } from "./api/index.js";

const NEXT_KEY = "hilum.next";
const HOME = "#/studies";

/** checking: asking the server; unreachable: it did not answer (the error says why). */
export type SessionState = "checking" | "signed-out" | "signed-in" | "unreachable";

function message(error: unknown): string {
  if (error instanceof ApiError) return error.detail ? `${error.title}: ${error.detail}` : error.title;
  return error instanceof Error ? error.message : String(error);
}

class Session {
  state = $state<SessionState>("checking");
  user = $state<Me | null>(null);
  setup = $state<SetupState | null>(null);
  /** Shown on the login page: why the user is there (a session that ended). */
  notice = $state("");
  /** Why the server could not be asked (state "unreachable"). */
  error = $state("");
  private leaving = false;

  constructor() {
    onUnauthorized(() => this.ended());
  }

  /** Whether the signed-in user's role has the permission. */
  can(permission: Permission): boolean {
    return this.user?.permissions.includes(permission) ?? false;
  }

  /** Asks the server who we are: on start, and after "unreachable". */
  async restore(): Promise<void> {
    this.state = "checking";
    try {
      this.setup = await api.setupState();
      if (this.setup.setupRequired) {
        this.user = null;
        this.state = "signed-out";
        return;
      }
      this.user = await api.me();
      this.state = "signed-in";
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        this.user = null;
        this.state = "signed-out";
        return;
      }
      this.error = message(error);
      this.state = "unreachable";
    }
  }

  /** Signs in; rejects with the ApiError (401 wrong credentials, 429 locked out) for the form to show. */
  async login(username: string, password: string): Promise<void> {
    await api.login({ username, password });
    await this.signedIn();
  }

  /** First run: creates the first admin and signs in as it. */
  async createFirstAdmin(username: string, password: string): Promise<void> {
    await api.setup({ username, password });
    await this.signedIn();
  }

  async logout(): Promise<void> {
    this.leaving = true;
    sessionStorage.removeItem(NEXT_KEY);
    try {
      await api.logout();
    } catch {
      // The session ends here either way; the cookie is HttpOnly and dies with the server's session.
    }
    this.user = null;
    this.notice = "";
    this.state = "signed-out";
  }

  /** The session is gone (a 401 from a call): back to the login page, and back here after it. */
  ended(): void {
    if (this.state !== "signed-in") return;
    this.user = null;
    this.notice = "Your session has ended. Please sign in again.";
    this.state = "signed-out";
  }

  /** Remembers the route to continue to after signing in (not after a logout: the next user starts fresh). */
  rememberNext(hash: string): void {
    if (this.leaving || hash === "" || hash.startsWith("#/login")) return;
    sessionStorage.setItem(NEXT_KEY, hash);
  }

  /** Where to go after signing in: the remembered route, once, or the study list. */
  takeNext(): string {
    const next = sessionStorage.getItem(NEXT_KEY);
    sessionStorage.removeItem(NEXT_KEY);
    return next && next.startsWith("#/") && !next.startsWith("#/login") ? next : HOME;
  }

  private async signedIn(): Promise<void> {
    this.user = await api.me();
    this.setup = this.setup ? { ...this.setup, setupRequired: false } : this.setup;
    this.notice = "";
    this.leaving = false;
    this.state = "signed-in";
  }
}

export const session = new Session();
