/** Building STOW-RS requests and checking that a refused one left nothing behind. */
import { createReadStream, readdirSync, statSync } from "node:fs";
import { request as httpRequest } from "node:http";
import type { HilumNode } from "../../electron/pacs/node.js";

export const SECRET = "s".repeat(32);
export const AUTH = { authorization: `Bearer ${SECRET}` };
export const BOUNDARY = "hilum-test-boundary-7d3f";
export const STOW_TYPE = `multipart/related; type="application/dicom"; boundary=${BOUNDARY}`;

export interface Part {
  body: Buffer | Uint8Array;
  /** The part's Content-Type; default application/dicom; null for none. */
  contentType?: string | null;
  /** Extra header lines, each "Name: value". */
  headers?: string[];
}

/** A multipart/related body as RFC 2046 writes it, with the close delimiter. */
export function multipartBody(parts: readonly Part[], boundary = BOUNDARY): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const lines = [`--${boundary}`];
    if (part.contentType !== null) lines.push(`Content-Type: ${part.contentType ?? "application/dicom"}`);
    lines.push(...(part.headers ?? []));
    chunks.push(
      Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"),
      Buffer.from(part.body),
      Buffer.from("\r\n"),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`, "latin1"));
  return Buffer.concat(chunks);
}

export interface StowAnswer {
  status: number;
  contentType: string;
  body: Record<string, { vr: string; Value?: unknown[] }>;
  text: string;
}

export async function answerOf(response: Response): Promise<StowAnswer> {
  const text = await response.text();
  let body = {};
  try {
    body = JSON.parse(text) as Record<string, never>;
  } catch {
    // not JSON: the test looks at `text`
  }
  return { status: response.status, contentType: response.headers.get("content-type") ?? "", body, text };
}

/** POSTs a body to STOW-RS with the launch secret. */
export async function stow(
  base: string,
  body: Buffer | ReadableStream<Uint8Array>,
  opts: { path?: string; contentType?: string; headers?: Record<string, string> } = {},
): Promise<StowAnswer> {
  const response = await fetch(`${base}${opts.path ?? "/dicom-web/studies"}`, {
    method: "POST",
    headers: { ...AUTH, "content-type": opts.contentType ?? STOW_TYPE, ...opts.headers },
    body,
    ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
  } as RequestInit);
  return answerOf(response);
}

/** Items of a sequence element of a DICOM JSON response. */
export function items(answer: StowAnswer, tag: string): Record<string, { vr: string; Value?: unknown[] }>[] {
  return (answer.body[tag]?.Value ?? []) as Record<string, { vr: string; Value?: unknown[] }>[];
}

export function value(item: Record<string, { Value?: unknown[] }> | undefined, tag: string): unknown {
  return item?.[tag]?.Value?.[0];
}

/** Files of a folder tree (the archive's staging folder must be empty after any refusal). */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = `${dir}/${name}`;
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out;
}

/** What a refused request must leave unchanged: the index counts, and no file in staging. */
export async function archiveState(node: HilumNode) {
  await node.ingest.idle();
  return { counts: node.index.counts(), staging: filesUnder(node.store.stagingDir) };
}

/**
 * Streams files from disk as one STOW-RS request with node:http (a Content-Length, no body in memory),
 * so the client's own memory does not distort a measurement of the server.
 */
export function stowFiles(
  url: string,
  files: readonly string[],
  headers: Record<string, string> = AUTH,
): Promise<{ status: number; text: string; bytes: number }> {
  const head = (i: number) =>
    Buffer.from(`${i === 0 ? "" : "\r\n"}--${BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
  let length = tail.length;
  files.forEach((file, i) => (length += head(i).length + statSync(file).size));
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${url}/dicom-web/studies`,
      {
        method: "POST",
        headers: { ...headers, "content-type": STOW_TYPE, "content-length": String(length) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString(), bytes: length }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    void (async () => {
      for (const [i, file] of files.entries()) {
        if (!req.write(head(i))) await new Promise((r) => req.once("drain", r));
        for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 })) {
          if (!req.write(chunk)) await new Promise((r) => req.once("drain", r));
        }
      }
      req.end(tail);
    })().catch(reject);
  });
}
