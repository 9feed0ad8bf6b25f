/**
 * WADO-RS bulk data (PS3.18 §10.4.1.1.5): `GET …/instances/{i}/bulkdata/{tag path}`, the values the
 * metadata's BulkDataURIs point at (json.ts says what a tag path looks like).
 *
 * - Any binary value (OB, OW, OF, OD, OL, OV, UN, and any other VR long enough to be referenced), at any
 *   depth, as application/octet-stream in explicit VR little endian (big endian values byte-swapped).
 * - Pixel Data (7FE0,0010) at the top level: the native pixels of every frame, decoded when stored
 *   compressed; or, with a compressed media type in the Accept header (image/jls…), one part per frame in
 *   that syntax, as the frames route negotiates.
 *
 * `multipart/related; type="application/octet-stream"` is the default (PS3.18 §8.7.3.3); a plain
 * `application/octet-stream` gets the value as one body, with HTTP Range: one range → 206 and
 * Content-Range, one beyond the value → 416, several → the whole value (RFC 9110 §14.2 allows it).
 */
import { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { formatTag } from "../../../../shared/dicom/dictionary.js";
import { nativeFrameLength } from "../../codecs/frames.js";
import type { RetrieveInstance } from "../../db/database.js";
import {
  type DataSet,
  type Element,
  parseDataset,
  parseDatasetFile,
  UNDEFINED_LENGTH,
} from "../../dicom/dataset.js";
import { readPart10Header } from "../../dicom/part10.js";
import { lookupTransferSyntax } from "../../../../shared/dicom/transfer-syntax.js";
import { frameInSyntax, NATIVE_SYNTAX } from "../../imaging/frame-syntax.js";
import { Tag } from "../../imaging/pixel-module.js";
import { swapped } from "../../imaging/stored-image.js";
import { auditAccessCoalesced } from "../audit.js";
import { requirePermission } from "../auth/guard.js";
import type { WebContext } from "../context.js";
import { HttpProblem } from "../problem.js";
import { frameContentType, frameParts } from "./frames.js";
import { type FrameRepresentation, negotiateFrames } from "./frame-negotiation.js";
import { locateBulkData, parseBulkDataPath } from "./json.js";
import {
  type MultipartPart,
  boundaryFor,
  multipartContentType,
  multipartStream,
  parseAccept,
} from "./multipart.js";
import { dicomWebBase, uidParams, validateUidParams } from "./paths.js";
import {
  type ByteSpan,
  type OpenImage,
  etagFrom,
  imagingProblem,
  openImage,
  rangeHeaders,
  requestedRange,
  withUnsatisfiedRange,
} from "./pixel-http.js";
import { answerCached, ifNoneMatch, instancesAt } from "./retrieve.js";

const OCTET_STREAM = "application/octet-stream";
/** Values up to this size are read whole; longer ones stay on disk until sent. */
const READ_VALUES_UP_TO = 64 * 1024;
const SWAP_UNIT: Readonly<Record<string, number>> = {
  OW: 2,
  US: 2,
  SS: 2,
  AT: 2,
  OL: 4,
  UL: 4,
  SL: 4,
  FL: 4,
  OF: 4,
  OD: 8,
  FD: 8,
  OV: 8,
  SV: 8,
  UV: 8,
};

/** A located value: in memory, or a byte range of the archived object, and whether it must be swapped. */
interface BulkValue {
  size: number;
  /** Bytes [start, end] (inclusive) of the value, little endian. */
  read(span: ByteSpan): Promise<Buffer | Readable>;
}

/** Parses the whole structure (values above 64 KiB left on disk) with offsets into the archived object. */
async function parseWhole(
  ctx: WebContext,
  row: RetrieveInstance,
): Promise<{ dataset: DataSet; base: number; syntax: string; inMemory?: boolean }> {
  const path = ctx.store.pathOf(row.storageKey);
  const head = await ctx.store
    .open(row.storageKey, { start: 0, end: 256 * 1024 - 1 })
    .then(async (stream) => {
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    });
  let meta = tryMeta(head);
  if (!meta) {
    const whole = await ctx.store.read(row.storageKey);
    meta = readPart10Header(whole);
    return parseInMemory(whole, meta.datasetOffset, meta.transferSyntaxUid);
  }
  if (lookupTransferSyntax(meta.transferSyntaxUid)?.deflated) {
    return parseInMemory(await ctx.store.read(row.storageKey), meta.datasetOffset, meta.transferSyntaxUid);
  }
  const options = { transferSyntaxUid: meta.transferSyntaxUid, skipValuesLongerThan: READ_VALUES_UP_TO };
  try {
    // Offsets of a file parse are offsets in the file.
    return {
      dataset: parseDatasetFile(path, meta.datasetOffset, options),
      base: 0,
      syntax: meta.transferSyntaxUid,
    };
  } catch (error) {
    if ((error as { code?: string }).code !== "ENOENT") throw error;
    return parseInMemory(await ctx.store.read(row.storageKey), meta.datasetOffset, meta.transferSyntaxUid);
  }
}

function tryMeta(head: Buffer) {
  try {
    return readPart10Header(head);
  } catch {
    return undefined;
  }
}

function parseInMemory(whole: Buffer, datasetOffset: number, syntax: string) {
  const deflated = lookupTransferSyntax(syntax)?.deflated === true;
  // Nothing is skipped: an in-memory parse keeps every value (a deflated one has no other home).
  const dataset = parseDataset(whole.subarray(datasetOffset), { transferSyntaxUid: syntax });
  return { dataset, base: datasetOffset, syntax, inMemory: true, deflated };
}

function swapUnit(element: Element, dataset: DataSet): number {
  return dataset.littleEndian ? 1 : (SWAP_UNIT[element.vr] ?? 1);
}

/** A value of any element but top-level Pixel Data. */
function plainValue(
  ctx: WebContext,
  row: RetrieveInstance,
  element: Element,
  dataset: DataSet,
  base: number,
): BulkValue {
  if (element.vr === "SQ" || element.items) {
    throw new HttpProblem(404, "Not Found", `${formatTag(element.tag)} is a sequence, not a bulk data value`);
  }
  if (element.length === UNDEFINED_LENGTH) {
    throw new HttpProblem(
      406,
      "Not Acceptable",
      `${formatTag(element.tag)} is encapsulated; only its frames can be retrieved`,
    );
  }
  const unit = swapUnit(element, dataset);
  const inMemory = element.value;
  if (inMemory) {
    const bytes = unit === 1 ? inMemory : swapped(inMemory, unit);
    return { size: bytes.length, read: async (span) => bytes.subarray(span.start, span.end + 1) };
  }
  const start = base + element.offset;
  return {
    size: element.length,
    read: async (span) => {
      if (unit === 1)
        return ctx.store.open(row.storageKey, { start: start + span.start, end: start + span.end });
      // Big endian values are swapped whole units at a time: read the units the span touches.
      const from = span.start - (span.start % unit);
      const to = Math.min(element.length, span.end + 1 + ((unit - ((span.end + 1) % unit)) % unit));
      const stream = await ctx.store.open(row.storageKey, { start: start + from, end: start + to - 1 });
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      return swapped(Buffer.concat(chunks), unit).subarray(span.start - from, span.end + 1 - from);
    },
  };
}

/** Top-level Pixel Data as native little-endian pixels of every frame (decoded if compressed). */
function nativePixelValue(ctx: WebContext, open: OpenImage): BulkValue {
  const { image, row } = open;
  const native = image.native;
  if (native && !native.bigEndian && !image.inflated) {
    // As stored: the value itself, straight from the archive.
    return {
      size: native.length,
      read: (span) =>
        ctx.store.open(row.storageKey, { start: native.offset + span.start, end: native.offset + span.end }),
    };
  }
  if (native) {
    // Big endian or deflated: the whole value, little endian.
    const all = async () => {
      const bytes = image.inflated ?? (await open.reader.read(native.offset, native.length));
      const unit = native.bigEndian
        ? image.pixels.bitsAllocated >= 16
          ? image.pixels.bitsAllocated / 8
          : native.vr === "OW"
            ? 2
            : 1
        : 1;
      return unit === 1 ? bytes : swapped(bytes, unit);
    };
    return { size: native.length, read: async (span) => (await all()).subarray(span.start, span.end + 1) };
  }
  // Encapsulated: frames decoded one after another as the body drains; a span decodes only the frames it covers.
  const frameLength = nativeFrameLength(image.pixels);
  const frames = image.pixels.numberOfFrames;
  return {
    size: frameLength * frames,
    read: async (span) => {
      const first = Math.floor(span.start / frameLength);
      const last = Math.floor(span.end / frameLength);
      async function* decoded(): AsyncGenerator<Buffer> {
        for (let frame = first; frame <= last; frame++) {
          const pixels = await frameInSyntax(open.reader, image, frame, NATIVE_SYNTAX);
          const from = frame === first ? span.start - first * frameLength : 0;
          const to = frame === last ? span.end + 1 - last * frameLength : frameLength;
          yield pixels.subarray(from, to);
        }
      }
      return Readable.from(decoded(), { objectMode: false });
    },
  };
}

/** How a non-pixel value may be sent: multipart (the default) or one body; 406 otherwise. */
function negotiatePlain(accept: string | string[] | undefined): { multipart: boolean } {
  for (const range of parseAccept(accept)) {
    const syntax = range.params.get("transfer-syntax")?.trim();
    if (syntax !== undefined && syntax !== "*" && syntax !== NATIVE_SYNTAX) continue;
    if (range.mediaType === "*/*" || range.mediaType === "multipart/*") return { multipart: true };
    if (range.mediaType === "multipart/related") {
      const type = (range.params.get("type") ?? OCTET_STREAM).toLowerCase();
      if (type === OCTET_STREAM || type === "*/*" || type === "application/*") return { multipart: true };
    } else if (range.mediaType === OCTET_STREAM || range.mediaType === "application/*")
      return { multipart: false };
  }
  throw new HttpProblem(
    406,
    "Not Acceptable",
    'bulk data is available as multipart/related; type="application/octet-stream" or application/octet-stream',
  );
}

async function sendValue(
  ctx: WebContext,
  request: FastifyRequest,
  reply: FastifyReply,
  value: BulkValue,
  multipart: boolean,
  etag: string,
  location: string,
  range?: ByteSpan,
): Promise<FastifyReply> {
  if (!multipart) {
    const span = range ?? requestedRange(request, value.size, etag);
    if (value.size === 0) {
      answerCached(ctx, request, reply, etag);
      return reply.type(OCTET_STREAM).header("Content-Length", 0).send(Buffer.alloc(0));
    }
    const body = await value.read(span ?? { start: 0, end: value.size - 1 });
    answerCached(ctx, request, reply, etag);
    rangeHeaders(reply, value.size, span);
    return reply.type(OCTET_STREAM).send(body);
  }
  const boundary = boundaryFor(etag);
  async function* parts(): AsyncGenerator<MultipartPart> {
    yield {
      contentType: `${OCTET_STREAM}; transfer-syntax=${NATIVE_SYNTAX}`,
      headers: { "Content-Location": location, "Content-Length": String(value.size) },
      body: value.size === 0 ? Buffer.alloc(0) : await value.read({ start: 0, end: value.size - 1 }),
    };
  }
  answerCached(ctx, request, reply, etag);
  return reply.type(multipartContentType(OCTET_STREAM, boundary)).send(multipartStream(parts(), boundary));
}

async function retrieveBulkdata(ctx: WebContext, request: FastifyRequest, reply: FastifyReply) {
  const path = uidParams(request);
  const tagPath = (request.params as { "*": string })["*"] ?? "";
  const parsed = parseBulkDataPath(tagPath);
  if (!parsed) {
    throw new HttpProblem(
      400,
      "Bad Request",
      `bulk data path ${JSON.stringify(tagPath.slice(0, 80))} is not a tag path (e.g. 7FE00010 or 00540016/0/00181072)`,
    );
  }
  const row = instancesAt(ctx, path)[0]!;
  const base = dicomWebBase(request, ctx.config.dicomWeb.publicUrl);
  const location = `${base}/studies/${row.studyInstanceUid}/series/${row.seriesInstanceUid}/instances/${row.sopInstanceUid}/bulkdata/${tagPath}`;
  const audit = (detail: Record<string, unknown>) =>
    auditAccessCoalesced(ctx, request, {
      action: "retrieve-bulkdata",
      studyUid: row.studyInstanceUid,
      seriesUid: row.seriesInstanceUid,
      sopInstanceUid: row.sopInstanceUid,
      detail: { path: tagPath, ...detail },
    });
  try {
    if (parsed.steps.length === 0 && parsed.tag === Tag.PixelData) {
      return await pixelData(ctx, request, reply, row, location, audit);
    }
    const whole = await parseWhole(ctx, row);
    const found = locateBulkData(whole.dataset, parsed);
    if (!found)
      throw new HttpProblem(404, "Not Found", `instance ${row.sopInstanceUid} has no value at ${tagPath}`);
    const value = plainValue(ctx, row, found.element, found.dataset, whole.base);
    const { multipart } = negotiatePlain(request.headers.accept);
    const etag = etagFrom(row.sha256, "bulkdata", tagPath, multipart ? "multipart" : "single");
    if (ifNoneMatch(request, etag)) {
      answerCached(ctx, request, reply, etag);
      audit({ notModified: true });
      return reply;
    }
    audit({ bytes: value.size });
    return await sendValue(ctx, request, reply, value, multipart, etag, location);
  } catch (error) {
    reply.removeHeader("ETag").removeHeader("Cache-Control").removeHeader("Content-Length");
    throw withUnsatisfiedRange(reply, imagingProblem(ctx, error));
  }
}

async function pixelData(
  ctx: WebContext,
  request: FastifyRequest,
  reply: FastifyReply,
  row: RetrieveInstance,
  location: string,
  audit: (detail: Record<string, unknown>) => void,
): Promise<FastifyReply> {
  const open = await openImage(ctx, row);
  // Bodies read the object as the response drains: it is closed when the response is done or abandoned.
  let handedOff = false;
  try {
    const frames = open.image.pixels.numberOfFrames;
    const representation: FrameRepresentation = negotiateFrames(
      request.headers.accept,
      open.image,
      frames === 1 ? "any" : "octet-stream",
    );
    const etag = etagFrom(
      row.sha256,
      "bulkdata",
      "7FE00010",
      representation.multipart ? "multipart" : "single",
      frameContentType(representation),
    );
    if (ifNoneMatch(request, etag)) {
      answerCached(ctx, request, reply, etag);
      audit({ notModified: true });
      return reply;
    }
    if (representation.transferSyntaxUid === NATIVE_SYNTAX) {
      const value = nativePixelValue(ctx, open);
      const span = representation.multipart ? undefined : requestedRange(request, value.size, etag);
      audit({ transferSyntax: representation.transferSyntaxUid, bytes: value.size });
      reply.raw.once("close", () => void open.close());
      handedOff = true;
      return await sendValue(ctx, request, reply, value, representation.multipart, etag, location, span);
    }
    // Compressed: one part per frame (or the one frame as a single body).
    const first = await frameInSyntax(open.reader, open.image, 0, representation.transferSyntaxUid);
    if (!representation.multipart) {
      const span = requestedRange(request, first.length, etag);
      audit({ transferSyntax: representation.transferSyntaxUid });
      answerCached(ctx, request, reply, etag);
      const sent = rangeHeaders(reply, first.length, span);
      return reply.type(frameContentType(representation)).send(first.subarray(sent.start, sent.end + 1));
    }
    audit({ transferSyntax: representation.transferSyntaxUid });
    answerCached(ctx, request, reply, etag);
    const boundary = boundaryFor(etag);
    const instanceUrl = location.replace(/\/bulkdata\/.*$/, "");
    const numbers = Array.from({ length: frames }, (_, i) => i + 1);
    const parts = frameParts(
      open,
      numbers,
      representation,
      (frame) => `${instanceUrl}/frames/${frame}`,
      first,
    );
    handedOff = true; // the parts close it, or the response's end if the client goes before they start
    reply.raw.once("close", () => void open.close());
    return reply
      .type(multipartContentType(representation.mediaType, boundary))
      .send(multipartStream(parts, boundary));
  } finally {
    if (!handedOff) await open.close();
  }
}

/** GET …/instances/{i}/bulkdata/{tag path}: permission studies:read, audited. */
export function registerBulkdata(app: FastifyInstance, ctx: WebContext): void {
  const options = { preHandler: [requirePermission("studies:read"), validateUidParams] };
  app.get(
    "/dicom-web/studies/:study/series/:series/instances/:instance/bulkdata/*",
    options,
    (request, reply) => retrieveBulkdata(ctx, request, reply),
  );
}
