/**
 * WADO-RS retrieve (PS3.18 §10.4): a study, a series or an instance as multipart/related
 * application/dicom, each instance's Part 10 bytes streamed from the archive as stored, or transcoded
 * when the client asks for a transfer syntax it was not stored in.
 */
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { TransferSyntaxUid } from "../../../../shared/dicom/transfer-syntax.js";
import { transcodeOffThread } from "../../codecs/transcode-pool.js";
import { TranscodeError, canTranscode } from "../../codecs/transcode.js";
import type { RetrieveInstance } from "../../db/database.js";
import type { QueryLevel } from "../../db/query.js";
import { type DataSet, parseDataset } from "../../dicom/dataset.js";
import { readPart10Header } from "../../dicom/part10.js";
import { type WritableElement, encodeDataset } from "../../dicom/writer.js";
import { fileMetaFor } from "../../dimse/scp/store.js";
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
  rangeCovers,
} from "./multipart.js";
import { type UidPath, dicomWebBase, uidParams, validateUidParams } from "./paths.js";

const DICOM = "application/dicom";
const EXPLICIT_LE = TransferSyntaxUid.ExplicitVRLittleEndian;
const DEFLATED = TransferSyntaxUid.DeflatedExplicitVRLittleEndian;
/** "As stored", in a transfer-syntax parameter. */
export const AS_STORED = "*";
/**
 * A media range that names application/dicom without a transfer-syntax parameter: Explicit VR Little
 * Endian (PS3.18 §8.7.3.5.2, since 2016c), or as stored for an object that cannot be converted to it
 * (video, JPIP, syntaxes without a codec here); each part's Content-Type names what it holds.
 */
export const DEFAULT_SYNTAX = "default";

// ---------------------------------------------------------------------------------------------------------
// Which instances

/** The instances a study/series/instance path names, in study, series, instance-number order; 404 if none. */
export function instancesAt(ctx: WebContext, path: UidPath): RetrieveInstance[] {
  const level: QueryLevel = path.instance ? "IMAGE" : path.series ? "SERIES" : "STUDY";
  const rows = ctx.index.instancesForRetrieve({
    level,
    studyInstanceUids: path.study ? [path.study] : undefined,
    seriesInstanceUids: path.series ? [path.series] : undefined,
    sopInstanceUids: path.instance ? [path.instance] : undefined,
  });
  if (rows.length > 0) return rows;
  const where = path.instance
    ? `instance ${path.instance} in series ${path.series} of study ${path.study}`
    : path.series
      ? `series ${path.series} in study ${path.study}`
      : `study ${path.study}`;
  throw new HttpProblem(404, "Not Found", `no ${where}`);
}

// ---------------------------------------------------------------------------------------------------------
// Transfer syntaxes

/** A deflated data set is explicit VR little endian once inflated: the codecs work on that. */
function inflatedSyntax(uid: string): string {
  return uid === DEFLATED ? EXPLICIT_LE : uid;
}

/** Little endian native syntaxes: between these a data set is re-framed here, its values untouched. */
const LITTLE_ENDIAN_NATIVE = new Set<string>([TransferSyntaxUid.ImplicitVRLittleEndian, EXPLICIT_LE]);

/** Whether an instance stored in `from` can be sent in `to` (a lossy `to` only because the client named it). */
export function canConvert(from: string, to: string): boolean {
  if (from === to) return true;
  const source = inflatedSyntax(from);
  const target = inflatedSyntax(to);
  if (LITTLE_ENDIAN_NATIVE.has(source) && LITTLE_ENDIAN_NATIVE.has(target)) return true;
  return canTranscode(source, target, true);
}

/** Group lengths are left out: they would be wrong once the VR fields change (PS3.5 §7.2: optional). */
function writable(dataset: DataSet): WritableElement[] {
  const out: WritableElement[] = [];
  for (const element of dataset.elements()) {
    if ((element.tag & 0xffff) === 0) continue;
    if (element.vr === "SQ") {
      out.push({ tag: element.tag, vr: "SQ", value: (element.items ?? []).map(writable) });
    } else if (element.value === undefined) {
      throw new TranscodeError(`${element.tag.toString(16).padStart(8, "0")} has no value to re-frame`);
    } else out.push({ tag: element.tag, vr: element.vr, value: element.value });
  }
  return out;
}

/**
 * Implicit ↔ explicit VR little endian: every value's bytes stay as they are, only the element headers
 * change. (dcmjs-codecs would decode and re-encode the whole data set, and refuses 32-bit pixels.)
 */
function reframe(dataset: Buffer, from: string, to: string): Buffer {
  try {
    return encodeDataset(writable(parseDataset(dataset, { transferSyntaxUid: from })), {
      transferSyntaxUid: to,
    });
  } catch (error) {
    if (error instanceof TranscodeError) throw error;
    throw new TranscodeError(`cannot convert ${from} to ${to}: ${(error as Error).message}`);
  }
}

/**
 * The Part 10 bytes of a stored object in another transfer syntax, with Hilum's file meta for it. Codec work
 * runs on the transcoding threads, so a study retrieved in another syntax never stalls the server.
 */
async function convertPart10(stored: Buffer, row: RetrieveInstance, to: string): Promise<Buffer> {
  const header = readPart10Header(stored);
  let dataset = stored.subarray(header.datasetOffset);
  let syntax = header.transferSyntaxUid;
  if (syntax === DEFLATED) {
    dataset = inflateRawSync(dataset, { maxOutputLength: 2 ** 31 - 1 });
    syntax = EXPLICIT_LE;
  }
  const target = inflatedSyntax(to);
  if (syntax !== target && LITTLE_ENDIAN_NATIVE.has(syntax) && LITTLE_ENDIAN_NATIVE.has(target)) {
    dataset = reframe(dataset, syntax, target);
  } else if (syntax !== target) {
    const meta = fileMetaFor(row.sopClassUid, row.sopInstanceUid, syntax);
    dataset = await transcodeOffThread(Buffer.concat([meta, dataset]), target);
  }
  if (to === DEFLATED) dataset = deflateRawSync(dataset);
  return Buffer.concat([fileMetaFor(row.sopClassUid, row.sopInstanceUid, to), dataset]);
}

export interface Representation {
  transferSyntaxUid: string;
  /** False: the archived file goes as it is. */
  transcode: boolean;
  /**
   * Chosen as the default rather than asked for by name: if converting fails after all (a codec
   * refuses these pixels), the object goes as stored, labelled with its own transfer syntax.
   */
  orAsStored?: boolean;
}

/** The first acceptable syntax (in the client's order of preference) this instance can be sent in. */
export function chooseSyntax(stored: string, acceptable: readonly string[]): Representation | undefined {
  for (const syntax of acceptable) {
    if (syntax === AS_STORED || syntax === stored) return { transferSyntaxUid: stored, transcode: false };
    if (syntax === DEFAULT_SYNTAX) {
      return stored !== EXPLICIT_LE && canConvert(stored, EXPLICIT_LE)
        ? { transferSyntaxUid: EXPLICIT_LE, transcode: true, orAsStored: true }
        : { transferSyntaxUid: stored, transcode: false };
    }
    if (canConvert(stored, syntax)) return { transferSyntaxUid: syntax, transcode: true };
  }
  return undefined;
}

export interface InstanceBody {
  body: Readable | Buffer;
  /** What the body holds (the chosen one, or the stored one after a failed default conversion). */
  transferSyntaxUid: string;
}

/** The bytes of one instance in the chosen representation: a stream of the archived file, or a converted copy. */
export async function instanceBody(
  ctx: WebContext,
  row: RetrieveInstance,
  representation: Representation,
): Promise<InstanceBody> {
  const asStored = async () => ({
    body: await ctx.store.open(row.storageKey),
    transferSyntaxUid: row.transferSyntaxUid,
  });
  if (!representation.transcode) return asStored();
  const stored = await ctx.store.read(row.storageKey);
  try {
    const to = representation.transferSyntaxUid;
    return { body: await convertPart10(stored, row, to), transferSyntaxUid: to };
  } catch (error) {
    if (!(error instanceof TranscodeError)) throw error;
    ctx.log.warn({ sopInstanceUid: row.sopInstanceUid, err: error.message }, "transcoding failed");
    if (!representation.orAsStored) throw error;
    return { body: stored, transferSyntaxUid: row.transferSyntaxUid };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Accept

export interface DicomNegotiation {
  multipart: boolean;
  /** Acceptable transfer syntaxes, best first; "*" = as stored. */
  syntaxes: string[];
}

/**
 * What an Accept header allows for application/dicom (PS3.18 §8.7.3): multipart/related with
 * type="application/dicom" (an absent type means that too), `*\/*`, or, where `singlePart` is allowed
 * (one instance), application/dicom itself. A range without a transfer-syntax parameter asks for the
 * default (DEFAULT_SYNTAX); `*\/*` and an absent Accept header take the objects as stored. Undefined
 * when nothing acceptable can be produced.
 */
export function negotiateDicom(
  accept: string | string[] | undefined,
  singlePart: boolean,
): DicomNegotiation | undefined {
  const multipart: string[] = [];
  const single: string[] = [];
  let preferSingle: boolean | undefined;
  for (const range of parseAccept(accept)) {
    let syntax = range.params.get("transfer-syntax")?.trim() || DEFAULT_SYNTAX;
    let asMultipart: boolean;
    if (range.mediaType === "multipart/related") {
      const type = (range.params.get("type") ?? DICOM).trim().toLowerCase();
      if (type !== DICOM) continue;
      asMultipart = true;
    } else if (range.mediaType === "*/*" || range.mediaType === "multipart/*") {
      asMultipart = true;
      syntax = AS_STORED;
    } else if (singlePart && rangeCovers(range, DICOM)) {
      asMultipart = false;
    } else continue;
    preferSingle ??= !asMultipart;
    (asMultipart ? multipart : single).push(syntax);
  }
  if (preferSingle === undefined) return undefined;
  return preferSingle ? { multipart: false, syntaxes: single } : { multipart: true, syntaxes: multipart };
}

// ---------------------------------------------------------------------------------------------------------
// Caching

/** A strong ETag for a response made of these instances in these representations. */
export function etagOf(form: string, rows: readonly RetrieveInstance[], syntaxes: readonly string[]): string {
  const hash = createHash("sha256").update(form);
  rows.forEach((row, i) => hash.update(`\n${row.sha256} ${syntaxes[i] ?? ""}`));
  return `"${hash.digest("hex")}"`;
}

/** If-None-Match (RFC 9110 §13.1.2): weak comparison, `*` matches any current representation. */
export function ifNoneMatch(request: FastifyRequest, etag: string): boolean {
  const header = request.headers["if-none-match"];
  if (!header) return false;
  if (header.trim() === "*") return true;
  const bare = etag.replace(/^W\//, "");
  return header.split(",").some((tag) => tag.trim().replace(/^W\//, "") === bare);
}

/** ETag, Cache-Control and Vary of a cacheable DICOMweb response; true (and a 304 sent) when the client's copy is current. */
export function answerCached(
  ctx: WebContext,
  request: FastifyRequest,
  reply: FastifyReply,
  etag: string,
): boolean {
  reply.header("ETag", etag);
  reply.header("Cache-Control", `private, max-age=${ctx.config.dicomWeb.cacheMaxAgeSeconds}`);
  reply.header("Vary", "Accept");
  if (!ifNoneMatch(request, etag)) return false;
  reply.code(304).send();
  return true;
}

// ---------------------------------------------------------------------------------------------------------
// Routes

function levelOf(path: UidPath): string {
  return path.instance ? "instance" : path.series ? "series" : "study";
}

function notAcceptable(detail: string): HttpProblem {
  return new HttpProblem(406, "Not Acceptable", detail);
}

async function retrieve(ctx: WebContext, request: FastifyRequest, reply: FastifyReply) {
  const path = uidParams(request);
  const negotiation = negotiateDicom(request.headers.accept, path.instance !== undefined);
  if (!negotiation) {
    throw notAcceptable(
      `this resource is available as multipart/related; type="application/dicom"` +
        (path.instance ? ` or application/dicom` : ""),
    );
  }
  const rows = instancesAt(ctx, path);
  const representations = rows.map((row) => {
    const chosen = chooseSyntax(row.transferSyntaxUid, negotiation.syntaxes);
    if (!chosen) {
      throw notAcceptable(
        `instance ${row.sopInstanceUid} is stored in ${row.transferSyntaxUid} and cannot be sent in ` +
          negotiation.syntaxes
            .map((t) => (t === DEFAULT_SYNTAX ? `${EXPLICIT_LE} (the default)` : t))
            .join(", "),
      );
    }
    return chosen;
  });
  const syntaxes = representations.map((r) => r.transferSyntaxUid);
  const single = !negotiation.multipart;
  const first = rows[0] as RetrieveInstance;
  const firstRepresentation = representations[0] as Representation;
  const base = dicomWebBase(request, ctx.config.dicomWeb.publicUrl);
  // The archived file itself: its SHA-256 is the ETag. Parts name their location, hence the base.
  const etag =
    single && !firstRepresentation.transcode
      ? `"${first.sha256}"`
      : etagOf(single ? "single" : `multipart ${base}`, rows, syntaxes);
  const audit = (notModified: boolean) =>
    auditAccess(ctx, request, {
      action: "retrieve-wado",
      studyUid: path.study,
      seriesUid: path.series,
      sopInstanceUid: path.instance,
      detail: { level: levelOf(path), instances: rows.length, syntaxes: [...new Set(syntaxes)], notModified },
    });
  if (answerCached(ctx, request, reply, etag)) {
    audit(true);
    return reply;
  }
  audit(false);
  // A first part that must be converted is converted before the headers go, so that a codec refusing
  // it is a 406 rather than a cut response (an archived file is opened only once it is read: a stream
  // opened ahead would hold its descriptor if the client left first).
  let ready: InstanceBody | undefined;
  if (single || firstRepresentation.transcode) {
    try {
      ready = await instanceBody(ctx, first, firstRepresentation);
    } catch (error) {
      reply.removeHeader("ETag").removeHeader("Cache-Control");
      if (error instanceof TranscodeError) throw notAcceptable(error.message);
      throw error;
    }
  }
  if (single && ready) {
    return reply.type(`${DICOM}; transfer-syntax=${ready.transferSyntaxUid}`).send(ready.body);
  }
  const location = (row: RetrieveInstance) =>
    `${base}/studies/${row.studyInstanceUid}/series/${row.seriesInstanceUid}/instances/${row.sopInstanceUid}`;
  // Each part is opened (or converted) only when the socket is ready for it. A later part that cannot
  // be converted after all ends the response without its close delimiter: the client sees it cut.
  async function* parts(): AsyncGenerator<MultipartPart> {
    for (const [i, row] of rows.entries()) {
      const sent =
        i === 0 && ready ? ready : await instanceBody(ctx, row, representations[i] as Representation);
      yield {
        contentType: `${DICOM}; transfer-syntax=${sent.transferSyntaxUid}`,
        headers: { "Content-Location": location(row) },
        body: sent.body,
      };
    }
  }
  const boundary = boundaryFor(etag);
  return reply.type(multipartContentType(DICOM, boundary)).send(multipartStream(parts(), boundary));
}

/** GET /dicom-web/studies/{s}, …/series/{se}, …/instances/{i}: permission studies:read. */
export function registerRetrieve(app: FastifyInstance, ctx: WebContext): void {
  const options = { preHandler: [requirePermission("studies:read"), validateUidParams] };
  const handler = (request: FastifyRequest, reply: FastifyReply) => retrieve(ctx, request, reply);
  app.get("/dicom-web/studies/:study", options, handler);
  app.get("/dicom-web/studies/:study/series/:series", options, handler);
  app.get("/dicom-web/studies/:study/series/:series/instances/:instance", options, handler);
}
