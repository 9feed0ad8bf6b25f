/**
 * WADO-URI (PS3.18 §9, formerly WADO): `GET /wado?requestType=WADO&studyUID=…&seriesUID=…&objectUID=…`
 * for older viewers.
 *
 * - `contentType=application/dicom`: the Part 10 object, in `transferSyntax` when given (converted if
 *   need be, else 406; `*` = as stored), otherwise in Explicit VR Little Endian as §9.2 asks (or as
 *   stored when the object cannot be converted, e.g. video).
 * - `image/jpeg` (the default when contentType is absent) and `image/png`: one frame rendered by the
 *   imaging code WADO-RS `rendered` uses, honouring `frameNumber`, `windowCenter`/`windowWidth`,
 *   `rows`/`columns`, `region` and `imageQuality`. Other types (image/gif, image/jp2, text/html…): 406.
 * - `anonymize` and `presentationUID`/`presentationSeriesUID` are refused (400) rather than ignored:
 *   answering without doing what they ask would hand out what the client meant not to get.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { TranscodeError } from "../../codecs/transcode.js";
import {
  type RenderedMediaType,
  type Viewport,
  parseQuality,
  parseWindow,
  renderedImage,
} from "../../imaging/rendered-image.js";
import type { RetrieveInstance } from "../../db/database.js";
import { auditAccess } from "../audit.js";
import { requirePermission } from "../auth/guard.js";
import type { WebContext } from "../context.js";
import { HttpProblem } from "../problem.js";
import { checkUid, shown } from "./paths.js";
import { checkFrames, etagFrom, imagingProblem, openImage } from "./pixel-http.js";
import {
  DEFAULT_SYNTAX,
  type InstanceBody,
  answerCached,
  chooseSyntax,
  etagOf,
  instanceBody,
  instancesAt,
} from "./retrieve.js";

const DICOM = "application/dicom";
const DEFAULT_CONTENT_TYPE = "image/jpeg";

function badRequest(detail: string): HttpProblem {
  return new HttpProblem(400, "Bad Request", detail);
}

function param(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) {
    if (value.length > 1) throw badRequest(`parameter ${name} is given more than once`);
    return value[0] === undefined ? undefined : String(value[0]);
  }
  return value === undefined ? undefined : String(value);
}

function requiredUid(query: Record<string, unknown>, name: string): string {
  const value = param(query, name);
  if (value === undefined || value === "") throw badRequest(`parameter ${name} is missing`);
  return checkUid(value, `parameter ${name}`);
}

/** The media types of contentType, in the client's order, parameters dropped. */
function contentTypes(value: string | undefined): string[] {
  if (value === undefined || value.trim() === "") return [DEFAULT_CONTENT_TYPE];
  return value
    .split(",")
    .map((type) => (type.split(";")[0] ?? "").trim().toLowerCase())
    .filter((type) => type !== "");
}

async function wado(ctx: WebContext, request: FastifyRequest, reply: FastifyReply) {
  const query = request.query as Record<string, unknown>;
  const requestType = param(query, "requestType");
  if (requestType === undefined) throw badRequest("parameter requestType is missing");
  if (requestType !== "WADO") throw badRequest(`requestType ${shown(requestType)} is not WADO`);
  const study = requiredUid(query, "studyUID");
  const series = requiredUid(query, "seriesUID");
  const instance = requiredUid(query, "objectUID");
  for (const name of ["anonymize", "presentationUID", "presentationSeriesUID"]) {
    if (param(query, name) !== undefined) throw badRequest(`${name} is not supported`);
  }
  const requestedSyntax = param(query, "transferSyntax");
  if (requestedSyntax !== undefined && requestedSyntax !== "*") {
    checkUid(requestedSyntax, "parameter transferSyntax");
  }
  const types = contentTypes(param(query, "contentType"));
  const type = types.find((t) => t === DICOM || RENDERED.has(t) || t === "*/*" || t === "image/*");
  if (type === undefined) {
    throw new HttpProblem(
      406,
      "Not Acceptable",
      `contentType ${types.join(", ")} cannot be produced: use application/dicom, image/jpeg or image/png`,
    );
  }
  if (type !== DICOM) {
    const mediaType: RenderedMediaType = type === "image/png" ? "image/png" : "image/jpeg";
    return renderedAnswer(ctx, request, reply, { study, series, instance }, mediaType);
  }
  const [row] = instancesAt(ctx, { study, series, instance });
  if (!row) throw new HttpProblem(404, "Not Found", `no instance ${instance}`);
  const representation = chooseSyntax(row.transferSyntaxUid, [requestedSyntax ?? DEFAULT_SYNTAX]);
  if (!representation) {
    throw new HttpProblem(
      406,
      "Not Acceptable",
      `instance ${instance} is stored in ${row.transferSyntaxUid} and cannot be sent in ${requestedSyntax}`,
    );
  }
  const etag = representation.transcode
    ? etagOf("wado-uri", [row], [representation.transferSyntaxUid])
    : `"${row.sha256}"`;
  const notModified = answerCached(ctx, request, reply, etag);
  auditAccess(ctx, request, {
    action: "retrieve-wado",
    studyUid: study,
    seriesUid: series,
    sopInstanceUid: instance,
    detail: { service: "wado-uri", syntaxes: [representation.transferSyntaxUid], notModified },
  });
  if (notModified) return reply;
  let sent: InstanceBody;
  try {
    sent = await instanceBody(ctx, row, representation);
  } catch (error) {
    reply.removeHeader("ETag").removeHeader("Cache-Control");
    if (error instanceof TranscodeError) throw new HttpProblem(406, "Not Acceptable", error.message);
    throw error;
  }
  return reply
    .type(DICOM)
    .header("Content-Disposition", `attachment; filename="${instance}.dcm"`)
    .send(sent.body);
}

const RENDERED = new Set(["image/jpeg", "image/png"]);

function numberParam(query: Record<string, unknown>, name: string, pattern: RegExp): number | undefined {
  const value = param(query, name);
  if (value === undefined) return undefined;
  if (!pattern.test(value.trim())) throw badRequest(`parameter ${name} ${shown(value)} is not valid`);
  return Number(value.trim());
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const COUNT = /^\d{1,6}$/;

/** rows/columns (the largest size wanted) and region (x1,y1,x2,y2 as fractions of the image) as a viewport. */
function viewportOf(query: Record<string, unknown>, rows: number, columns: number): Viewport | undefined {
  const maxRows = numberParam(query, "rows", COUNT);
  const maxColumns = numberParam(query, "columns", COUNT);
  if (maxRows === 0 || maxColumns === 0) throw badRequest("rows and columns must be at least 1");
  const regionText = param(query, "region");
  let region: Viewport["region"];
  if (regionText !== undefined) {
    const corners = regionText.split(",").map((v) => (DECIMAL.test(v.trim()) ? Number(v.trim()) : NaN));
    const [x1 = NaN, y1 = NaN, x2 = NaN, y2 = NaN] = corners;
    const fraction = (v: number) => v >= 0 && v <= 1;
    if (corners.length !== 4 || ![x1, y1, x2, y2].every(fraction) || x2 <= x1 || y2 <= y1) {
      throw badRequest(
        `region ${shown(regionText)} is not x1,y1,x2,y2 with 0 ≤ x1 < x2 ≤ 1, 0 ≤ y1 < y2 ≤ 1`,
      );
    }
    const x = Math.floor(x1 * columns);
    const y = Math.floor(y1 * rows);
    region = {
      x,
      y,
      width: Math.max(1, Math.ceil(x2 * columns) - x),
      height: Math.max(1, Math.ceil(y2 * rows) - y),
    };
  }
  if (maxRows === undefined && maxColumns === undefined && !region) return undefined;
  const width = region?.width ?? columns;
  const height = region?.height ?? rows;
  // Fit inside what was asked, never larger than the source in a dimension the client left open.
  const scale = Math.min(
    maxColumns === undefined ? Infinity : maxColumns / width,
    maxRows === undefined ? Infinity : maxRows / height,
    maxRows === undefined && maxColumns === undefined ? 1 : Infinity,
  );
  return {
    width: Math.max(1, Math.round(width * scale)),
    height: Math.max(1, Math.round(height * scale)),
    region,
  };
}

/** One frame as a JPEG or PNG, rendered by the imaging code WADO-RS rendered uses. */
async function renderedAnswer(
  ctx: WebContext,
  request: FastifyRequest,
  reply: FastifyReply,
  path: { study: string; series: string; instance: string },
  mediaType: RenderedMediaType,
) {
  const query = request.query as Record<string, unknown>;
  const frameNumber = numberParam(query, "frameNumber", COUNT) ?? 1;
  if (frameNumber < 1) throw badRequest("frameNumber starts at 1");
  const center = param(query, "windowCenter");
  const width = param(query, "windowWidth");
  if ((center === undefined) !== (width === undefined)) {
    throw badRequest("windowCenter and windowWidth go together");
  }
  const [row] = instancesAt(ctx, path) as [RetrieveInstance];
  try {
    const window = center === undefined ? undefined : parseWindow(`${center},${width}`);
    const qualityText = param(query, "imageQuality");
    const quality = qualityText === undefined ? undefined : parseQuality(qualityText);
    const open = await openImage(ctx, row);
    try {
      checkFrames(open.image, [frameNumber]);
      const viewport = viewportOf(query, open.image.pixels.rows, open.image.pixels.columns);
      const options = { mediaType, window, viewport, quality };
      const etag = etagFrom(row.sha256, "wado-uri", frameNumber, JSON.stringify(options));
      const notModified = answerCached(ctx, request, reply, etag);
      auditAccess(ctx, request, {
        action: "retrieve-rendered",
        studyUid: path.study,
        seriesUid: path.series,
        sopInstanceUid: path.instance,
        detail: { service: "wado-uri", frame: frameNumber, mediaType, notModified },
      });
      if (notModified) return reply;
      const image = await renderedImage(open.reader, open.image, frameNumber - 1, options);
      return reply.type(mediaType).send(image);
    } finally {
      await open.close();
    }
  } catch (error) {
    reply.removeHeader("ETag").removeHeader("Cache-Control");
    throw imagingProblem(ctx, error, 406);
  }
}

/** GET /wado: permission studies:read. */
export function registerWadoUri(app: FastifyInstance, ctx: WebContext): void {
  app.get("/wado", { preHandler: requirePermission("studies:read") }, (request, reply) =>
    wado(ctx, request, reply),
  );
}
