/**
 * The one interface through which the renderer reaches the core (docs/architecture.md): in the browser it
 * is implemented over HTTP (`renderer/src/lib/api/http.ts`), in the desktop app over IPC/preload. Image
 * data does not go through it: it takes the DICOMweb path in both (`renderer/src/lib/api/dicomweb.ts`).
 *
 * Every method either resolves with the validated answer or rejects with an `ApiError`.
 */
import type { z } from "zod";
import type { Permission, Priority, ReadingStatus, Role, StudySortKey } from "./domain.js";
import type { Measurement, MeasurementBody, StudyMeasurements } from "./measurements.js";
import type {
  loginBody,
  meResponse,
  readingState,
  sessionResponse,
  setupBody,
  setupState,
  statusBody,
  studyList,
  studyRow,
} from "./schemas.js";

export type { Permission, Priority, ReadingStatus, Role, StudySortKey } from "./domain.js";
export type { Measurement, MeasurementBody, MeasurementKind, StudyMeasurements } from "./measurements.js";

export type LoginRequest = z.input<typeof loginBody>;
export type SetupRequest = z.input<typeof setupBody>;
export type Session = z.output<typeof sessionResponse>;
export type SetupState = z.output<typeof setupState>;
export type Me = Omit<z.output<typeof meResponse>, "permissions" | "role"> & {
  role: Role;
  permissions: Permission[];
};
export type StudyRow = z.output<typeof studyRow>;
export type StudyList = z.output<typeof studyList>;
export type StatusChange = z.input<typeof statusBody>;
export type ReadingState = z.output<typeof readingState>;

/** What `GET /api/studies` filters by; every field optional (the server's defaults: newest first, 100 rows). */
export interface StudyListQuery {
  /** The search box: start of any patient name component, or of the patient ID or accession number. */
  q?: string;
  /** Start of a name component, or a DICOM wildcard pattern (`SMITH^J*`). */
  patientName?: string;
  /** Exact, or with `*`/`?`. */
  patientId?: string;
  /** Exact, or with `*`/`?`. */
  accessionNumber?: string;
  studyInstanceUid?: string;
  /** Study date on or after, YYYY-MM-DD. */
  from?: string;
  /** Study date on or before, YYYY-MM-DD. */
  to?: string;
  /** Studies with a series of any of these modalities. */
  modality?: string[];
  /** Words in the study description. */
  description?: string;
  status?: ReadingStatus[];
  priority?: Priority[];
  sort?: StudySortKey;
  order?: "asc" | "desc";
  limit?: number;
  offset?: number;
}

export interface CallOptions {
  /** Abandons the call (it then rejects with an AbortError, not an ApiError). */
  signal?: AbortSignal;
}

export interface HilumApi {
  /** Whether first-run setup is needed (no account exists), and the rules for the first admin's credentials. */
  setupState(options?: CallOptions): Promise<SetupState>;
  /** Creates the first admin and signs in as it (409 once any account exists). */
  setup(request: SetupRequest): Promise<Session>;
  /** Signs in (401 wrong name or password, 429 locked out: `retryAfterSeconds`). */
  login(request: LoginRequest): Promise<Session>;
  /** Ends the session (never fails for a session that has already ended). */
  logout(): Promise<void>;
  /** The signed-in user and what the role may do (401 without a session). */
  me(options?: CallOptions): Promise<Me>;
  /** One page of the study list with reading status and priority. */
  listStudies(query?: StudyListQuery, options?: CallOptions): Promise<StudyList>;
  /** One study's row of the list (the viewer's header: patient, date, status); undefined when unknown. */
  getStudy(studyInstanceUid: string, options?: CallOptions): Promise<StudyRow | undefined>;
  /** Sets reading status (and priority, unchanged when absent); needs `studies:report` (403 otherwise). */
  setStudyStatus(studyInstanceUid: string, change: StatusChange): Promise<ReadingState>;
  /** Every measurement and annotation drawn on the study's images, oldest first (404 unknown study). */
  listMeasurements(studyInstanceUid: string, options?: CallOptions): Promise<StudyMeasurements>;
  /**
   * Creates or changes the measurement `id` (chosen by the caller, e.g. a UUID) on an instance; needs
   * `studies:report` (403 otherwise), 404 for an unknown instance.
   */
  putMeasurement(sopInstanceUid: string, id: string, body: MeasurementBody): Promise<Measurement>;
  /** Removes a measurement; needs `studies:report` (403 otherwise), 404 when it is not there. */
  deleteMeasurement(sopInstanceUid: string, id: string): Promise<void>;
}

/** One invalid field of a 400 answer. */
export interface FieldError {
  field: string;
  message: string;
}

/**
 * A call that failed: the server's problem details (RFC 9457) when it sent them, else what is known.
 * `status` is 0 when no answer came (network down, server gone) or the answer could not be understood.
 */
export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly status: number;
  readonly title: string;
  readonly detail: string | undefined;
  /** 400: each invalid field. */
  readonly errors: readonly FieldError[];
  /** 429/503: seconds until a retry may succeed (Retry-After, or the problem's own field). */
  readonly retryAfterSeconds: number | undefined;

  constructor(init: {
    status: number;
    title: string;
    detail?: string;
    errors?: readonly FieldError[];
    retryAfterSeconds?: number;
  }) {
    super(init.detail ?? init.title);
    this.status = init.status;
    this.title = init.title;
    this.detail = init.detail;
    this.errors = init.errors ?? [];
    this.retryAfterSeconds = init.retryAfterSeconds;
  }

  /** No valid session: sign in again. */
  get unauthorized(): boolean {
    return this.status === 401;
  }

  /** The role may not do this. */
  get forbidden(): boolean {
    return this.status === 403;
  }
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}
