/**
 * The app's one `HilumApi`. In the browser it is HTTP to the page's own origin; the desktop app will put its
 * IPC implementation here instead. Pages import `api` from this module, never `HttpApi` directly.
 */
import type { ApiError, HilumApi } from "../../../../shared/api/contract.js";
import { HttpApi } from "./http.js";

const unauthorizedListeners = new Set<(error: ApiError) => void>();

/** Called when any call finds the session gone (a 401), so the app can send the user to the login page. */
export function onUnauthorized(listener: (error: ApiError) => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export function notifyUnauthorized(error: ApiError): void {
  for (const listener of unauthorizedListeners) listener(error);
}

export const api: HilumApi = new HttpApi({ onUnauthorized: notifyUnauthorized });

export { ApiError, isApiError } from "../../../../shared/api/contract.js";
export type {
  HilumApi,
  Me,
  Permission,
  Priority,
  ReadingState,
  ReadingStatus,
  Role,
  SetupState,
  StudyList,
  StudyListQuery,
  StudyRow,
  StudySortKey,
} from "../../../../shared/api/contract.js";
