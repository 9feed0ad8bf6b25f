/**
 * The app session's network rules: the core's loopback origin is the only place the windows may reach;
 * every request to it carries the per-launch secret (workers and image loads included, which the preload
 * cannot reach); every response from it carries the shell's CSP; permissions are denied by default; and
 * the core's own HTTPS certificate is trusted on loopback by its fingerprint, nothing else is relaxed.
 */
import type { Session } from "electron";
import { denyPermissions, isAppUrl, withContentSecurityPolicy } from "./security.js";

export interface CoreAccess {
  origin(): string;
  secret(): string;
  /** Electron-form fingerprint of the core's HTTPS certificate, when it serves HTTPS. */
  fingerprint(): string | undefined;
}

const LOOPBACK = new Set(["127.0.0.1", "[::1]", "::1", "localhost"]);
/** Chromium's own verification result is used (net error code -3 means "use the default"). */
const USE_CHROMIUM_VERIFICATION = -3;

export function secureSession(session: Session, core: CoreAccess, onBlocked: (url: string) => void): void {
  denyPermissions(session, core.origin);
  session.webRequest.onBeforeRequest((details, callback) => {
    const foreign =
      /^(https?|wss?):/.test(details.url) && !isAppUrl(details.url.replace(/^ws/, "http"), core.origin());
    if (foreign) onBlocked(details.url);
    callback({ cancel: foreign });
  });
  session.webRequest.onBeforeSendHeaders((details, callback) => {
    const requestHeaders = { ...details.requestHeaders };
    if (isAppUrl(details.url, core.origin())) requestHeaders["Authorization"] = `Bearer ${core.secret()}`;
    callback({ requestHeaders });
  });
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: isAppUrl(details.url, core.origin())
        ? withContentSecurityPolicy(details.responseHeaders)
        : details.responseHeaders,
    });
  });
  session.setCertificateVerifyProc((request, callback) => {
    const expected = core.fingerprint();
    const ours =
      expected !== undefined &&
      LOOPBACK.has(request.hostname) &&
      request.certificate.fingerprint === expected;
    callback(ours ? 0 : USE_CHROMIUM_VERIFICATION);
  });
}
