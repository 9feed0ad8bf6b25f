/**
 * WADO-RS Retrieve Frames (PS3.18 §10.4.1.1.4):
 * `GET /dicom-web/studies/{s}/series/{se}/instances/{i}/frames/{list}` — one part per frame, in the
 * transfer syntax the Accept header negotiates (frame-negotiation.ts), transcoded frame by frame when it
 * differs from the stored one. One frame asked for with a single-part media type (e.g.
 * `application/octet-stream`) comes as that one body, and honours HTTP Range.
 *
 * A frame number the instance does not have is a 404 (the target resource does not exist, PS3.18 §8.3.3
 * and Table 10.4.1-2); a malformed list is a 400.
 *
 * `registerFrames` also registers the bulkdata (bulkdata.ts) and rendered/thumbnail (rendered.ts) routes.
 */
import { createHash } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { frameInSyntax, servedAsStored } from "../../imaging/frame-syntax.js";
import { auditAccessCoalesced } from "../audit.js";
import { requirePermission } from "../auth/guard.js";
import type { WebContext } from "../context.js";
import { registerBulkdata } from "./bulkdata.js";
import { type FrameRepresentation, negotiateFrames } from "./frame-negotiation.js";
import { type MultipartPart, multipartChunks, multipartContentType, multipartStream } from "./multipart.js";
import { dicomWebBase, uidParams, validateUidParams } from "./paths.js";
import {
  type OpenImage,
  type PooledFrame,
  checkFrames,
  imagingProblem,
  openImage,
  parseFrameList,
  rangeHeaders,
  requestedRange,
  sendChunks,
  storedFramePooled,
  withUnsatisfiedRange,
} from "./pixel-http.js";
import { registerRendered } from "./rendered.js";
import { answerCached, ifNoneMatch, instancesAt } from "./retrieve.js";

/** The Content-Type of a frame part or single-part body. */
export function frameContentType(representation: FrameRepresentation): string {
  return `${representation.mediaType}; transfer-syntax=${representation.transferSyntaxUid}`;
}

/**
 * Multipart parts of frames (1-based numbers) produced one by one as the response drains; the object is
 * closed when the last part is done or the client goes away. `first`: the first frame's body, made before
 * the response started so that a frame that cannot be produced is still a proper error status.
 */
export async function* frameParts(
  open: OpenImage,
  frames: readonly number[],
  representation: FrameRepresentation,
  location: (frame: number) => string,
  first?: Buffer,
): AsyncGenerator<MultipartPart> {
  try {
    for (const [i, frame] of frames.entries()) {
      const body =
        i === 0 && first
          ? first
          : await frameInSyntax(open.reader, open.image, frame - 1, representation.transferSyntaxUid);
      yield {
        contentType: frameContentType(representation),
        headers: { "Content-Location": location(frame), "Content-Length": String(body.length) },
        body,
      };
    }
  } finally {
    await open.close();
  }
}

/**
 * Representations are few (media type, syntax, packaging): each one's ETag component is hashed once. The
 * rest of a frame's ETag is the object's SHA-256 (its storage key) and the frame number, as they are.
 */
const REPRESENTATION_TAGS = new Map<string, string>();

function representationTag(representation: FrameRepresentation): string {
  const key = `${representation.multipart ? "multipart" : "single"}\n${frameContentType(representation)}`;
  let tag = REPRESENTATION_TAGS.get(key);
  if (tag === undefined) {
    tag = createHash("sha256").update(key).digest("hex").slice(0, 16);
    if (REPRESENTATION_TAGS.size < 256) REPRESENTATION_TAGS.set(key, tag);
  }
  return tag;
}

/**
 * A strong ETag for frames of an object in a representation, all hex: the object's SHA-256 (64), the
 * representation's tag (16), then the frame number (at most 8 hex digits) or a hash of a list of several
 * (32). Nothing is hashed for one frame in a representation seen before.
 */
export function framesEtag(
  sha256: string,
  frames: readonly number[],
  representation: FrameRepresentation,
): string {
  const list =
    frames.length === 1
      ? frames[0]!.toString(16)
      : createHash("sha256").update(frames.join(",")).digest("hex").slice(0, 32);
  return `"${sha256}${representationTag(representation)}${list}"`;
}

/**
 * The boundary of a frames response: from its ETag's object and representation parts, so equal ETags still
 * mean equal bytes; no frame of an object can hold a prefix of its own SHA-256 (70 characters, RFC 2046's
 * limit).
 */
function framesBoundary(etag: string): string {
  return `hilum-${etag.slice(1, 65)}`;
}

async function retrieveFrames(ctx: WebContext, request: FastifyRequest, reply: FastifyReply) {
  const path = uidParams(request);
  const frames = parseFrameList((request.params as { frames: string }).frames);
  const row = instancesAt(ctx, path)[0]!;
  let open: OpenImage | undefined = await openImage(ctx, row).catch((error: unknown) => {
    throw imagingProblem(ctx, error);
  });
  let pooled: PooledFrame | undefined;
  try {
    const { image } = open;
    checkFrames(image, frames);
    const representation = negotiateFrames(
      request.headers.accept,
      image,
      frames.length === 1 ? "any" : "none",
    );
    const etag = framesEtag(row.sha256, frames, representation);
    const audit = (detail: Record<string, unknown>) =>
      auditAccessCoalesced(ctx, request, {
        action: "retrieve-frames",
        studyUid: row.studyInstanceUid,
        seriesUid: row.seriesInstanceUid,
        sopInstanceUid: row.sopInstanceUid,
        detail: { frames: frames.length, transferSyntax: representation.transferSyntaxUid, ...detail },
      });
    if (ifNoneMatch(request, etag)) {
      answerCached(ctx, request, reply, etag);
      audit({ notModified: true });
      return reply;
    }
    const base = dicomWebBase(request, ctx.config.dicomWeb.publicUrl);
    const instanceUrl = `${base}/studies/${row.studyInstanceUid}/series/${row.seriesInstanceUid}/instances/${row.sopInstanceUid}`;
    const boundary = framesBoundary(etag);
    if (frames.length === 1 && representation.transferSyntaxUid === servedAsStored(image)) {
      // One frame as stored (what a viewer that decodes itself asks, frame after frame): read into a pooled
      // buffer and written out as it is, between the part's head and the close delimiter.
      pooled = await storedFramePooled(open, frames[0]! - 1);
    }
    if (pooled) {
      await open.close();
      open = undefined;
      const { bytes, release } = pooled;
      if (!representation.multipart) {
        const span = requestedRange(request, bytes.length, etag);
        answerCached(ctx, request, reply, etag);
        audit(span ? { range: `${span.start}-${span.end}` } : {});
        const sent = rangeHeaders(reply, bytes.length, span);
        reply.type(frameContentType(representation));
        pooled = undefined;
        return sendChunks(reply, [bytes.subarray(sent.start, sent.end + 1)], release);
      }
      answerCached(ctx, request, reply, etag);
      audit({});
      const part = {
        contentType: frameContentType(representation),
        headers: {
          "Content-Location": `${instanceUrl}/frames/${frames[0]!}`,
          "Content-Length": String(bytes.length),
        },
        body: bytes,
      };
      reply.type(multipartContentType(representation.mediaType, boundary));
      pooled = undefined;
      return sendChunks(reply, multipartChunks([part], boundary), release);
    }
    if (!representation.multipart) {
      const body = await frameInSyntax(open.reader, image, frames[0]! - 1, representation.transferSyntaxUid);
      const span = requestedRange(request, body.length, etag);
      answerCached(ctx, request, reply, etag);
      audit(span ? { range: `${span.start}-${span.end}` } : {});
      const sent = rangeHeaders(reply, body.length, span);
      return reply.type(frameContentType(representation)).send(body.subarray(sent.start, sent.end + 1));
    }
    const first = await frameInSyntax(open.reader, image, frames[0]! - 1, representation.transferSyntaxUid);
    answerCached(ctx, request, reply, etag);
    audit({});
    const parts = frameParts(
      open,
      frames,
      representation,
      (frame) => `${instanceUrl}/frames/${frame}`,
      first,
    );
    // The parts close it when done; if the client goes before they start, the response's end does.
    const handedOff = open;
    reply.raw.once("close", () => void handedOff.close());
    open = undefined;
    return reply
      .type(multipartContentType(representation.mediaType, boundary))
      .send(multipartStream(parts, boundary));
  } catch (error) {
    pooled?.release();
    reply.removeHeader("ETag").removeHeader("Cache-Control").removeHeader("Content-Length");
    throw withUnsatisfiedRange(reply, imagingProblem(ctx, error));
  } finally {
    await open?.close();
  }
}

/**
 * GET …/instances/{i}/frames/{list} (and the bulkdata, rendered and thumbnail routes): permission
 * studies:read, every access audited.
 */
export function registerFrames(app: FastifyInstance, ctx: WebContext): void {
  const options = { preHandler: [requirePermission("studies:read"), validateUidParams] };
  app.get(
    "/dicom-web/studies/:study/series/:series/instances/:instance/frames/:frames",
    options,
    (request, reply) => retrieveFrames(ctx, request, reply),
  );
  registerBulkdata(app, ctx);
  registerRendered(app, ctx);
}
