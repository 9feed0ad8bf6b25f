/**
 * STOW-RS (PS3.18 §10.5): `POST /dicom-web/studies[/{study}]` with a multipart/related body of
 * application/dicom parts, each a DICOM Part 10 file.
 *
 * Each part streams into an archive staging file as it arrives, exactly like a C-STORE: Hilum's own
 * file meta header, then the dataset as received, hashed on the way; only the head of a part (its
 * file meta and first elements, to learn the transfer syntax and the SOP Class/Instance UIDs) is
 * ever held before it is written. Once the whole body has been read and found well-formed, every
 * part goes through the ingest pipeline (durable before the response). A malformed, truncated or
 * oversized body stores nothing: its staged parts are dropped.
 *
 * Failure Reason codes (PS3.18 Table I.2-2), as mapped here:
 * - 0xA700 Refused out of resources: the archive is full (ENOSPC/quota/SQLite full).
 * - 0xA900 Data Set does not match SOP Class: with `/studies/{study}`, a part of another study (its
 *   StudyInstanceUID differs); also a deflated part whose dataset's SOP Class differs from its file
 *   meta (a deflated dataset's UIDs are taken from the file meta, any other's from the dataset).
 * - 0xC000 Cannot understand: not a DICOM Part 10 file, a dataset that does not parse, or SOP UIDs
 *   that are not UIDs; Hilum's refinements in the Cxxx range: 0xC001 no SOP Instance/Study/Series
 *   UID, 0xC002 a deflated dataset's SOP Instance UID differs from its file meta, 0xC003 a different
 *   object already stored under that UID (with `storage.duplicates: reject`).
 * - 0xC122 Referenced Transfer Syntax not supported: a transfer syntax PS3.6 does not define.
 * - 0x0122 Referenced SOP Class not supported: not a storage SOP class Hilum accepts (the same list
 *   as its C-STORE SCP: the standard ones and `dicom.extraStorageSopClasses`).
 * - 0x0110 Processing failure: anything else that went wrong while storing.
 * Warning Reason (0008,1196): Hilum stores every dataset as received, coercing nothing; the one
 * warning is 0xB000 (Coercion of Data Elements) for an instance accepted while the archive keeps a
 * different object stored earlier under its SOP Instance UID (`storage.duplicates: keep`).
 */
import { type Hash, createHash } from "node:crypto";
import type { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import * as tags from "../../../../shared/dicom/tags.js";
import { datasetEncoding, lookupTransferSyntax } from "../../../../shared/dicom/transfer-syntax.js";
import { hasLongLength, vrFromBytes } from "../../../../shared/dicom/vr.js";
import type { StagingWriter } from "../../archive/object-store.js";
import { type DataSet, DicomParseError, parseDataset, parseDatasetFile } from "../../dicom/dataset.js";
import { type Part10Header, readPart10Header } from "../../dicom/part10.js";
import { isStorageSopClass } from "../../dimse/capabilities.js";
import { fileMetaFor } from "../../dimse/scp/store.js";
import { Status } from "../../dimse/status.js";
import type { IngestResult } from "../../ingest/pipeline.js";
import type { ReceivedObject } from "../../ingest/received-object.js";
import { IngestRefusal } from "../../ingest/refusal.js";
import { auditAccess } from "../audit.js";
import { requirePermission } from "../auth/guard.js";
import type { WebContext } from "../context.js";
import { HttpProblem } from "../problem.js";
import {
  MultipartError,
  type PartHeaders,
  type PartSink,
  parseMediaType,
  parseMultipart,
} from "./multipart-parser.js";
import { dicomWebBase, validateUidParams } from "./paths.js";

/** PS3.18 Table I.2-2 codes Hilum answers with (see the comment at the top). */
export const FailureReason = {
  OutOfResources: Status.StoreRefusedOutOfResources,
  DataSetDoesNotMatchSopClass: Status.StoreErrorDataSetDoesNotMatchSopClass,
  CannotUnderstand: Status.StoreErrorCannotUnderstand,
  TransferSyntaxNotSupported: 0xc122,
  SopClassNotSupported: Status.SopClassNotSupported,
  ProcessingFailure: Status.ProcessingFailure,
} as const;

/** Warning Reason codes (PS3.18 Table I.2-1) Hilum answers with. */
export const WarningReason = {
  /** The instance was accepted, but the archive keeps a different object under its UID (duplicates: keep). */
  Coercion: Status.StoreWarningCoercion,
} as const;

const MiB = 1024 * 1024;
/** A part's head is first examined once this much of it has arrived (or it ended). */
const HEAD_FIRST = 64 * 1024;
/** The file meta and the SOP UIDs must lie within this many leading bytes of a part. */
const HEAD_MAX = 4 * MiB;

const DICOM_JSON = "application/dicom+json";

/** What a UID may hold (PS3.5 §9.1; leading zeros tolerated, as in the wild): it names Hilum's file meta. */
const UID_CHARACTERS = /^[0-9.]{1,64}$/;

/** Why one part was not stored, with what is known of the instance it carried. */
export interface PartFailure {
  part: number;
  reason: number;
  why: string;
  sopClassUid?: string;
  sopInstanceUid?: string;
  studyInstanceUid?: string;
}

/** What the parts of one request share: memory for datasets kept, and the writes still queued. */
export interface Budget {
  /** Bytes of datasets that may still be kept in memory (the rest is read back from staging). */
  left: number;
  /** Flushes of finished parts whose bytes may still be queued for the disk, oldest first. */
  unflushed?: Promise<void>[];
}

/**
 * Finished parts whose writes may still be queued: past this, the next part waits for the oldest to
 * reach the disk. Each staging file pauses its writer beyond 4 MiB queued, so at most about this many
 * times 4 MiB of a request waits in memory, however fast the client sends and however slow the disk.
 */
const UNFLUSHED_PARTS = 4;

interface Identity {
  header: Part10Header;
  transferSyntaxUid: string;
  sopClassUid: string;
  sopInstanceUid: string;
}

type HeadScan =
  | { done: true; sopClassUid?: string; sopInstanceUid?: string }
  | { done: false; sopClassUid?: string; sopInstanceUid?: string };

function uidText(bytes: Buffer): string {
  return bytes
    .toString("latin1")
    .replace(/[\0 ]+$/, "")
    .trim();
}

/**
 * Reads SOP Class UID and SOP Instance UID from the first top-level elements of a dataset's head,
 * skipping the values before them by their lengths. `done: false` means more bytes are needed;
 * `done: true` with a UID missing means it is not among the leading elements (or they cannot be
 * skipped): the caller then uses the file meta header's values and lets the ingest check them.
 */
export function scanSopUids(data: Buffer, transferSyntaxUid: string): HeadScan {
  const enc = datasetEncoding(transferSyntaxUid);
  const little = enc.littleEndian;
  const u16 = (at: number) => (little ? data.readUInt16LE(at) : data.readUInt16BE(at));
  const u32 = (at: number) => (little ? data.readUInt32LE(at) : data.readUInt32BE(at));
  let sopClassUid: string | undefined;
  let sopInstanceUid: string | undefined;
  let pos = 0;
  for (;;) {
    if (sopClassUid !== undefined && sopInstanceUid !== undefined)
      return { done: true, sopClassUid, sopInstanceUid };
    if (pos + 8 > data.length) return { done: false, sopClassUid, sopInstanceUid };
    const tag = ((u16(pos) << 16) | u16(pos + 2)) >>> 0;
    if (tag > tags.SOPInstanceUID) return { done: true, sopClassUid, sopInstanceUid };
    let header = 8;
    let length: number;
    if (enc.explicitVr) {
      const vr = vrFromBytes(data[pos + 4]!, data[pos + 5]!);
      if (!vr) return { done: true, sopClassUid, sopInstanceUid };
      if (hasLongLength(vr)) {
        header = 12;
        if (pos + 12 > data.length) return { done: false, sopClassUid, sopInstanceUid };
        length = u32(pos + 8);
      } else {
        length = u16(pos + 6);
      }
    } else {
      length = u32(pos + 4);
    }
    if (length === 0xffffffff) return { done: true, sopClassUid, sopInstanceUid };
    const end = pos + header + length;
    if (tag === tags.SOPClassUID || tag === tags.SOPInstanceUID) {
      if (end > data.length) return { done: false, sopClassUid, sopInstanceUid };
      const value = uidText(data.subarray(pos + header, end));
      if (tag === tags.SOPClassUID) sopClassUid = value;
      else sopInstanceUid = value;
    }
    pos = end;
  }
}

/**
 * One application/dicom part on its way into staging: the head is held until the Part 10 header
 * and the SOP UIDs are known, then Hilum's file meta and the dataset stream to disk while being
 * hashed; a small dataset is also kept in memory (within the request's budget) for validation.
 */
export class StowPartReceiver implements PartSink {
  failure?: PartFailure;
  object?: ReceivedObject;
  identity?: Identity;
  private head: Buffer[] = [];
  private headLength = 0;
  private want = HEAD_FIRST;
  private staging?: StagingWriter;
  private hash?: Hash;
  private meta?: Buffer;
  private kept: Buffer[] = [];
  private complete = true;
  private datasetLength = 0;

  constructor(
    readonly part: number,
    private readonly ctx: WebContext,
    private readonly budget: Budget,
  ) {}

  write(chunk: Buffer): Promise<void> | undefined {
    if (this.failure) return undefined; // the rest of a refused part is read and dropped
    if (this.staging) return this.stream(chunk);
    this.head.push(chunk);
    this.headLength += chunk.length;
    return this.headLength >= this.want ? this.identify(false) : undefined;
  }

  end(): Promise<void> | undefined {
    if (this.failure) return undefined;
    if (!this.staging) {
      void this.identify(true);
      if (this.failure || !this.staging) return undefined;
    }
    const meta = this.meta!;
    const digest = this.hash!.digest("hex");
    this.object = {
      transferSyntaxUid: this.identity!.transferSyntaxUid,
      meta,
      dataset: this.kept,
      complete: this.complete,
      datasetLength: this.datasetLength,
      sha256: () => Promise.resolve(digest),
      staging: this.staging,
    };
    // The fsync starts now, while later parts arrive; the ingest awaits the same (memoised) sync.
    this.staging.sync().catch(() => undefined);
    const unflushed = (this.budget.unflushed ??= []);
    unflushed.push(this.staging.flush().catch(() => undefined));
    return unflushed.length > UNFLUSHED_PARTS ? unflushed.shift() : undefined;
  }

  /** Drops whatever this part staged (the request failed as a whole); never throws. */
  async abort(): Promise<void> {
    this.kept = [];
    this.head = [];
    await this.staging?.abort();
  }

  private fail(reason: number, why: string, identity?: Partial<Identity>): undefined {
    this.failure = {
      part: this.part,
      reason,
      why,
      sopClassUid: identity?.sopClassUid,
      sopInstanceUid: identity?.sopInstanceUid,
    };
    this.head = [];
    return undefined;
  }

  /** Examines the head; with `final`, the part has ended and no more bytes will come. */
  private identify(final: boolean): Promise<void> | undefined {
    const bytes = this.head.length === 1 ? this.head[0]! : Buffer.concat(this.head, this.headLength);
    this.head = [bytes];
    const more = () => {
      if (final || this.headLength >= HEAD_MAX) return false;
      this.want = Math.min(this.want * 4, HEAD_MAX);
      return true;
    };
    let header: Part10Header;
    try {
      header = readPart10Header(bytes);
    } catch (err) {
      if (!(err instanceof DicomParseError)) throw err;
      if (more()) return undefined;
      return this.fail(FailureReason.CannotUnderstand, `not a DICOM Part 10 file: ${err.message}`);
    }
    const transferSyntaxUid = header.transferSyntaxUid;
    const syntax = lookupTransferSyntax(transferSyntaxUid);
    const fromMeta = {
      sopClassUid: header.mediaStorageSopClassUid,
      sopInstanceUid: header.mediaStorageSopInstanceUid,
    };
    if (!syntax) {
      return this.fail(
        FailureReason.TransferSyntaxNotSupported,
        `transfer syntax ${transferSyntaxUid} is not one Hilum knows`,
        fromMeta,
      );
    }
    const dataset = bytes.subarray(header.datasetOffset);
    let scan: HeadScan = { done: true };
    if (!syntax.deflated) {
      scan = scanSopUids(dataset, transferSyntaxUid);
      if (!scan.done && more()) return undefined;
    }
    const sopClassUid = scan.sopClassUid || fromMeta.sopClassUid;
    const sopInstanceUid = scan.sopInstanceUid || fromMeta.sopInstanceUid;
    if (!sopClassUid || !sopInstanceUid) {
      return this.fail(Status.StoreErrorMissingSopInstanceUid, "no SOP Class UID or SOP Instance UID", {
        sopClassUid,
        sopInstanceUid,
      });
    }
    const invalid = [sopClassUid, sopInstanceUid].find((uid) => !UID_CHARACTERS.test(uid));
    if (invalid !== undefined) {
      return this.fail(
        FailureReason.CannotUnderstand,
        `${JSON.stringify(invalid.slice(0, 80))} is not a UID (digits and dots, at most 64 characters)`,
        { sopClassUid, sopInstanceUid },
      );
    }
    if (!isStorageSopClass(sopClassUid, this.ctx.config.dicom.extraStorageSopClasses)) {
      return this.fail(
        FailureReason.SopClassNotSupported,
        `SOP class ${sopClassUid} is not a storage SOP class Hilum accepts`,
        { sopClassUid, sopInstanceUid },
      );
    }
    this.identity = { header, transferSyntaxUid, sopClassUid, sopInstanceUid };
    this.meta = fileMetaFor(sopClassUid, sopInstanceUid, transferSyntaxUid);
    this.hash = createHash("sha256").update(this.meta);
    this.staging = this.ctx.store.createStaging();
    this.staging.write(this.meta);
    this.head = [];
    return dataset.length > 0 ? this.stream(dataset) : undefined;
  }

  private stream(chunk: Buffer): Promise<void> | undefined {
    this.datasetLength += chunk.length;
    this.hash!.update(chunk);
    if (this.complete) {
      const limit = this.ctx.config.storage.keepInMemoryMiB * MiB;
      if (this.datasetLength <= limit && chunk.length <= this.budget.left) {
        this.kept.push(chunk);
        this.budget.left -= chunk.length;
      } else {
        // Too large to keep: validated from the staging file; the leading chunks stay for the record.
        this.complete = false;
      }
    }
    return this.staging!.write(chunk);
  }
}

/** The header up to Pixel Data of a staged part, to check its study; undefined when it does not parse. */
async function stagedHeader(object: ReceivedObject): Promise<DataSet | undefined> {
  const options = {
    transferSyntaxUid: object.transferSyntaxUid,
    stopAtPixelData: true,
    skipValuesLongerThan: 65_536,
  };
  try {
    if (object.complete) {
      const bytes =
        object.dataset.length === 1
          ? object.dataset[0]!
          : Buffer.concat(object.dataset, object.datasetLength);
      return parseDataset(bytes, options);
    }
    await object.staging.flush();
    return parseDatasetFile(object.staging.path, object.meta.length, options);
  } catch (err) {
    if (err instanceof DicomParseError) return undefined; // the ingest refuses it, in its words
    throw err;
  }
}

/** A stored part; `warning` when what is kept is not what was sent (Warning Reason, PS3.18 Table I.2-1). */
/** Parts of one request in the ingest pipeline at once (its group commit takes 64 per batch). */
const INGESTING_PARTS = 64;

/** `Promise.all(items.map(fn))` with at most `limit` calls pending at once; results in order. */
async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

type PartOutcome = { stored: IngestResult; warning?: number } | { failed: PartFailure };

async function storePart(
  ctx: WebContext,
  request: FastifyRequest,
  receiver: StowPartReceiver,
  study: string | undefined,
): Promise<PartOutcome> {
  if (receiver.failure) return { failed: receiver.failure };
  const object = receiver.object!;
  const identity = receiver.identity!;
  const known = { sopClassUid: identity.sopClassUid, sopInstanceUid: identity.sopInstanceUid };
  if (study !== undefined) {
    let header: DataSet | undefined;
    try {
      header = await stagedHeader(object);
    } catch (err) {
      // A staging read failed (the ingest would fail the same way): this part fails, the others go on.
      await object.staging.abort();
      ctx.log.error({ err }, "STOW-RS part could not be read back from staging");
      return {
        failed: {
          part: receiver.part,
          reason: FailureReason.ProcessingFailure,
          why: "could not be read back",
          ...known,
        },
      };
    }
    const studyInstanceUid = header?.string(tags.StudyInstanceUID);
    if (header && studyInstanceUid !== study) {
      await object.staging.abort();
      return {
        failed: {
          part: receiver.part,
          reason: FailureReason.DataSetDoesNotMatchSopClass,
          why: `its Study Instance UID ${studyInstanceUid ?? "(none)"} is not the study of the request, ${study}`,
          ...known,
          studyInstanceUid,
        },
      };
    }
  }
  try {
    const stored = await ctx.ingest.ingest({
      object,
      source: { kind: "stow", actor: request.principal?.name ?? "anonymous", callingAeTitle: "" },
      expected: known,
    });
    if (stored.outcome === "duplicate") {
      // `storage.duplicates: keep` keeps the object stored first: say so when it differs from this one.
      const kept = ctx.index.findInstance(stored.sopInstanceUid);
      if (kept && kept.sha256 !== (await object.sha256())) return { stored, warning: WarningReason.Coercion };
    }
    return { stored };
  } catch (err) {
    const refusal = err instanceof IngestRefusal ? err : undefined;
    if (!refusal) ctx.log.error({ err }, "STOW-RS part failed");
    return {
      failed: {
        part: receiver.part,
        reason: refusal?.status ?? FailureReason.ProcessingFailure,
        why: refusal?.message ?? "storing failed",
        ...known,
      },
    };
  }
}

// ---------------------------------------------------------------------------------------------------------
// The request

/** True when the Accept header allows application/dicom+json (the only response body Hilum writes). */
export function acceptsDicomJson(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === "") return true;
  for (const range of accept.split(",")) {
    const media = parseMediaType(range.trim());
    if (!media) continue;
    const q = Number(media.params.get("q") ?? "1");
    if (!(q > 0)) continue;
    if (["application/dicom+json", "application/json", "application/*", "*/*"].includes(media.type))
      return true;
  }
  return false;
}

/** The boundary of a STOW-RS request, or the problem with its Content-Type. */
function boundaryOf(contentType: string | undefined): string {
  const media = contentType === undefined ? undefined : parseMediaType(contentType);
  if (!media || media.type !== "multipart/related") {
    throw new HttpProblem(
      415,
      "Unsupported Media Type",
      `STOW-RS takes multipart/related; type="application/dicom", not ${contentType === undefined ? "a body without Content-Type" : JSON.stringify(contentType.slice(0, 100))}`,
    );
  }
  const type = media.params.get("type");
  if (type !== undefined && type.toLowerCase() !== "application/dicom") {
    throw new HttpProblem(
      415,
      "Unsupported Media Type",
      `multipart/related of ${JSON.stringify(type.slice(0, 100))} is not supported: only type="application/dicom"`,
    );
  }
  const boundary = media.params.get("boundary");
  if (!boundary) {
    throw new HttpProblem(400, "Bad Request", "the multipart/related Content-Type has no boundary parameter");
  }
  return boundary;
}

function checkPart(headers: PartHeaders, index: number): void {
  const contentType = headers.get("content-type");
  if (contentType === undefined) {
    throw new MultipartError(400, `part ${index + 1} has no Content-Type header`);
  }
  const media = parseMediaType(contentType);
  if (media?.type !== "application/dicom") {
    throw new MultipartError(
      415,
      `part ${index + 1} is ${JSON.stringify(contentType.slice(0, 100))}: only application/dicom parts are accepted`,
    );
  }
  const encoding = headers.get("content-transfer-encoding")?.toLowerCase();
  if (encoding !== undefined && !["binary", "8bit", "7bit"].includes(encoding)) {
    throw new MultipartError(
      415,
      `part ${index + 1} has Content-Transfer-Encoding ${JSON.stringify(encoding.slice(0, 40))}: send binary`,
    );
  }
}

const TITLES: Record<number, string> = {
  400: "Bad Request",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
};

function uidElement(vr: string, value: string | number | undefined) {
  return value === undefined || value === "" ? { vr } : { vr, Value: [value] };
}

/** The Store Instances Response (PS3.18 Table I.1-1) as DICOM JSON. */
export function storeResponse(
  base: string,
  stored: Array<{ stored: IngestResult; warning?: number }>,
  failed: PartFailure[],
  study: string | undefined,
): Record<string, unknown> {
  const studies = new Set(stored.map((s) => s.stored.studyInstanceUid));
  const retrieveStudy = study ?? (studies.size === 1 ? [...studies][0] : undefined);
  const body: Record<string, unknown> = {
    "00081190": uidElement("UR", retrieveStudy ? `${base}/studies/${retrieveStudy}` : undefined),
  };
  if (failed.length > 0) {
    body["00081198"] = {
      vr: "SQ",
      Value: failed.map((f) => {
        const item: Record<string, unknown> = {};
        if (f.sopClassUid) item["00081150"] = uidElement("UI", f.sopClassUid);
        if (f.sopInstanceUid) item["00081155"] = uidElement("UI", f.sopInstanceUid);
        item["00081197"] = { vr: "US", Value: [f.reason] };
        return item;
      }),
    };
  }
  if (stored.length > 0) {
    body["00081199"] = {
      vr: "SQ",
      Value: stored.map(({ stored: s, warning }) => ({
        "00081150": uidElement("UI", s.sopClassUid),
        "00081155": uidElement("UI", s.sopInstanceUid),
        "00081190": uidElement(
          "UR",
          `${base}/studies/${s.studyInstanceUid}/series/${s.seriesInstanceUid}/instances/${s.sopInstanceUid}`,
        ),
        ...(warning === undefined ? {} : { "00081196": { vr: "US", Value: [warning] } }),
      })),
    };
  }
  return body;
}

/**
 * A refusal before the body was read to its end also closes the connection: the client may be
 * sending gigabytes the server would otherwise have to read and drop to reuse the connection.
 */
async function stow(ctx: WebContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  try {
    return await store(ctx, request, reply);
  } catch (err) {
    const body = request.body as Partial<Readable> | undefined;
    if (body?.readableEnded === false) reply.header("connection", "close");
    throw err;
  }
}

async function store(ctx: WebContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const study = (request.params as { study?: string }).study;
  if (!acceptsDicomJson(request.headers.accept)) {
    throw new HttpProblem(
      406,
      "Not Acceptable",
      `STOW-RS answers with ${DICOM_JSON}, which the Accept header ${JSON.stringify(request.headers.accept!.slice(0, 100))} does not allow`,
    );
  }
  const boundary = boundaryOf(request.headers["content-type"]);
  const limit = Math.floor(ctx.config.http.maxBodyMiB * MiB);
  const declared = Number(request.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    throw new HttpProblem(
      413,
      "Payload Too Large",
      `the request body of ${declared} bytes exceeds the limit of ${limit} bytes (http.maxBodyMiB)`,
    );
  }
  const body = request.body as Readable | undefined;
  if (!body || typeof (body as Partial<Readable>)[Symbol.asyncIterator] !== "function") {
    throw new HttpProblem(400, "Bad Request", "the request has no body");
  }

  const budget: Budget = { left: ctx.config.storage.keepInMemoryMiB * MiB };
  const receivers: StowPartReceiver[] = [];
  const started = process.hrtime.bigint();
  try {
    await parseMultipart(
      body,
      boundary,
      (headers, index) => {
        checkPart(headers, index);
        const receiver = new StowPartReceiver(index + 1, ctx, budget);
        receivers.push(receiver);
        return receiver;
      },
      { maxBytes: limit },
    );
  } catch (err) {
    await Promise.all(receivers.map((r) => r.abort()));
    if (err instanceof MultipartError) {
      throw new HttpProblem(err.status, TITLES[err.status]!, err.message);
    }
    if (body.destroyed || (err as { code?: string }).code === "ECONNRESET") {
      throw new HttpProblem(400, "Bad Request", "the request body was cut off before its end");
    }
    throw err;
  }
  if (receivers.length === 0) {
    throw new HttpProblem(400, "Bad Request", "the multipart body holds no parts");
  }

  // At most one ingest batch in flight: each part under validation holds its parsed header.
  const outcomes = await mapLimited(receivers, INGESTING_PARTS, (r) => storePart(ctx, request, r, study));
  const stored: Array<{ stored: IngestResult; warning?: number }> = [];
  const failed: PartFailure[] = [];
  for (const outcome of outcomes) {
    if ("failed" in outcome) failed.push(outcome.failed);
    else stored.push(outcome);
  }
  for (const f of failed) {
    auditAccess(ctx, request, {
      action: "stow",
      outcome: "failure",
      studyUid: f.studyInstanceUid ?? study,
      sopInstanceUid: f.sopInstanceUid,
      detail: { part: f.part, failureReason: f.reason, why: f.why },
    });
  }
  if (failed.length > 0) {
    ctx.log.warn(
      { failed: failed.map((f) => ({ part: f.part, reason: f.reason.toString(16), why: f.why })) },
      "STOW-RS parts refused",
    );
  }
  ctx.log.debug(
    {
      parts: receivers.length,
      stored: stored.length,
      ms: Number(process.hrtime.bigint() - started) / 1e6,
    },
    "STOW-RS request",
  );
  const status = failed.length === 0 ? 200 : stored.length === 0 ? 409 : 202;
  const base = dicomWebBase(request, ctx.config.dicomWeb.publicUrl);
  return reply
    .code(status)
    .type(DICOM_JSON)
    .send(storeResponse(base, stored, failed, study));
}

/** STOW-RS routes, in their own scope: their bodies are streamed by the handler, not parsed by fastify. */
export function registerStow(app: FastifyInstance, ctx: WebContext): void {
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_request, payload, done) => done(null, payload));
    const options = { preHandler: [requirePermission("studies:write"), validateUidParams] };
    scope.post("/dicom-web/studies", options, (request, reply) => stow(ctx, request, reply));
    scope.post("/dicom-web/studies/:study", options, (request, reply) => stow(ctx, request, reply));
  });
}
