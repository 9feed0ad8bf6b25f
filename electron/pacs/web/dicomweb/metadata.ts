/**
 * WADO-RS metadata (PS3.18 §10.4.1.1.2): every instance of a study, series or instance as DICOM JSON,
 * bulk values as BulkDataURIs (json.ts). Each stored header is parsed from disk in windows, large
 * values left where they are, and the JSON array is streamed instance by instance, so the first
 * bytes leave as soon as the first instance is parsed.
 */
import { setImmediate } from "node:timers/promises";
import { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { RetrieveInstance } from "../../db/database.js";
import { type DataSet, parseDataset, parseDatasetFile } from "../../dicom/dataset.js";
import { readPart10Header, readPart10HeaderFromFile } from "../../dicom/part10.js";
import { auditAccess } from "../audit.js";
import { requirePermission } from "../auth/guard.js";
import type { WebContext } from "../context.js";
import { HttpProblem } from "../problem.js";
import { bulkDataBaseOf, datasetToJson } from "./json.js";
import { parseAccept, rangeCovers } from "./multipart.js";
import { dicomWebBase, uidParams, validateUidParams } from "./paths.js";
import { answerCached, etagOf, instancesAt } from "./retrieve.js";

/** Values longer than this stay on disk: they become BulkDataURIs anyway (binary above 1 KiB). */
const SKIP_VALUES_ABOVE = 65_536;
/** Bytes of JSON gathered before a chunk is written. */
const CHUNK = 64 * 1024;

function isMissing(error: unknown): boolean {
  return (error as { code?: string } | undefined)?.code === "ENOENT";
}

/**
 * The data set of an archived instance, big values not read (they keep offset and length). Read from
 * the published file in windows; an object still in staging (just stored) is read whole instead.
 */
export async function readInstanceDataset(ctx: WebContext, storageKey: string): Promise<DataSet> {
  const path = ctx.store.pathOf(storageKey);
  try {
    const header = readPart10HeaderFromFile(path);
    return parseDatasetFile(path, header.datasetOffset, {
      transferSyntaxUid: header.transferSyntaxUid,
      skipValuesLongerThan: SKIP_VALUES_ABOVE,
    });
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
  const bytes = await ctx.store.read(storageKey);
  const header = readPart10Header(bytes);
  return parseDataset(bytes.subarray(header.datasetOffset), {
    transferSyntaxUid: header.transferSyntaxUid,
    skipValuesLongerThan: SKIP_VALUES_ABOVE,
  });
}

/**
 * Recently made instance JSON, by storage key and bulk data base. Archived objects never change under
 * their key (a replaced instance gets a new key), so an entry never goes stale; the least recently used
 * ones go once the texts pass the byte budget.
 */
class JsonCache {
  private readonly entries = new Map<string, string>();
  private size = 0;

  constructor(private readonly budget: number) {}

  get(key: string): string | undefined {
    const text = this.entries.get(key);
    if (text !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, text);
    }
    return text;
  }

  set(key: string, text: string): void {
    if (text.length > this.budget / 16) return;
    const old = this.entries.get(key);
    if (old !== undefined) this.size -= old.length;
    this.entries.delete(key);
    this.entries.set(key, text);
    this.size += text.length;
    for (const [oldest, value] of this.entries) {
      if (this.size <= this.budget) break;
      this.entries.delete(oldest);
      this.size -= value.length;
    }
  }
}

/** About 2.5 KB per CT slice: some ten thousand instances. */
const cache = new JsonCache(32 * 1024 * 1024);

/** One instance's DICOM JSON, as text. */
export async function instanceJson(ctx: WebContext, row: RetrieveInstance, base: string): Promise<string> {
  const bulkDataBase = bulkDataBaseOf(base, row.studyInstanceUid, row.seriesInstanceUid, row.sopInstanceUid);
  const key = `${row.storageKey} ${bulkDataBase}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const dataset = await readInstanceDataset(ctx, row.storageKey);
  const text = JSON.stringify(datasetToJson(dataset, { bulkDataBase }));
  cache.set(key, text);
  return text;
}

/** The JSON array, streamed: the first instance is written as soon as it is parsed, then in ~64 KiB chunks. */
function metadataStream(ctx: WebContext, rows: readonly RetrieveInstance[], base: string): Readable {
  async function* generate(): AsyncGenerator<string> {
    let pending = "[";
    for (const [i, row] of rows.entries()) {
      pending += (i === 0 ? "" : ",") + (await instanceJson(ctx, row, base));
      if (i === 0 || pending.length >= CHUNK) {
        yield pending;
        pending = "";
        await setImmediate(); // other requests get their turn between chunks
      }
    }
    yield `${pending}]`;
  }
  return Readable.from(generate(), { objectMode: false });
}

const JSON_TYPES = ["application/dicom+json", "application/json"];

/** The JSON media type the client accepts (application/dicom+json unless it named only application/json). */
export function negotiateJson(accept: string | string[] | undefined): string | undefined {
  for (const range of parseAccept(accept)) {
    const type = JSON_TYPES.find((t) => rangeCovers(range, t));
    if (type) return type;
  }
  return undefined;
}

async function metadata(ctx: WebContext, request: FastifyRequest, reply: FastifyReply) {
  const path = uidParams(request);
  const type = negotiateJson(request.headers.accept);
  if (!type) throw new HttpProblem(406, "Not Acceptable", "metadata is available as application/dicom+json");
  const rows = instancesAt(ctx, path);
  const base = dicomWebBase(request, ctx.config.dicomWeb.publicUrl);
  const etag = etagOf(`metadata ${base}`, rows, []);
  const notModified = answerCached(ctx, request, reply, etag);
  auditAccess(ctx, request, {
    action: "metadata",
    studyUid: path.study,
    seriesUid: path.series,
    sopInstanceUid: path.instance,
    detail: {
      level: path.instance ? "instance" : path.series ? "series" : "study",
      instances: rows.length,
      notModified,
    },
  });
  if (notModified) return reply;
  return reply.type(type).send(metadataStream(ctx, rows, base));
}

/** GET …/studies/{s}/metadata, …/series/{se}/metadata, …/instances/{i}/metadata: permission studies:read. */
export function registerMetadata(app: FastifyInstance, ctx: WebContext): void {
  const options = { preHandler: [requirePermission("studies:read"), validateUidParams] };
  const handler = (request: FastifyRequest, reply: FastifyReply) => metadata(ctx, request, reply);
  app.get("/dicom-web/studies/:study/metadata", options, handler);
  app.get("/dicom-web/studies/:study/series/:series/metadata", options, handler);
  app.get("/dicom-web/studies/:study/series/:series/instances/:instance/metadata", options, handler);
}
