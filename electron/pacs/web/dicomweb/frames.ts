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
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { frameInSyntax } from "../../imaging/frame-syntax.js";
import { auditAccess } from "../audit.js";
import { requirePermission } from "../auth/guard.js";
import type { WebContext } from "../context.js";
import { registerBulkdata } from "./bulkdata.js";
import { type FrameRepresentation, negotiateFrames } from "./frame-negotiation.js";
import { type MultipartPart, boundaryFor, multipartContentType, multipartStream } from "./multipart.js";
import { dicomWebBase, uidParams, validateUidParams } from "./paths.js";
import {
  type OpenImage,
  checkFrames,
  etagFrom,
  imagingProblem,
  openImage,
  parseFrameList,
  rangeHeaders,
  requestedRange,
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

async function retrieveFrames(ctx: WebContext, request: FastifyRequest, reply: FastifyReply) {
  const path = uidParams(request);
  const frames = parseFrameList((request.params as { frames: string }).frames);
  const row = instancesAt(ctx, path)[0]!;
  let open: OpenImage | undefined = await openImage(ctx, row).catch((error: unknown) => {
    throw imagingProblem(ctx, error);
  });
  try {
    const { image } = open;
    checkFrames(image, frames);
    const representation = negotiateFrames(
      request.headers.accept,
      image,
      frames.length === 1 ? "any" : "none",
    );
    const etag = etagFrom(
      row.sha256,
      "frames",
      frames.join(","),
      representation.multipart ? "multipart" : "single",
      frameContentType(representation),
    );
    const audit = (detail: Record<string, unknown>) =>
      auditAccess(ctx, request, {
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
    const base = dicomWebBase(request, ctx.config.dicomWeb.publicUrl);
    const instanceUrl = `${base}/studies/${row.studyInstanceUid}/series/${row.seriesInstanceUid}/instances/${row.sopInstanceUid}`;
    const boundary = boundaryFor(etag);
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
