/**
 * What the frames, bulkdata and rendered routes share: the stored image behind a request (through the
 * store's cache of open handles, its frame layout cached by storage key — archived objects are
 * content-addressed and never change), frames read as stored into reused buffers and sent without a copy,
 * imaging errors as problem+json, HTTP Range on single-part bodies (RFC 9110 §14), and the frame list of a
 * path.
 */
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { RetrieveInstance } from "../../db/database.js";
import { DicomParseError } from "../../dicom/dataset.js";
import { type ByteReader, openStoredObject } from "../../imaging/byte-reader.js";
import { ImagingError } from "../../imaging/errors.js";
import {
  loadStoredImage,
  rangesLength,
  type StoredImage,
  storedFrameRanges,
} from "../../imaging/stored-image.js";
import type { WebContext } from "../context.js";
import { HttpProblem } from "../problem.js";

// ---------------------------------------------------------------------------------------------------------
// The stored image

/**
 * Frame layouts by storage key, least recently used out, within a budget of the bytes they keep alive (a
 * CT slice's about 3 KiB: every slice of several large series fits, so a viewer going through a series
 * again and again does not parse each header again).
 */
const LAYOUTS = new Map<string, StoredImage>();
const MAX_LAYOUTS = 8192;
const LAYOUT_BUDGET = 32 * 1024 * 1024;
/** A layout that keeps more than this alive (a deflated object's pixels, a huge header) is not cached. */
const MAX_CACHED_BYTES = 256 * 1024;
let layoutBytes = 0;

function cachedLayout(key: string): StoredImage | undefined {
  const image = LAYOUTS.get(key);
  if (image) {
    // Most recently used last.
    LAYOUTS.delete(key);
    LAYOUTS.set(key, image);
  }
  return image;
}

function cacheLayout(key: string, image: StoredImage): void {
  if (image.retainedBytes > MAX_CACHED_BYTES || image.inflated || LAYOUTS.has(key)) return;
  LAYOUTS.set(key, image);
  layoutBytes += image.retainedBytes;
  for (const [oldest, old] of LAYOUTS) {
    if (layoutBytes <= LAYOUT_BUDGET && LAYOUTS.size <= MAX_LAYOUTS) break;
    LAYOUTS.delete(oldest);
    layoutBytes -= old.retainedBytes;
  }
}

/** An open object and its frame layout; close() when done (closing twice is harmless). */
export interface OpenImage {
  reader: ByteReader;
  image: StoredImage;
  row: RetrieveInstance;
  close(): Promise<void>;
}

/** The object of an index row, through the store's cache of open handles, and its (cached) frame layout. */
export async function openImage(ctx: WebContext, row: RetrieveInstance): Promise<OpenImage> {
  const reader = await openStoredObject(ctx.store, row.storageKey);
  try {
    let image = cachedLayout(row.storageKey);
    if (!image) {
      image = await loadStoredImage(reader);
      cacheLayout(row.storageKey, image);
    }
    let closing: Promise<void> | undefined;
    return { reader, image, row, close: () => (closing ??= reader.close().catch(() => undefined)) };
  } catch (error) {
    await reader.close();
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Frame bytes as stored, into reused buffers

/**
 * Buffers for frames read as stored, handed back once the response that carried them has been written to
 * the socket. A 512×512 16-bit frame is 0.5 MB: allocated afresh for every request, such buffers drive the
 * garbage collector (external memory), which cost more than reading the frame. Sizes round up to a power of
 * two (from 64 KiB), so the frames of a compressed series share a few sizes; at most `maxIdleBytes` wait.
 */
export class BufferPool {
  private readonly idle = new Map<number, Buffer[]>();
  private idleBytes = 0;

  constructor(
    readonly maxIdleBytes: number,
    /** Larger buffers are not kept. */
    readonly maxBufferBytes: number,
  ) {}

  /** A buffer of at least `length` bytes, its content undefined. */
  take(length: number): Buffer {
    const size = BufferPool.sizeFor(length);
    if (size > this.maxBufferBytes) return Buffer.allocUnsafeSlow(length);
    const buffer = this.idle.get(size)?.pop();
    if (!buffer) return Buffer.allocUnsafeSlow(size);
    this.idleBytes -= size;
    return buffer;
  }

  /** Hands a buffer from `take` back: nothing may use it any more. */
  give(buffer: Buffer): void {
    const size = buffer.length;
    if (size !== BufferPool.sizeFor(size) || size > this.maxBufferBytes) return;
    if (this.idleBytes + size > this.maxIdleBytes) return;
    const list = this.idle.get(size);
    if (list) list.push(buffer);
    else this.idle.set(size, [buffer]);
    this.idleBytes += size;
  }

  get bytesIdle(): number {
    return this.idleBytes;
  }

  static sizeFor(length: number): number {
    return length <= 65_536 ? 65_536 : 2 ** Math.ceil(Math.log2(length));
  }
}

const FRAME_BUFFERS = new BufferPool(16 * 1024 * 1024, 8 * 1024 * 1024);

/** A frame's bytes as stored, in a pooled buffer: `release()` once nothing can read `bytes` any more. */
export interface PooledFrame {
  bytes: Buffer;
  release(): void;
}

/**
 * Frame `frame` (0-based) as stored, read straight into a pooled buffer; undefined when the stored bytes
 * are not what is sent (see storedFrameRanges: the caller then goes through frameInSyntax).
 */
export async function storedFramePooled(open: OpenImage, frame: number): Promise<PooledFrame | undefined> {
  const ranges = storedFrameRanges(open.image, frame);
  if (!ranges) return undefined;
  const length = rangesLength(ranges);
  const buffer = FRAME_BUFFERS.take(length);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    FRAME_BUFFERS.give(buffer);
  };
  try {
    let at = 0;
    for (const range of ranges) {
      await open.reader.readInto(buffer, at, range.offset, range.length);
      at += range.length;
    }
  } catch (error) {
    release();
    throw error;
  }
  return { bytes: buffer.subarray(0, length), release };
}

/**
 * Sends `chunks` as the whole body, with its Content-Length, without copying them into one buffer (a frame's
 * multipart head, the frame, the close delimiter). `written` runs once the response has gone to the socket
 * — not when the client went away first: the bytes may still be queued then, so they are not reused.
 */
export function sendChunks(
  reply: FastifyReply,
  chunks: readonly Buffer[],
  written?: () => void,
): FastifyReply {
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  reply.header("Content-Length", length);
  if (written) reply.raw.once("finish", written);
  if (chunks.length === 1) return reply.send(chunks[0]);
  let index = 0;
  const body = new Readable({
    read() {
      while (index < chunks.length) if (!this.push(chunks[index++])) return;
      this.push(null);
    },
  });
  return reply.send(body);
}

/** An ImagingError as the problem a client gets; `notAnImage` is the status for an object without pixels. */
export function imagingProblem(ctx: WebContext, error: unknown, notAnImage = 404): unknown {
  if (error instanceof DicomParseError) {
    ctx.log.error({ err: error.message }, "stored object does not parse");
    return new HttpProblem(500, "Internal Server Error", `the stored object is damaged: ${error.message}`);
  }
  if (!(error instanceof ImagingError)) return error;
  switch (error.kind) {
    case "not-an-image":
      return new HttpProblem(notAnImage, notAnImage === 404 ? "Not Found" : "Not Acceptable", error.message);
    case "not-found":
      return new HttpProblem(404, "Not Found", error.message);
    case "unsupported":
      return new HttpProblem(406, "Not Acceptable", error.message);
    case "bad-request":
      return new HttpProblem(400, "Bad Request", error.message);
    default:
      ctx.log.error({ err: error.message }, "stored object cannot be read as an image");
      return new HttpProblem(500, "Internal Server Error", error.message);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Frame lists

/** The 1-based frame numbers of a `frames/{list}` segment, in the client's order; 400 when malformed. */
export function parseFrameList(text: string): number[] {
  if (!/^[0-9]{1,9}(,[0-9]{1,9})*$/.test(text) || text.length > 8192) {
    throw new HttpProblem(
      400,
      "Bad Request",
      `frame list ${JSON.stringify(text.slice(0, 80))} is not a comma-separated list of frame numbers`,
    );
  }
  const frames = text.split(",").map(Number);
  if (frames.some((n) => n < 1)) throw new HttpProblem(400, "Bad Request", "frame numbers start at 1");
  return frames;
}

/** 404 naming the first frame number the image does not have (PS3.18: the target resource does not exist). */
export function checkFrames(image: StoredImage, frames: readonly number[]): void {
  const count = image.pixels.numberOfFrames;
  const missing = frames.find((n) => n > count);
  if (missing !== undefined) {
    throw new HttpProblem(
      404,
      "Not Found",
      `frame ${missing} does not exist: the instance has ${count} frame(s)`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------
// Caching

/** A strong ETag from the parts that identify a representation (the object's SHA-256 first). */
export function etagFrom(...parts: Array<string | number>): string {
  return `"${createHash("sha256").update(parts.join("\n")).digest("hex").slice(0, 48)}"`;
}

// ---------------------------------------------------------------------------------------------------------
// Range

export interface ByteSpan {
  start: number;
  /** Inclusive. */
  end: number;
}

/**
 * The single byte range a request asks for (RFC 9110 §14.1.2), if it is to be honoured: undefined for no
 * Range, a Range this server ignores (several ranges, another unit, a malformed one — the full body is
 * sent, as §14.2 allows), or an If-Range that does not match. A range that cannot be satisfied is a 416.
 */
export function requestedRange(request: FastifyRequest, size: number, etag: string): ByteSpan | undefined {
  const header = request.headers.range;
  if (typeof header !== "string") return undefined;
  const ifRange = request.headers["if-range"];
  if (typeof ifRange === "string" && ifRange.trim() !== etag) return undefined;
  const match = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header.trim());
  if (!match || (match[1] === "" && match[2] === "")) return undefined;
  const [, first = "", last = ""] = match;
  let start: number;
  let end: number;
  if (first === "") {
    // A suffix: the last n bytes.
    const n = Number(last);
    if (n === 0) throw unsatisfiable(size, header);
    start = Math.max(size - n, 0);
    end = size - 1;
  } else {
    start = Number(first);
    end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
    if (last !== "" && Number(last) < start) return undefined; // invalid: ignored
  }
  if (start >= size) throw unsatisfiable(size, header);
  return { start, end };
}

function unsatisfiable(size: number, header: string): HttpProblem {
  return new HttpProblem(
    416,
    "Range Not Satisfiable",
    `${header.slice(0, 80)} is outside the representation of ${size} bytes`,
    { size },
  );
}

/** Sets status and headers of a single-part body that may be a range of `size` bytes; returns the span to send. */
export function rangeHeaders(reply: FastifyReply, size: number, span: ByteSpan | undefined): ByteSpan {
  reply.header("Accept-Ranges", "bytes");
  if (!span) {
    reply.header("Content-Length", size);
    return { start: 0, end: size - 1 };
  }
  reply.code(206);
  reply.header("Content-Range", `bytes ${span.start}-${span.end}/${size}`);
  reply.header("Content-Length", span.end - span.start + 1);
  return span;
}

/** A 416 carries Content-Range: bytes *\/size (RFC 9110 §15.5.17). */
export function withUnsatisfiedRange(reply: FastifyReply, error: unknown): unknown {
  if (error instanceof HttpProblem && error.status === 416) {
    reply.header("Content-Range", `bytes */${String(error.extra.size)}`);
  }
  return error;
}
