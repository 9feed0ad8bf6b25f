/**
 * WADO-RS rendered and thumbnail resources (PS3.18 §10.4.1.1.3, §10.4.1.1.6, §8.3.5):
 *
 *   …/studies/{s}/rendered, …/series/{se}/rendered        every frame of every image, multipart/related
 *   …/instances/{i}/rendered                               one image (frame 1), or every frame when the
 *                                                          client asks for multipart/related
 *   …/instances/{i}/frames/{list}/rendered                 the frames (one image, or multipart)
 *   …/thumbnail at study, series, instance and frames      one small image of a representative frame
 *
 * as image/jpeg (the default) or image/png, with `window=center,width[,function]`, `viewport=vw,vh[,sx,sy,sw,sh]`
 * and `quality` (JPEG). Without `window` the instance's first window is used, else the frame's full range.
 * Instances without pixels are left out of study and series renderings; one alone cannot be rendered (406).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { RetrieveInstance } from "../../db/database.js";
import { ImagingError } from "../../imaging/errors.js";
import {
  type RenderedMediaType,
  type RenderedOptions,
  parseQuality,
  parseViewport,
  parseWindow,
  renderedImage,
} from "../../imaging/rendered-image.js";
import { auditAccess } from "../audit.js";
import { requirePermission } from "../auth/guard.js";
import type { WebContext } from "../context.js";
import { HttpProblem } from "../problem.js";
import {
  type MultipartPart,
  boundaryFor,
  multipartContentType,
  multipartStream,
  parseAccept,
} from "./multipart.js";
import { type UidPath, uidParams, validateUidParams } from "./paths.js";
import {
  type OpenImage,
  checkFrames,
  etagFrom,
  imagingProblem,
  openImage,
  parseFrameList,
} from "./pixel-http.js";
import { answerCached, ifNoneMatch, instancesAt } from "./retrieve.js";

/** Thumbnails fit in this box unless a viewport says otherwise. */
export const THUMBNAIL_SIZE = 128;
/** Instances tried, from the middle of a series outwards, before a study or series is said to have no image. */
const THUMBNAIL_TRIES = 8;

interface Negotiated {
  mediaType: RenderedMediaType;
  multipart: boolean;
}

const RENDERED_TYPES: readonly RenderedMediaType[] = ["image/jpeg", "image/png"];

/**
 * JPEG or PNG, one image or multipart/related. `need`: "single" (exactly one image: thumbnails),
 * "multipart" (several images), or "either" (an instance or one frame: multipart, of every frame asked
 * for, only when the client names multipart/related; else one image, the first frame).
 */
export function negotiateRendered(
  accept: string | string[] | undefined,
  need: "single" | "multipart" | "either",
): Negotiated {
  for (const range of parseAccept(accept)) {
    if (range.mediaType === "multipart/related") {
      if (need === "single") continue;
      const type = (range.params.get("type") ?? "image/jpeg").toLowerCase();
      const mediaType = type === "image/*" || type === "*/*" ? "image/jpeg" : type;
      if (RENDERED_TYPES.includes(mediaType as RenderedMediaType)) {
        return { mediaType: mediaType as RenderedMediaType, multipart: true };
      }
      continue;
    }
    const mediaType =
      range.mediaType === "*/*" || range.mediaType === "image/*" ? "image/jpeg" : range.mediaType;
    if (!RENDERED_TYPES.includes(mediaType as RenderedMediaType)) continue;
    // A wildcard takes what the resource is: several images come as multipart.
    const wildcard = range.mediaType.endsWith("/*");
    if (need === "multipart" && !wildcard) continue;
    return { mediaType: mediaType as RenderedMediaType, multipart: need === "multipart" };
  }
  throw new HttpProblem(
    406,
    "Not Acceptable",
    need === "multipart"
      ? 'several images are rendered as multipart/related; type="image/jpeg" or type="image/png"'
      : "rendered images are available as image/jpeg or image/png" +
          (need === "either" ? ', or multipart/related; type="image/jpeg" (or image/png)' : ""),
  );
}

/** window, viewport and quality; other parameters (annotation, charset, iccprofile, cache busters) are ignored. */
function renderingParameters(request: FastifyRequest): Omit<RenderedOptions, "mediaType"> {
  const query = (request.query ?? {}) as Record<string, unknown>;
  const one = (name: string): string | undefined => {
    const value = query[name];
    if (value === undefined) return undefined;
    if (typeof value !== "string") throw new HttpProblem(400, "Bad Request", `${name} may be given once`);
    return value;
  };
  try {
    const window = one("window");
    const viewport = one("viewport");
    const quality = one("quality");
    return {
      window: window === undefined ? undefined : parseWindow(window),
      viewport: viewport === undefined ? undefined : parseViewport(viewport),
      quality: quality === undefined ? undefined : parseQuality(quality),
    };
  } catch (error) {
    if (error instanceof ImagingError) throw new HttpProblem(400, "Bad Request", error.message);
    throw error;
  }
}

function parametersKey(options: RenderedOptions): string {
  return JSON.stringify([
    options.mediaType,
    options.window,
    options.viewport,
    options.quality,
    options.maxSize,
  ]);
}

/** Opens each instance in turn and yields its frames (all, or those chosen); instances without pixels are skipped. */
async function* framesOf(
  ctx: WebContext,
  rows: readonly RetrieveInstance[],
  choose: (frames: number) => number[],
): AsyncGenerator<{ open: OpenImage; frames: number[] }> {
  for (const row of rows) {
    let open: OpenImage;
    try {
      open = await openImage(ctx, row);
    } catch (error) {
      if (error instanceof ImagingError && (error.kind === "not-an-image" || error.kind === "unsupported"))
        continue;
      throw error;
    }
    try {
      yield { open, frames: choose(open.image.pixels.numberOfFrames) };
    } finally {
      await open.close();
    }
  }
}

/** The middle instance of each series first, then its neighbours: a representative image, found quickly. */
function representativeOrder(rows: readonly RetrieveInstance[]): RetrieveInstance[] {
  const bySeries = new Map<string, RetrieveInstance[]>();
  for (const row of rows) {
    const list = bySeries.get(row.seriesInstanceUid) ?? [];
    list.push(row);
    bySeries.set(row.seriesInstanceUid, list);
  }
  const order: RetrieveInstance[] = [];
  for (const list of bySeries.values()) {
    const middle = Math.floor((list.length - 1) / 2);
    for (let d = 0; d < list.length && order.length < THUMBNAIL_TRIES * bySeries.size; d++) {
      const below = list[middle - d];
      const above = list[middle + d + 1];
      if (below) order.push(below);
      if (above) order.push(above);
    }
  }
  return order.slice(0, THUMBNAIL_TRIES);
}

async function sendSingle(
  ctx: WebContext,
  request: FastifyRequest,
  reply: FastifyReply,
  target: { open: OpenImage; frame: number },
  options: RenderedOptions,
  action: string,
): Promise<FastifyReply> {
  const { open, frame } = target;
  const row = open.row;
  const etag = etagFrom(row.sha256, action, frame, parametersKey(options));
  const audit = (notModified: boolean) =>
    auditAccess(ctx, request, {
      action,
      studyUid: row.studyInstanceUid,
      seriesUid: row.seriesInstanceUid,
      sopInstanceUid: row.sopInstanceUid,
      detail: { frame: frame + 1, mediaType: options.mediaType, notModified },
    });
  if (ifNoneMatch(request, etag)) {
    answerCached(ctx, request, reply, etag);
    audit(true);
    return reply;
  }
  const image = await renderedImage(open.reader, open.image, frame, options);
  audit(false);
  answerCached(ctx, request, reply, etag);
  return reply.type(options.mediaType).header("Content-Length", image.length).send(image);
}

/** Several images as multipart/related, rendered one by one as the response drains. */
async function sendMultipart(
  ctx: WebContext,
  request: FastifyRequest,
  reply: FastifyReply,
  path: UidPath,
  rows: readonly RetrieveInstance[],
  choose: (frames: number) => number[],
  options: RenderedOptions,
): Promise<FastifyReply> {
  const etag = etagFrom(
    "rendered",
    ...rows.map((row) => row.sha256),
    choose(0).join(","),
    parametersKey(options),
  );
  const audit = (notModified: boolean) =>
    auditAccess(ctx, request, {
      action: "retrieve-rendered",
      studyUid: path.study,
      seriesUid: path.series,
      sopInstanceUid: path.instance,
      detail: { instances: rows.length, mediaType: options.mediaType, notModified },
    });
  if (ifNoneMatch(request, etag)) {
    answerCached(ctx, request, reply, etag);
    audit(true);
    return reply;
  }
  // The first image is made before the response starts, so that failing to render is a proper status.
  const source = framesOf(ctx, rows, choose);
  const first = await source.next();
  if (first.done || first.value.frames.length === 0) {
    await source.return(undefined);
    throw new HttpProblem(406, "Not Acceptable", "nothing here has pixel data to render");
  }
  let firstImage: Buffer;
  try {
    firstImage = await renderedImage(
      first.value.open.reader,
      first.value.open.image,
      first.value.frames[0]!,
      options,
    );
  } catch (error) {
    await source.return(undefined);
    throw error;
  }
  async function* parts(): AsyncGenerator<MultipartPart> {
    let current: { open: OpenImage; frames: number[] } | undefined = first.value as {
      open: OpenImage;
      frames: number[];
    };
    let pending: Buffer | undefined = firstImage;
    try {
      while (current) {
        for (const frame of current.frames) {
          const body: Buffer =
            pending ?? (await renderedImage(current.open.reader, current.open.image, frame, options));
          pending = undefined;
          yield {
            contentType: options.mediaType,
            headers: { "Content-Length": String(body.length) },
            body,
          };
        }
        const next = await source.next();
        current = next.done ? undefined : next.value;
      }
    } finally {
      await source.return(undefined);
    }
  }
  audit(false);
  answerCached(ctx, request, reply, etag);
  // If the client goes before the parts start, the open instance is closed at the response's end.
  reply.raw.once("close", () => void source.return(undefined).catch(() => undefined));
  const boundary = boundaryFor(etag);
  return reply
    .type(multipartContentType(options.mediaType, boundary))
    .send(multipartStream(parts(), boundary));
}

type Level = "study" | "series" | "instance" | "frames";

function levelOf(path: UidPath, request: FastifyRequest): Level {
  if ((request.params as { frames?: string }).frames !== undefined) return "frames";
  return path.instance ? "instance" : path.series ? "series" : "study";
}

async function rendered(ctx: WebContext, request: FastifyRequest, reply: FastifyReply) {
  const path = uidParams(request);
  const level = levelOf(path, request);
  const frameList =
    level === "frames" ? parseFrameList((request.params as { frames: string }).frames) : undefined;
  const parameters = renderingParameters(request);
  const rows = instancesAt(ctx, path);
  try {
    if (level === "study" || level === "series") {
      const negotiated = negotiateRendered(request.headers.accept, "multipart");
      const options = { ...parameters, mediaType: negotiated.mediaType };
      return await sendMultipart(
        ctx,
        request,
        reply,
        path,
        rows,
        (n) => Array.from({ length: n }, (_, i) => i),
        options,
      );
    }
    const open = await openImage(ctx, rows[0]!);
    try {
      if (frameList) checkFrames(open.image, frameList);
      const count = open.image.pixels.numberOfFrames;
      const several = frameList ? frameList.length > 1 : count > 1;
      // Several frames asked for by number must come as multipart; otherwise the client chooses.
      const negotiated = negotiateRendered(
        request.headers.accept,
        several && level === "frames" ? "multipart" : "either",
      );
      const options = { ...parameters, mediaType: negotiated.mediaType };
      if (!negotiated.multipart) {
        return await sendSingle(
          ctx,
          request,
          reply,
          { open, frame: (frameList?.[0] ?? 1) - 1 },
          options,
          "retrieve-rendered",
        );
      }
      const frames = frameList ? frameList.map((n) => n - 1) : Array.from({ length: count }, (_, i) => i);
      return await sendMultipart(ctx, request, reply, path, rows, () => frames, options);
    } finally {
      await open.close();
    }
  } catch (error) {
    reply.removeHeader("ETag").removeHeader("Cache-Control").removeHeader("Content-Length");
    throw imagingProblem(ctx, error, 406);
  }
}

async function thumbnail(ctx: WebContext, request: FastifyRequest, reply: FastifyReply) {
  const path = uidParams(request);
  const level = levelOf(path, request);
  const frameList =
    level === "frames" ? parseFrameList((request.params as { frames: string }).frames) : undefined;
  const parameters = renderingParameters(request);
  const negotiated = negotiateRendered(request.headers.accept, "single");
  const options: RenderedOptions = {
    ...parameters,
    mediaType: negotiated.mediaType,
    maxSize: THUMBNAIL_SIZE,
  };
  const rows = instancesAt(ctx, path);
  try {
    if (level === "instance" || level === "frames") {
      const open = await openImage(ctx, rows[0]!);
      try {
        if (frameList) checkFrames(open.image, frameList);
        const frame = frameList ? frameList[0]! - 1 : Math.floor((open.image.pixels.numberOfFrames - 1) / 2);
        return await sendSingle(ctx, request, reply, { open, frame }, options, "retrieve-thumbnail");
      } finally {
        await open.close();
      }
    }
    for await (const { open, frames } of framesOf(ctx, representativeOrder(rows), (n) => [
      Math.floor((n - 1) / 2),
    ])) {
      return await sendSingle(
        ctx,
        request,
        reply,
        { open, frame: frames[0]! },
        options,
        "retrieve-thumbnail",
      );
    }
    throw new HttpProblem(406, "Not Acceptable", `no image found in this ${level} to make a thumbnail of`);
  } catch (error) {
    reply.removeHeader("ETag").removeHeader("Cache-Control").removeHeader("Content-Length");
    throw imagingProblem(ctx, error, 406);
  }
}

/** rendered and thumbnail at study, series, instance and frames level: permission studies:read, audited. */
export function registerRendered(app: FastifyInstance, ctx: WebContext): void {
  const options = { preHandler: [requirePermission("studies:read"), validateUidParams] };
  const levels = [
    "/dicom-web/studies/:study",
    "/dicom-web/studies/:study/series/:series",
    "/dicom-web/studies/:study/series/:series/instances/:instance",
    "/dicom-web/studies/:study/series/:series/instances/:instance/frames/:frames",
  ];
  for (const level of levels) {
    app.get(`${level}/rendered`, options, (request, reply) => rendered(ctx, request, reply));
    app.get(`${level}/thumbnail`, options, (request, reply) => thumbnail(ctx, request, reply));
  }
}
