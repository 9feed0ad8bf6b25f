/**
 * A streaming parser for multipart bodies (RFC 2046 §5.1, as multipart/related uses them, RFC 2387):
 * parts are handed to their sink chunk by chunk as the bytes arrive, so a request of any size goes
 * through a bounded amount of memory, and the writer's backpressure paces the reading.
 */

/** A request the parser cannot take: the status tells the client what to fix. */
export class MultipartError extends Error {
  override name = "MultipartError";
  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
  ) {
    super(message);
  }
}

export interface MediaType {
  /** Lowercase `type/subtype`. */
  type: string;
  /** Parameters by lowercase name, values unquoted. */
  params: Map<string, string>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Parses a Content-Type value (RFC 9110 §8.3.1): `type/subtype *( ; name=value )`, values token or quoted. */
export function parseMediaType(value: string): MediaType | undefined {
  const slash = value.indexOf("/");
  const semi = value.indexOf(";");
  const head = (semi < 0 ? value : value.slice(0, semi)).trim();
  if (slash < 0) return undefined;
  const [type, subtype, ...rest] = head.split("/");
  if (rest.length > 0 || !type || !subtype || !TOKEN.test(type) || !TOKEN.test(subtype)) return undefined;
  const params = new Map<string, string>();
  let pos = semi < 0 ? value.length : semi;
  while (pos < value.length) {
    // At a ';': skip it and the whitespace after it.
    pos++;
    while (pos < value.length && (value[pos] === " " || value[pos] === "\t")) pos++;
    if (pos >= value.length) break;
    if (value[pos] === ";") continue;
    const eq = value.indexOf("=", pos);
    if (eq < 0) return undefined;
    const name = value.slice(pos, eq).trim().toLowerCase();
    if (!TOKEN.test(name)) return undefined;
    pos = eq + 1;
    let parameter = "";
    if (value[pos] === '"') {
      pos++;
      for (;;) {
        if (pos >= value.length) return undefined; // unterminated quoted string
        const c = value[pos]!;
        if (c === '"') break;
        if (c === "\\" && pos + 1 < value.length) pos++;
        parameter += value[pos];
        pos++;
      }
      pos++;
      while (pos < value.length && (value[pos] === " " || value[pos] === "\t")) pos++;
      if (pos < value.length && value[pos] !== ";") return undefined;
    } else {
      const end = value.indexOf(";", pos);
      parameter = value.slice(pos, end < 0 ? value.length : end).trim();
      pos = end < 0 ? value.length : end;
    }
    if (!params.has(name)) params.set(name, parameter);
  }
  return { type: `${type}/${subtype}`.toLowerCase(), params };
}

/**
 * RFC 2046 §5.1.1: characters from `bchars`, not ending in a space. The RFC allows 70 at most, but
 * Orthanc's DICOMweb plugin writes 73 (two UUIDs), so up to 200 are taken.
 */
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,199}[0-9A-Za-z'()+_,\-./:=?]$/;

export function validBoundary(boundary: string): boolean {
  return BOUNDARY.test(boundary);
}

/** A part's header fields, by lowercase name (a repeated field keeps its first value). */
export type PartHeaders = ReadonlyMap<string, string>;

/** Where one part's bytes go. `write` returns a promise when the caller should wait (backpressure). */
export interface PartSink {
  write(chunk: Buffer): Promise<void> | undefined;
  /** The part's last byte has been written. */
  end(): void | Promise<void>;
}

export interface MultipartOptions {
  /** Largest header block of one part (default 16 KiB). */
  maxHeaderBytes?: number;
  /** Largest body, multipart framing included: beyond it the parse fails with 413. */
  maxBytes?: number;
  /** Most parts in one body (default 100,000). */
  maxParts?: number;
}

type State = "preamble" | "after-delimiter" | "headers" | "body" | "end";

const CRLF = Buffer.from("\r\n");
const HEADER_END = Buffer.from("\r\n\r\n");
const EMPTY = Buffer.alloc(0);

/**
 * Splits a multipart body fed chunk by chunk. The body is read as if preceded by CRLF, so the first
 * delimiter needs none before it; the preamble and the epilogue are ignored. Every part must have
 * a header block (a part with none is refused: a DICOMweb part always names its Content-Type).
 */
export class MultipartParser {
  private state: State = "preamble";
  /** Bytes not yet consumed: in a body, at most the delimiter's length minus one. */
  private pending: Buffer = CRLF;
  private readonly delimiter: Buffer;
  private sink?: PartSink;
  private bytes = 0;
  private partCount = 0;
  private readonly maxHeaderBytes: number;
  private readonly maxParts: number;

  constructor(
    boundary: string,
    private readonly onPart: (headers: PartHeaders, index: number) => PartSink,
    private readonly options: MultipartOptions = {},
  ) {
    if (!validBoundary(boundary)) {
      throw new MultipartError(400, "the multipart boundary must be 1 to 200 characters of RFC 2046 bchars");
    }
    this.delimiter = Buffer.from(`\r\n--${boundary}`, "latin1");
    this.maxHeaderBytes = options.maxHeaderBytes ?? 16 * 1024;
    this.maxParts = options.maxParts ?? 100_000;
  }

  /** Parts whose headers were read so far. */
  get parts(): number {
    return this.partCount;
  }

  /** Bytes fed so far. */
  get received(): number {
    return this.bytes;
  }

  async write(chunk: Buffer): Promise<void> {
    this.bytes += chunk.length;
    if (this.options.maxBytes !== undefined && this.bytes > this.options.maxBytes) {
      throw new MultipartError(413, `the request body exceeds the limit of ${this.options.maxBytes} bytes`);
    }
    if (this.state === "end") return; // the epilogue
    let buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    for (;;) {
      switch (this.state) {
        case "preamble": {
          const at = buf.indexOf(this.delimiter);
          if (at < 0) {
            this.pending = keepTail(buf, this.delimiter.length - 1);
            return;
          }
          buf = buf.subarray(at + this.delimiter.length);
          this.state = "after-delimiter";
          break;
        }
        case "after-delimiter": {
          if (buf.length < 2) {
            this.pending = buf;
            return;
          }
          if (buf[0] === 0x2d && buf[1] === 0x2d) {
            this.state = "end";
            this.pending = EMPTY;
            return;
          }
          const eol = buf.indexOf(CRLF);
          if (eol < 0) {
            if (buf.length > 256) throw this.malformed("the boundary delimiter is not followed by CRLF");
            this.pending = buf;
            return;
          }
          // Transport padding (linear white space) may follow a delimiter, nothing else.
          for (let i = 0; i < eol; i++) {
            if (buf[i] !== 0x20 && buf[i] !== 0x09) {
              throw this.malformed("the boundary delimiter is not followed by CRLF");
            }
          }
          buf = buf.subarray(eol + 2);
          this.state = "headers";
          break;
        }
        case "headers": {
          const end = buf.length >= 2 && buf[0] === 0x0d && buf[1] === 0x0a ? -2 : buf.indexOf(HEADER_END);
          if (end === -2) {
            throw this.malformed(`part ${this.partCount + 1} has no header fields (no Content-Type)`);
          }
          if (end < 0) {
            if (buf.length > this.maxHeaderBytes) {
              throw this.malformed(
                `the header block of part ${this.partCount + 1} is longer than ${this.maxHeaderBytes} bytes, or never ends with an empty line`,
              );
            }
            this.pending = buf;
            return;
          }
          const headers = this.parseHeaders(buf.subarray(0, end));
          buf = buf.subarray(end + HEADER_END.length);
          if (this.partCount >= this.maxParts) {
            throw new MultipartError(413, `the request holds more than ${this.maxParts} parts`);
          }
          this.sink = this.onPart(headers, this.partCount);
          this.partCount++;
          this.state = "body";
          break;
        }
        case "body": {
          const sink = this.sink!;
          const at = buf.indexOf(this.delimiter);
          if (at < 0) {
            const keep = this.delimiter.length - 1;
            if (buf.length > keep) {
              const wait = sink.write(buf.subarray(0, buf.length - keep));
              this.pending = Buffer.from(buf.subarray(buf.length - keep));
              if (wait) await wait;
            } else {
              this.pending = buf;
            }
            return;
          }
          if (at > 0) {
            const wait = sink.write(buf.subarray(0, at));
            if (wait) await wait;
          }
          this.sink = undefined;
          await sink.end();
          buf = buf.subarray(at + this.delimiter.length);
          this.state = "after-delimiter";
          break;
        }
      }
    }
  }

  /** The body has ended: it must have ended after the close delimiter. */
  end(): void {
    switch (this.state) {
      case "end":
        return;
      case "preamble":
        throw this.malformed("the body holds no boundary delimiter: it is empty, or not multipart");
      case "body":
        throw this.malformed(
          `the body ends inside part ${this.partCount}: truncated, or the close delimiter is missing`,
        );
      default:
        throw this.malformed(
          "the body ends without the close delimiter (the boundary followed by two hyphens)",
        );
    }
  }

  private malformed(message: string): MultipartError {
    return new MultipartError(400, `malformed multipart body: ${message}`);
  }

  private parseHeaders(block: Buffer): PartHeaders {
    const headers = new Map<string, string>();
    const lines: string[] = [];
    for (const line of block.toString("latin1").split("\r\n")) {
      // Obsolete line folding: a line starting with white space continues the previous one.
      if ((line.startsWith(" ") || line.startsWith("\t")) && lines.length > 0) {
        lines[lines.length - 1] += ` ${line.trim()}`;
      } else {
        lines.push(line);
      }
    }
    for (const line of lines) {
      const colon = line.indexOf(":");
      const name = colon > 0 ? line.slice(0, colon).trim().toLowerCase() : "";
      if (!TOKEN.test(name)) {
        throw this.malformed(`part ${this.partCount + 1} has a header line that is not "Name: value"`);
      }
      if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
    }
    return headers;
  }
}

function keepTail(buf: Buffer, length: number): Buffer {
  return buf.length <= length ? buf : Buffer.from(buf.subarray(buf.length - length));
}

/**
 * Feeds a whole body through a parser; resolves with the number of parts once the close delimiter
 * was seen, rejects with a MultipartError when the body is malformed, truncated or too large.
 */
export async function parseMultipart(
  body: AsyncIterable<Buffer | Uint8Array | string>,
  boundary: string,
  onPart: (headers: PartHeaders, index: number) => PartSink,
  options: MultipartOptions = {},
): Promise<number> {
  const parser = new MultipartParser(boundary, onPart, options);
  for await (const chunk of body) {
    await parser.write(
      typeof chunk === "string"
        ? Buffer.from(chunk, "latin1")
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength),
    );
  }
  parser.end();
  return parser.parts;
}
