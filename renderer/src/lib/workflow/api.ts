/**
 * The modality workflow's calls (docs/workflow.md) over HTTP, with the same conventions as `HttpApi`:
 * same-origin fetch with the session cookie, answers checked against the shared schemas, failures as
 * `ApiError` with the server's problem details, a 401 reported to the app.
 */
import type { z } from "zod";
import {
  commitmentList,
  correctionResult,
  csvImportResult,
  mppsList,
  qcList,
  worklistItem,
  worklistList,
  type Demographics,
  type ScheduledProcedureInput,
  type WorklistStatus,
} from "../../../../shared/api/workflow.js";
import { notifyUnauthorized } from "../api/index.js";
import { errorFromResponse } from "../api/http.js";

async function call<T extends z.ZodType | undefined>(
  method: string,
  path: string,
  schema: T,
  body?: unknown,
): Promise<T extends z.ZodType ? z.output<T> : undefined> {
  const response = await fetch(path, {
    method,
    headers: {
      accept: "application/json",
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
    cache: "no-store",
  });
  const text = await response.text();
  if (!response.ok) {
    const error = errorFromResponse(response.status, response.headers, text);
    if (response.status === 401) notifyUnauthorized(error);
    throw error;
  }
  return (schema ? schema.parse(JSON.parse(text)) : undefined) as T extends z.ZodType
    ? z.output<T>
    : undefined;
}

export const workflowApi = {
  worklist: (query: { date?: string; status?: WorklistStatus } = {}) => {
    const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v) as Array<[string, string]>);
    const search = params.toString();
    return call("GET", `/api/worklist${search ? `?${search}` : ""}`, worklistList);
  },
  schedule: (body: ScheduledProcedureInput) => call("POST", "/api/worklist", worklistItem, body),
  importCsv: (csv: string) => call("POST", "/api/worklist/import", csvImportResult, { csv }),
  setStatus: (id: number, status: WorklistStatus) =>
    call("PUT", `/api/worklist/${id}/status`, worklistItem, { status }),
  mpps: () => call("GET", "/api/mpps", mppsList),
  commitments: () => call("GET", "/api/commitments", commitmentList),
  qc: (state?: "open" | "corrected" | "dismissed") =>
    call("GET", `/api/qc${state ? `?state=${state}` : ""}`, qcList),
  correct: (id: number, demographics?: Demographics) =>
    call("POST", `/api/qc/${id}/correct`, correctionResult, demographics ? { demographics } : {}),
  dismiss: (id: number, reason: string) => call("POST", `/api/qc/${id}/dismiss`, undefined, { reason }),
  merge: (source: string, target: string) =>
    call("POST", "/api/patients/merge", correctionResult, {
      source: { patientId: source },
      target: { patientId: target },
    }),
  split: (studyUid: string, seriesInstanceUids: string[], patient?: Demographics) =>
    call("POST", `/api/studies/${encodeURIComponent(studyUid)}/split`, correctionResult, {
      seriesInstanceUids,
      ...(patient ? { patient } : {}),
    }),
};

/** "DOE^JANE^Q" → "DOE, JANE Q" for tables. */
export function displayName(name: string | null): string {
  if (!name) return "";
  const [family = "", given = "", middle = ""] = name.split("=")[0]!.split("^");
  return [family, [given, middle].filter(Boolean).join(" ")].filter(Boolean).join(", ");
}

/** DA "YYYYMMDD" and TM "HHMMSS" → "YYYY-MM-DD HH:MM". */
export function displayDateTime(date: string | null, time?: string | null): string {
  if (!date) return "";
  const day = /^\d{8}/.test(date) ? `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}` : date;
  const clock = time ?? date.slice(8);
  return /^\d{4}/.test(clock) ? `${day} ${clock.slice(0, 2)}:${clock.slice(2, 4)}` : day;
}
