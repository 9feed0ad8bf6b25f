/**
 * `HilumApi` over HTTP: same-origin fetch, the session in the HttpOnly cookie the server sets at login,
 * JSON both ways. Answers are checked against the shared schemas; failures become an `ApiError` carrying
 * the server's problem details (RFC 9457).
 */
import type { z } from "zod";
import {
  ApiError,
  type CallOptions,
  type HilumApi,
  type LoginRequest,
  type Me,
  type SetupRequest,
  type StatusChange,
  type StudyListQuery,
} from "../../../../shared/api/contract.js";
import {
  meResponse,
  problemDetails,
  readingState,
  sessionResponse,
  setupState,
  studyList,
} from "../../../../shared/api/schemas.js";
import { measurement, studyMeasurements, type MeasurementBody } from "../../../../shared/api/measurements.js";

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface HttpApiOptions {
  /** Where `/api` lives: "" for the page's own origin (the default), or an origin such as `http://127.0.0.1:8042`. */
  base?: string;
  fetch?: FetchLike;
  /** Called with every 401 answer except the login's own (a session that ended: sign in again). */
  onUnauthorized?: (error: ApiError) => void;
}

/** Seconds from a Retry-After header: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  406: "Not Acceptable",
  409: "Conflict",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/**
 * The `ApiError` for a failed answer: its problem details when the body is problem+json (or JSON of that
 * shape), else the status line and, for a short plain-text body, that text as the detail.
 */
export function errorFromResponse(status: number, headers: Headers, body: string): ApiError {
  const retryAfter = parseRetryAfter(headers.get("retry-after"));
  const type = headers.get("content-type") ?? "";
  const fallbackTitle = STATUS_TEXT[status] ?? `HTTP ${status}`;
  if (/^application\/(problem\+)?json/i.test(type)) {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      json = undefined;
    }
    const problem = problemDetails.safeParse(json);
    if (problem.success) {
      return new ApiError({
        status,
        title: problem.data.title ?? fallbackTitle,
        detail: problem.data.detail,
        errors: problem.data.errors,
        retryAfterSeconds: retryAfter ?? problem.data.retryAfterSeconds,
      });
    }
  }
  const text = /^text\/plain/i.test(type) ? body.trim().slice(0, 500) : "";
  return new ApiError({
    status,
    title: fallbackTitle,
    detail: text || undefined,
    retryAfterSeconds: retryAfter,
  });
}

/** The query string of a study-list query: lists comma-separated, empty values left out. */
export function studyListSearch(query: StudyListQuery): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query) as Array<[string, unknown]>) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) {
      if (value.length > 0) params.set(key, value.join(","));
    } else if (String(value).trim() !== "") {
      params.set(key, String(value));
    }
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

function measurementPath(sopInstanceUid: string, id: string): string {
  return `/api/instances/${encodeURIComponent(sopInstanceUid)}/measurements/${encodeURIComponent(id)}`;
}

export class HttpApi implements HilumApi {
  private readonly base: string;
  private readonly fetch: FetchLike;
  private readonly onUnauthorized?: (error: ApiError) => void;

  constructor(options: HttpApiOptions = {}) {
    this.base = options.base ?? "";
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.onUnauthorized = options.onUnauthorized;
  }

  setupState(options?: CallOptions) {
    return this.call("GET", "/api/setup", setupState, { signal: options?.signal });
  }

  setup(request: SetupRequest) {
    return this.call("POST", "/api/setup", sessionResponse, { body: request, quiet401: true });
  }

  login(request: LoginRequest) {
    return this.call("POST", "/api/login", sessionResponse, { body: request, quiet401: true });
  }

  async logout(): Promise<void> {
    await this.call("POST", "/api/logout", undefined, { quiet401: true });
  }

  async me(options?: CallOptions): Promise<Me> {
    return (await this.call("GET", "/api/me", meResponse, { signal: options?.signal, quiet401: true })) as Me;
  }

  listStudies(query: StudyListQuery = {}, options?: CallOptions) {
    return this.call("GET", `/api/studies${studyListSearch(query)}`, studyList, { signal: options?.signal });
  }

  async getStudy(studyInstanceUid: string, options?: CallOptions) {
    const page = await this.listStudies({ studyInstanceUid, limit: 1 }, options);
    return page.studies[0];
  }

  setStudyStatus(studyInstanceUid: string, change: StatusChange) {
    return this.call("PUT", `/api/studies/${encodeURIComponent(studyInstanceUid)}/status`, readingState, {
      body: change,
    });
  }

  listMeasurements(studyInstanceUid: string, options?: CallOptions) {
    return this.call(
      "GET",
      `/api/studies/${encodeURIComponent(studyInstanceUid)}/measurements`,
      studyMeasurements,
      {
        signal: options?.signal,
      },
    );
  }

  putMeasurement(sopInstanceUid: string, id: string, body: MeasurementBody) {
    return this.call("PUT", measurementPath(sopInstanceUid, id), measurement, { body });
  }

  async deleteMeasurement(sopInstanceUid: string, id: string): Promise<void> {
    await this.call("DELETE", measurementPath(sopInstanceUid, id), undefined);
  }

  private async call<T extends z.ZodType | undefined>(
    method: string,
    path: string,
    schema: T,
    options: { body?: unknown; signal?: AbortSignal; quiet401?: boolean } = {},
  ): Promise<T extends z.ZodType ? z.output<T> : undefined> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (options.body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await this.fetch(`${this.base}${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        credentials: "same-origin",
        cache: "no-store",
        signal: options.signal,
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new ApiError({
        status: 0,
        title: "No answer",
        detail: `the server could not be reached (${error instanceof Error ? error.message : String(error)})`,
      });
    }
    const text = await response.text();
    if (!response.ok) {
      const error = errorFromResponse(response.status, response.headers, text);
      if (error.status === 401 && !options.quiet401) this.onUnauthorized?.(error);
      throw error;
    }
    if (schema === undefined) return undefined as never;
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      throw new ApiError({ status: 0, title: "Unreadable answer", detail: `${method} ${path}: not JSON` });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ApiError({
        status: 0,
        title: "Unexpected answer",
        detail: `${method} ${path}: ${issue ? `${issue.path.join(".") || "body"}: ${issue.message}` : "invalid"}`,
      });
    }
    return parsed.data as never;
  }
}
