/**
 * What the frames, bulkdata and rendered routes share: the stored image behind a request (its frame layout
 * cached by storage key — archived objects are content-addressed and never change), imaging errors as
 * problem+json, HTTP Range on single-part bodies (RFC 9110 §14), and
 * the frame list of a path.
 */
import { createHash } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { RetrieveInstance } from "../../db/database.js";
import { DicomParseError } from "../../dicom/dataset.js";
import { type ByteReader, openStoredObject } from "../../imaging/byte-reader.js";
import { ImagingError } from "../../imaging/errors.js";
import { loadStoredImage, type StoredImage } from "../../imaging/stored-image.js";
import type { WebContext } from "../context.js";
import { HttpProblem } from "../problem.js";

// ---------------------------------------------------------------------------------------------------------
// The stored image

const LAYOUTS = new Map<string, StoredImage>();
const MAX_LAYOUTS = 256;
/** A layout that keeps more than this alive (a deflated object's pixels, a huge header) is not cached. */
const MAX_CACHED_BYTES = 256 * 1024;

/** An open object and its frame layout; close() when done (closing twice is harmless). */
export interface OpenImage {
  reader: ByteReader;
  image: StoredImage;
  row: RetrieveInstance;
  close(): Promise<void>;
}

export async function openImage(ctx: WebContext, row: RetrieveInstance): Promise<OpenImage> {
  const reader = await openStoredObject(ctx.store, row.storageKey);
  try {
    let image = LAYOUTS.get(row.storageKey);
    if (image) {
      // Most recently used last.
      LAYOUTS.delete(row.storageKey);
      LAYOUTS.set(row.storageKey, image);
    } else {
      image = await loadStoredImage(reader);
      if (image.retainedBytes <= MAX_CACHED_BYTES && !image.inflated) {
        LAYOUTS.set(row.storageKey, image);
        if (LAYOUTS.size > MAX_LAYOUTS) LAYOUTS.delete(LAYOUTS.keys().next().value as string);
      }
    }
    let closing: Promise<void> | undefined;
    return { reader, image, row, close: () => (closing ??= reader.close().catch(() => undefined)) };
  } catch (error) {
    await reader.close();
    throw error;
  }
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
