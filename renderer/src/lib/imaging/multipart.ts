/**
 * multipart/related responses (RFC 2046 §5.1, as DICOMweb frames and bulk data come): the boundary from
 * the Content-Type, each part's headers (names lower-cased) and its body as a view into the response bytes
 * (no copy). A part's Content-Length, when it has one and the delimiter follows it, saves searching the
 * body for the boundary.
 */

export interface MultipartPart {
  headers: Record<string, string>;
  body: Uint8Array;
}

export class MultipartError extends Error {}

/** A parameter of a media type (`boundary`, `type`, `transfer-syntax`), unquoted; undefined when absent. */
export function mediaTypeParameter(contentType: string, name: string): string | undefined {
  const wanted = name.toLowerCase();
  // Parameters after the first ';', values quoted (with \-escapes) or tokens.
  const re = /;\s*([^=;\s]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g;
  for (const match of contentType.matchAll(re)) {
    if (match[1]!.toLowerCase() !== wanted) continue;
    const value = match[2]!.trim();
    return value.startsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, "$1") : value;
  }
  return undefined;
}

/** The media type without parameters, lower-cased. */
export function mediaTypeOf(contentType: string): string {
  return contentType.split(";")[0]!.trim().toLowerCase();
}

function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** First index of `needle` in `haystack` at or after `from`; -1 when absent. */
export function indexOfBytes(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  const first = needle[0];
  const last = haystack.length - needle.length;
  if (first === undefined) return from <= haystack.length ? from : -1;
  for (let i = haystack.indexOf(first, from); i !== -1 && i <= last; i = haystack.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}

function matchesAt(bytes: Uint8Array, needle: Uint8Array, at: number): boolean {
  if (at < 0 || at + needle.length > bytes.length) return false;
  for (let j = 0; j < needle.length; j++) if (bytes[at + j] !== needle[j]) return false;
  return true;
}

function parseHeaders(bytes: Uint8Array): Record<string, string> {
  const headers: Record<string, string> = {};
  const text = new TextDecoder("latin1").decode(bytes);
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** The parts of a multipart body; `contentType` is the response's Content-Type (it names the boundary). */
export function parseMultipart(body: Uint8Array, contentType: string): MultipartPart[] {
  const boundary = mediaTypeParameter(contentType, "boundary");
  if (!boundary) throw new MultipartError(`no boundary in ${contentType}`);
  const dashBoundary = ascii(`--${boundary}`);
  const delimiter = ascii(`\r\n--${boundary}`);
  const crlfcrlf = ascii("\r\n\r\n");
  // The first boundary may open the body without a preceding CRLF.
  let at = matchesAt(body, dashBoundary, 0) ? 0 : indexOfBytes(body, delimiter);
  if (at < 0) throw new MultipartError("the body has no boundary");
  if (at > 0 || !matchesAt(body, dashBoundary, 0)) at += 2;
  const parts: MultipartPart[] = [];
  for (;;) {
    let pos = at + dashBoundary.length;
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) return parts; // close delimiter
    // Transport padding, then CRLF.
    while (body[pos] === 0x20 || body[pos] === 0x09) pos++;
    if (body[pos] !== 0x0d || body[pos + 1] !== 0x0a) throw new MultipartError("malformed boundary line");
    pos += 2;
    let headerEnd: number;
    let bodyStart: number;
    if (body[pos] === 0x0d && body[pos + 1] === 0x0a) {
      headerEnd = pos;
      bodyStart = pos + 2;
    } else {
      headerEnd = indexOfBytes(body, crlfcrlf, pos);
      if (headerEnd < 0) throw new MultipartError("a part's headers do not end");
      bodyStart = headerEnd + 4;
    }
    const headers = parseHeaders(body.subarray(pos, headerEnd));
    const declared = Number(headers["content-length"]);
    let end = -1;
    if (Number.isInteger(declared) && declared >= 0 && matchesAt(body, delimiter, bodyStart + declared)) {
      end = bodyStart + declared;
    } else {
      end = indexOfBytes(body, delimiter, bodyStart);
    }
    if (end < 0) throw new MultipartError("the body ends inside a part (no close delimiter)");
    parts.push({ headers, body: body.subarray(bodyStart, end) });
    at = end + 2;
  }
}
