/**
 * The writer side of multipart/related (RFC 2387, PS3.18 §8.7.3.2): parts streamed one after another,
 * each from its own source, so a study of any size leaves the archive with one part's chunk in memory
 * at a time. Also the Accept header parsing (RFC 9110 §12.5.1) the DICOMweb routes negotiate with.
 */
import { createHash } from "node:crypto";
import { Readable } from "node:stream";

export interface MultipartPart {
  /** The part's Content-Type, e.g. `application/dicom; transfer-syntax=1.2.840.10008.1.2.1`. */
  contentType: string;
  /** Extra part headers (Content-Location, Content-Length…). */
  headers?: Record<string, string>;
  /** The part's bytes. */
  body: Readable | Buffer;
}

const CRLF = "\r\n";

/**
 * A boundary derived from `seed` (e.g. the response's ETag), so that the same content always gives the
 * same bytes and a strong ETag stays truthful. 40 hex digits of SHA-256: no DICOM object will hold it.
 */
export function boundaryFor(seed: string): string {
  return `hilum-${createHash("sha256").update(seed).digest("hex").slice(0, 40)}`;
}

/** `multipart/related; type="application/dicom"; boundary=…` */
export function multipartContentType(type: string, boundary: string): string {
  return `multipart/related; type="${type}"; boundary=${boundary}`;
}

function partHead(boundary: string, part: MultipartPart, first: boolean): Buffer {
  const lines = [`${first ? "" : CRLF}--${boundary}`, `Content-Type: ${part.contentType}`];
  for (const [name, value] of Object.entries(part.headers ?? {})) lines.push(`${name}: ${value}`);
  return Buffer.from(`${lines.join(CRLF)}${CRLF}${CRLF}`, "latin1");
}

/**
 * A multipart/related body of parts whose bytes are at hand, as the chunks to send one after another: the
 * same bytes as multipartStream, the bodies not copied.
 */
export function multipartChunks(
  parts: ReadonlyArray<MultipartPart & { body: Buffer }>,
  boundary: string,
): Buffer[] {
  const chunks: Buffer[] = [];
  parts.forEach((part, i) => chunks.push(partHead(boundary, part, i === 0), part.body));
  chunks.push(Buffer.from(`${parts.length === 0 ? "" : CRLF}--${boundary}--${CRLF}`, "latin1"));
  return chunks;
}

/**
 * The body of a multipart/related response. Parts are pulled as the socket drains (back-pressure of the
 * stream machinery), so an async generator of parts opens each one only when its turn comes;
 * destroying the result (a client that went away) closes the part being read and stops the generator.
 */
export function multipartStream(
  parts: Iterable<MultipartPart> | AsyncIterable<MultipartPart>,
  boundary: string,
): Readable {
  async function* generate(): AsyncGenerator<Buffer> {
    let first = true;
    for await (const part of parts) {
      yield partHead(boundary, part, first);
      first = false;
      if (Buffer.isBuffer(part.body)) {
        yield part.body;
        continue;
      }
      for await (const chunk of part.body) yield chunk as Buffer;
    }
    yield Buffer.from(`${first ? "" : CRLF}--${boundary}--${CRLF}`, "latin1");
  }
  return Readable.from(generate(), { objectMode: false });
}

// ---------------------------------------------------------------------------------------------------------
// Accept

export interface MediaRange {
  /** Lowercase, e.g. "multipart/related", "application/dicom", "*\/*". */
  mediaType: string;
  /** Parameters other than q, names lowercase, values unquoted (case kept). */
  params: Map<string, string>;
  q: number;
  /** Position in the header, to keep the client's order among equal q. */
  index: number;
}

/** Splits on `sep` outside double quotes. */
function splitOutsideQuotes(text: string, sep: string): string[] {
  const out: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '"') quoted = !quoted;
    if (ch === "\\" && quoted && i + 1 < text.length) {
      current += ch + (text[++i] as string);
      continue;
    }
    if (ch === sep && !quoted) {
      out.push(current);
      current = "";
    } else current += ch;
  }
  out.push(current);
  return out;
}

function unquote(value: string): string {
  const v = value.trim();
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1).replace(/\\(.)/g, "$1");
  return v;
}

/**
 * The media ranges of an Accept header, best first (q descending, then the client's order); ranges
 * with q=0 are left out. An absent or empty header is `*\/*`. Malformed ranges are skipped.
 */
export function parseAccept(header: string | string[] | undefined): MediaRange[] {
  const text = Array.isArray(header) ? header.join(",") : (header ?? "");
  if (text.trim() === "") return [{ mediaType: "*/*", params: new Map(), q: 1, index: 0 }];
  const ranges: MediaRange[] = [];
  splitOutsideQuotes(text, ",").forEach((raw, index) => {
    const [type = "", ...rawParams] = splitOutsideQuotes(raw, ";");
    const mediaType = type.trim().toLowerCase();
    if (!/^[a-z0-9!#$%&'*+.^_`|~-]+\/[a-z0-9!#$%&'*+.^_`|~-]+$/.test(mediaType)) return;
    const params = new Map<string, string>();
    let q = 1;
    for (const param of rawParams) {
      const eq = param.indexOf("=");
      if (eq < 0) continue;
      const name = param.slice(0, eq).trim().toLowerCase();
      const value = unquote(param.slice(eq + 1));
      if (name === "q") {
        const n = Number(value);
        q = Number.isFinite(n) ? Math.min(Math.max(n, 0), 1) : 1;
      } else params.set(name, value);
    }
    if (q > 0) ranges.push({ mediaType, params, q, index });
  });
  return ranges.sort((a, b) => b.q - a.q || a.index - b.index);
}

/** Whether a media range covers a concrete media type (`*\/*`, `application/*`, or equal). */
export function rangeCovers(range: MediaRange, mediaType: string): boolean {
  if (range.mediaType === "*/*") return true;
  const [type] = mediaType.split("/");
  if (range.mediaType === `${type}/*`) return true;
  return range.mediaType === mediaType;
}
