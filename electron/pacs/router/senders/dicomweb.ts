import { randomUUID } from "node:crypto";
import type { DicomwebDestination } from "../config.js";
import type { Copy } from "../prepare.js";
import { type CopyOutcome, type Sender, Unreachable } from "./sender.js";

/** Milliseconds a STOW-RS request may take before the destination counts as unreachable. */
const REQUEST_TIMEOUT_MS = 120_000;

interface StowResponse {
  "00081198"?: { Value?: Array<Record<string, { Value?: unknown[] }>> };
}

function authorization(destination: DicomwebDestination): Record<string, string> {
  const auth = destination.auth;
  if (!auth) return {};
  if ("bearer" in auth) return { authorization: `Bearer ${auth.bearer}` };
  const basic = Buffer.from(`${auth.basic.username}:${auth.basic.password}`).toString("base64");
  return { authorization: `Basic ${basic}` };
}

/** The multipart/related body of a STOW-RS request: one application/dicom part per Part 10 file. */
async function multipart(copies: Copy[], boundary: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const copy of copies) {
    const { part10 } = await copy.load();
    parts.push(
      Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`),
      part10,
      Buffer.from("\r\n"),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(parts);
}

/** FailureReason by SOP Instance UID, from a STOW-RS response's FailedSOPSequence. */
function failures(body: StowResponse): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of body["00081198"]?.Value ?? []) {
    const uid = item["00081155"]?.Value?.[0];
    const reason = item["00081197"]?.Value?.[0];
    if (typeof uid === "string")
      out.set(
        uid,
        `STOW-RS failure reason ${typeof reason === "number" ? `0x${reason.toString(16)}` : "unknown"}`,
      );
  }
  return out;
}

/** STOW-RS to a DICOMweb archive (the cloud tier), with bearer or basic authentication. */
export class DicomwebSender implements Sender {
  constructor(private readonly destination: DicomwebDestination) {}

  async send(copies: Copy[]): Promise<CopyOutcome[]> {
    const boundary = `hilum-${randomUUID()}`;
    const url = `${this.destination.url.replace(/\/+$/, "")}/studies`;
    let response: Response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: {
          ...this.destination.headers,
          ...authorization(this.destination),
          "content-type": `multipart/related; type="application/dicom"; boundary=${boundary}`,
          accept: "application/dicom+json",
        },
        body: await multipart(copies, boundary),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      throw new Unreachable(`STOW-RS to ${url} failed: ${(err as Error).message}`);
    }
    const text = await response.text();
    if (
      response.status >= 500 ||
      response.status === 401 ||
      response.status === 403 ||
      response.status === 404
    ) {
      throw new Unreachable(`STOW-RS to ${url} answered ${response.status} ${text.slice(0, 200)}`);
    }
    let failed = new Map<string, string>();
    try {
      failed = failures(text ? (JSON.parse(text) as StowResponse) : {});
    } catch {
      if (response.status !== 200)
        failed = new Map(copies.map((c) => [c.sopInstanceUid, `HTTP ${response.status}`]));
    }
    if (response.status === 409 && failed.size === 0) {
      failed = new Map(copies.map((c) => [c.sopInstanceUid, "HTTP 409: every instance refused"]));
    }
    return copies.map((copy) => {
      const error =
        failed.get(copy.sopInstanceUid) ??
        (response.status >= 400 && response.status !== 409 ? `HTTP ${response.status}` : undefined);
      return error ? { ok: false, error } : { ok: true, sentAs: copy.transferSyntaxUid };
    });
  }

  async close(): Promise<void> {}
}
