/**
 * The little QIDO-RS the study browser needs: a study's series (for the thumbnails of an expanded row).
 * The viewer's image core reads series metadata itself.
 */
import { ApiError } from "../../../../shared/api/contract.js";
import { ACCEPT_DICOM_JSON, dicomWeb } from "./dicomweb.js";
import { errorFromResponse } from "./http.js";

export interface SeriesSummary {
  seriesInstanceUid: string;
  modality: string;
  seriesNumber: number | undefined;
  seriesDescription: string;
  instances: number | undefined;
}

type DicomJson = Record<string, { vr?: string; Value?: unknown[] } | undefined>;

function first(dataset: DicomJson, tag: string): unknown {
  return dataset[tag]?.Value?.[0];
}

function text(value: unknown): string {
  return typeof value === "string" ? value : typeof value === "number" ? String(value) : "";
}

function number(value: unknown): number | undefined {
  const n = typeof value === "number" ? value : typeof value === "string" ? Number(value) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** QIDO-RS series results (DICOM JSON) as summaries, in series number order. */
export function seriesSummaries(json: unknown): SeriesSummary[] {
  if (!Array.isArray(json)) return [];
  const out: SeriesSummary[] = [];
  for (const item of json as DicomJson[]) {
    const seriesInstanceUid = text(first(item, "0020000E"));
    if (!seriesInstanceUid) continue;
    out.push({
      seriesInstanceUid,
      modality: text(first(item, "00080060")),
      seriesNumber: number(first(item, "00200011")),
      seriesDescription: text(first(item, "0008103E")),
      instances: number(first(item, "00201209")),
    });
  }
  const key = (series: SeriesSummary) => series.seriesNumber ?? Number.MAX_SAFE_INTEGER;
  return out.sort((a, b) => key(a) - key(b));
}

export async function listSeries(studyInstanceUid: string, signal?: AbortSignal): Promise<SeriesSummary[]> {
  const url = dicomWeb.studySeries(studyInstanceUid);
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: ACCEPT_DICOM_JSON },
      credentials: "same-origin",
      signal,
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError({ status: 0, title: "No answer", detail: "the server could not be reached" });
  }
  const body = await response.text();
  if (!response.ok) throw errorFromResponse(response.status, response.headers, body);
  return seriesSummaries(body === "" ? [] : JSON.parse(body));
}
