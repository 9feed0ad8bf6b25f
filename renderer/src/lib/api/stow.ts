/**
 * Import from disk: files → STOW-RS (`POST /dicom-web/studies`, docs/conformance.md §5) in batches, with
 * upload progress and a result for every file (matched back from the answer by `stow-outcomes.ts`).
 */
import { ApiError } from "../../../../shared/api/contract.js";
import { dicomWeb } from "./dicomweb.js";
import { errorFromResponse } from "./http.js";
import {
  type FileOutcome,
  matchOutcomes,
  META_BYTES,
  parseStoreResponse,
  sopInstanceUidFromMeta,
} from "./stow-outcomes.js";

export type { FileOutcome } from "./stow-outcomes.js";

async function readSopInstanceUid(file: Blob): Promise<string | undefined> {
  try {
    return sopInstanceUidFromMeta(new Uint8Array(await file.slice(0, META_BYTES).arrayBuffer()));
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Sending.

/** Files per STOW-RS request. */
export const BATCH_FILES = 20;

export interface ImportProgress {
  /** Bytes of the files sent so far (the multipart framing not counted). */
  sentBytes: number;
  totalBytes: number;
  /** Files answered so far. */
  doneFiles: number;
  totalFiles: number;
}

export interface ImportCallbacks {
  onProgress?(progress: ImportProgress): void;
  /** Each file's outcome, as its batch is answered; `index` is its position in `files`. */
  onOutcome?(index: number, outcome: FileOutcome): void;
  signal?: AbortSignal;
  /** A 401: the session ended. */
  onUnauthorized?(error: ApiError): void;
  batchFiles?: number;
}

function boundary(): string {
  const random = new Uint8Array(12);
  crypto.getRandomValues(random);
  return `hilum-${Array.from(random, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** A multipart/related body of application/dicom parts, the files referenced rather than read into memory. */
export function multipartBody(files: readonly Blob[], mark: string): Blob {
  const parts: BlobPart[] = [];
  for (const file of files) {
    parts.push(`--${mark}\r\nContent-Type: application/dicom\r\n\r\n`, file, "\r\n");
  }
  parts.push(`--${mark}--\r\n`);
  return new Blob(parts);
}

interface Answer {
  status: number;
  headers: Headers;
  body: string;
}

function post(url: string, body: Blob, type: string, onSent: (bytes: number) => void, signal?: AbortSignal) {
  return new Promise<Answer>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.withCredentials = true;
    xhr.setRequestHeader("content-type", type);
    xhr.setRequestHeader("accept", "application/dicom+json");
    xhr.upload.onprogress = (event) => onSent(event.loaded);
    xhr.onload = () => {
      const headers = new Headers();
      for (const name of ["content-type", "retry-after"]) {
        const value = xhr.getResponseHeader(name);
        if (value !== null) headers.set(name, value);
      }
      resolve({ status: xhr.status, headers, body: xhr.responseText });
    };
    xhr.onerror = () => reject(new ApiError({ status: 0, title: "No answer", detail: "the upload failed" }));
    xhr.onabort = () => reject(new DOMException("import cancelled", "AbortError"));
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}

/**
 * Sends `files` to the archive in batches of `batchFiles`, reporting progress and each file's outcome.
 * A batch the server refuses as a whole (400, 403, 413, …) gives every file in it that refusal.
 * Resolves with all outcomes (in the order of `files`); rejects only when cancelled.
 */
export async function importFiles(
  files: readonly File[],
  callbacks: ImportCallbacks = {},
): Promise<FileOutcome[]> {
  const size = Math.max(1, callbacks.batchFiles ?? BATCH_FILES);
  const totalBytes = files.reduce((sum, file) => sum + file.size, 0);
  const outcomes: FileOutcome[] = [];
  let sentBefore = 0;
  const report = (batchSent: number) =>
    callbacks.onProgress?.({
      sentBytes: Math.min(totalBytes, sentBefore + batchSent),
      totalBytes,
      doneFiles: outcomes.length,
      totalFiles: files.length,
    });
  report(0);
  for (let start = 0; start < files.length; start += size) {
    callbacks.signal?.throwIfAborted();
    const batch = files.slice(start, start + size);
    const batchBytes = batch.reduce((sum, file) => sum + file.size, 0);
    const uids = await Promise.all(batch.map(readSopInstanceUid));
    const mark = boundary();
    const body = multipartBody(batch, mark);
    const framing = body.size - batchBytes;
    let results: FileOutcome[];
    try {
      const answer = await post(
        dicomWeb.studies(),
        body,
        `multipart/related; type="application/dicom"; boundary=${mark}`,
        (loaded) => report(Math.max(0, Math.min(batchBytes, loaded - framing))),
        callbacks.signal,
      );
      if (answer.status === 200 || answer.status === 202 || answer.status === 409) {
        let json: unknown;
        try {
          json = JSON.parse(answer.body);
        } catch {
          json = {};
        }
        results = matchOutcomes(uids, parseStoreResponse(json));
      } else {
        const error = errorFromResponse(answer.status, answer.headers, answer.body);
        if (error.status === 401) callbacks.onUnauthorized?.(error);
        const message = error.detail ? `${error.title}: ${error.detail}` : error.title;
        results = batch.map(() => ({ kind: "refused", message }));
      }
    } catch (error) {
      if (callbacks.signal?.aborted) throw error;
      const message = error instanceof ApiError ? `${error.title}: ${error.detail ?? ""}` : String(error);
      results = batch.map(() => ({ kind: "refused", message }));
    }
    sentBefore += batchBytes;
    results.forEach((outcome, offset) => {
      outcomes.push(outcome);
      callbacks.onOutcome?.(start + offset, outcome);
    });
    report(0);
  }
  return outcomes;
}
