/**
 * QIDO-RS (PS3.18 §10.6): searches for studies, series and instances, answered from the index with
 * the very matching engine C-FIND uses (db/query.ts): the query parameters become C-FIND keys, the
 * path's UIDs become the unique keys of the levels above, and every value is bound as an SQL
 * parameter, so nothing a client sends is ever SQL.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { lookupTag, tagForKeyword, vrForTag } from "../../../../shared/dicom/dictionary.js";
import * as tags from "../../../../shared/dicom/tags.js";
import { isAsciiText } from "../../dicom/charset.js";
import { CATALOG, Level } from "../../db/catalog.js";
import { type FindMatch, type QueryKey, type QueryLevel, QueryError } from "../../db/query.js";
import { auditAccess } from "../audit.js";
import { requirePermission } from "../auth/guard.js";
import type { WebContext } from "../context.js";
import { HttpProblem } from "../problem.js";
import { type DicomJson, matchToJson, tagKey } from "./json.js";
import { negotiateJson } from "./metadata.js";
import { type UidPath, dicomWebBase, shown, uidParams, validateUidParams } from "./paths.js";

type Target = "STUDY" | "SERIES" | "IMAGE";

const LEVEL_NUMBER: Record<Target, number> = { STUDY: Level.STUDY, SERIES: Level.SERIES, IMAGE: Level.IMAGE };

/**
 * Default return attributes, PS3.18 Tables 10.6.3-3, -4 and -5, plus StudyDescription (every viewer's
 * study list shows it) and the UIDs of the levels above, so each result says where it belongs.
 * RequestAttributesSequence is not indexed and not returned.
 */
const STUDY_ATTRIBUTES = [
  tags.SpecificCharacterSet,
  tags.StudyDate,
  tags.StudyTime,
  tags.AccessionNumber,
  tags.InstanceAvailability,
  tags.ModalitiesInStudy,
  tags.ReferringPhysicianName,
  tags.TimezoneOffsetFromUTC,
  tags.RetrieveURL,
  tags.PatientName,
  tags.PatientID,
  tags.PatientBirthDate,
  tags.PatientSex,
  tags.StudyInstanceUID,
  tags.StudyID,
  tags.StudyDescription,
  tags.NumberOfStudyRelatedSeries,
  tags.NumberOfStudyRelatedInstances,
];

const SERIES_ATTRIBUTES = [
  tags.SpecificCharacterSet,
  tags.Modality,
  tags.TimezoneOffsetFromUTC,
  tags.SeriesDescription,
  tags.RetrieveURL,
  tags.StudyInstanceUID,
  tags.SeriesInstanceUID,
  tags.SeriesNumber,
  tags.NumberOfSeriesRelatedInstances,
  tags.PerformedProcedureStepStartDate,
  tags.PerformedProcedureStepStartTime,
];

const INSTANCE_ATTRIBUTES = [
  tags.SpecificCharacterSet,
  tags.SOPClassUID,
  tags.SOPInstanceUID,
  tags.InstanceAvailability,
  tags.TimezoneOffsetFromUTC,
  tags.RetrieveURL,
  tags.StudyInstanceUID,
  tags.SeriesInstanceUID,
  tags.InstanceNumber,
  tags.Rows,
  tags.Columns,
  tags.BitsAllocated,
  tags.NumberOfFrames,
];

const LEVEL_ATTRIBUTES: Record<Target, readonly number[]> = {
  STUDY: STUDY_ATTRIBUTES,
  SERIES: SERIES_ATTRIBUTES,
  IMAGE: INSTANCE_ATTRIBUTES,
};

/** Filled in here rather than by the index. */
const COMPUTED = new Set<number>([tags.InstanceAvailability, tags.RetrieveURL, tags.SpecificCharacterSet]);
const QUERY_RETRIEVE_LEVEL = tags.QueryRetrieveLevel;

/** Attributes whose multiple values QIDO separates with commas (PS3.18 §8.3.4.1); text may hold commas. */
const COMMA_LIST_VRS = new Set(["UI", "CS"]);

const RESERVED = new Set(["limit", "offset", "fuzzymatching", "includefield"]);

function badRequest(detail: string): HttpProblem {
  return new HttpProblem(400, "Bad Request", detail);
}

/** An attribute named by keyword or 8 hex digits; 400 for anything else. */
export function attributeTag(name: string, what: string): number {
  if (/^[0-9A-Fa-f]{8}$/.test(name)) return parseInt(name, 16) >>> 0;
  if (name.includes(".")) {
    throw badRequest(`${what} ${shown(name)}: attributes inside sequences cannot be searched or returned`);
  }
  const tag = /^[A-Za-z][A-Za-z0-9]*$/.test(name) ? tagForKeyword(name) : undefined;
  if (tag === undefined || !lookupTag(tag))
    throw badRequest(`${what} ${shown(name)} is not a DICOM attribute`);
  return tag;
}

/** Levels at and above the target whose attributes belong in the result. */
function levelAllowed(tag: number, target: Target): boolean {
  const def = CATALOG.get(tag);
  if (!def) return true;
  const level = def.level === Level.PATIENT ? Level.STUDY : def.level;
  return level <= LEVEL_NUMBER[target];
}

function single(value: string | string[] | undefined, name: string): string | undefined {
  if (Array.isArray(value)) {
    if (value.length > 1) throw badRequest(`query parameter ${name} is given more than once`);
    return value[0];
  }
  return value;
}

function nonNegativeInteger(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value.trim()))
    throw badRequest(`${name} ${shown(value)} is not a non-negative integer`);
  return Number(value.trim());
}

export interface QidoQuery {
  keys: QueryKey[];
  limit?: number;
  offset: number;
  fuzzy: boolean;
  /** Match keys the index cannot match on (returned, but not used to narrow the search). */
  unsupportedMatching: string[];
}

/**
 * Query parameters to C-FIND keys: path UIDs first (they win over a parameter naming the same
 * attribute), then the matching keys, then the return keys (defaults, the levels above when the path
 * does not fix them, includefield).
 */
export function parseQidoQuery(query: Record<string, unknown>, target: Target, path: UidPath): QidoQuery {
  const values = new Map<number, string | null>();
  if (path.study) values.set(tags.StudyInstanceUID, path.study);
  if (path.series) values.set(tags.SeriesInstanceUID, path.series);
  let includeAll = false;
  const included: number[] = [];
  const unsupportedMatching: string[] = [];
  for (const [name, raw] of Object.entries(query)) {
    const given = (Array.isArray(raw) ? raw : [raw]).map((v) => String(v));
    if (name === "includefield") {
      for (const field of given.flatMap((v) => v.split(","))) {
        const trimmed = field.trim();
        if (trimmed === "") continue;
        if (trimmed === "all") includeAll = true;
        else included.push(attributeTag(trimmed, "includefield"));
      }
      continue;
    }
    if (RESERVED.has(name)) continue;
    const tag = attributeTag(name, "query parameter");
    const value = single(given, name) ?? "";
    if (values.has(tag)) continue;
    const vr = vrForTag(tag);
    const dicomValue = COMMA_LIST_VRS.has(vr) ? value.replaceAll(",", "\\") : value;
    values.set(tag, dicomValue === "" ? null : dicomValue);
    if (dicomValue !== "" && !CATALOG.has(tag)) unsupportedMatching.push(name);
  }
  const returned = [...LEVEL_ATTRIBUTES[target]];
  // A search not confined to one study returns the study's attributes too (PS3.18 §10.6.3.3), and one
  // not confined to a series the series'.
  if (target !== "STUDY" && !path.study) returned.push(...STUDY_ATTRIBUTES);
  if (target === "IMAGE" && !path.series) returned.push(...SERIES_ATTRIBUTES);
  if (includeAll) {
    for (const def of CATALOG.values()) if (levelAllowed(def.tag, target)) returned.push(def.tag);
  }
  returned.push(...included);
  for (const tag of returned) if (!values.has(tag)) values.set(tag, null);
  const keys = [...values].map(([tag, value]): QueryKey => ({ tag, vr: vrForTag(tag), value }));
  const limit = nonNegativeInteger(single(query.limit as string | string[] | undefined, "limit"), "limit");
  const offset = nonNegativeInteger(
    single(query.offset as string | string[] | undefined, "offset"),
    "offset",
  );
  const fuzzy = single(query.fuzzymatching as string | string[] | undefined, "fuzzymatching");
  if (fuzzy !== undefined && fuzzy !== "true" && fuzzy !== "false") {
    throw badRequest(`fuzzymatching ${shown(fuzzy)} is neither true nor false`);
  }
  return { keys, limit, offset: offset ?? 0, fuzzy: fuzzy === "true", unsupportedMatching };
}

function hasNonAscii(match: FindMatch): boolean {
  for (const value of match.values()) {
    if (typeof value === "string" && !isAsciiText(value)) return true;
  }
  return false;
}

function retrieveUrl(base: string, match: FindMatch, target: Target): string {
  const study = match.get(tags.StudyInstanceUID);
  const series = match.get(tags.SeriesInstanceUID);
  const instance = match.get(tags.SOPInstanceUID);
  let url = `${base}/studies/${String(study)}`;
  if (target === "STUDY") return url;
  url += `/series/${String(series)}`;
  return target === "SERIES" ? url : `${url}/instances/${String(instance)}`;
}

/** One match as DICOM JSON, with the attributes the index does not hold filled in. */
function resultJson(match: FindMatch, target: Target, base: string): DicomJson {
  const json = matchToJson(match, new Set([QUERY_RETRIEVE_LEVEL, ...COMPUTED]));
  if (match.has(tags.SpecificCharacterSet)) {
    json[tagKey(tags.SpecificCharacterSet)] = hasNonAscii(match)
      ? { vr: "CS", Value: ["ISO_IR 192"] }
      : { vr: "CS" };
  }
  if (match.has(tags.InstanceAvailability)) {
    json[tagKey(tags.InstanceAvailability)] = { vr: "CS", Value: ["ONLINE"] };
  }
  if (match.has(tags.RetrieveURL)) {
    json[tagKey(tags.RetrieveURL)] = { vr: "UR", Value: [retrieveUrl(base, match, target)] };
  }
  return Object.fromEntries(Object.entries(json).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Warning header text (PS3.18 §8.3.4.6 / RFC 7234 warn-code 299). */
function warning(text: string): string {
  return `299 hilum "${text.replaceAll('"', "'")}"`;
}

async function search(ctx: WebContext, request: FastifyRequest, reply: FastifyReply, target: Target) {
  const path = uidParams(request);
  const type = negotiateJson(request.headers.accept);
  if (!type)
    throw new HttpProblem(406, "Not Acceptable", "search results are available as application/dicom+json");
  const query = parseQidoQuery(request.query as Record<string, unknown>, target, path);
  const max = ctx.config.dicomWeb.qidoMaxResults;
  const limit = Math.min(query.limit ?? max, max);
  let matches: FindMatch[];
  try {
    matches = ctx.index.find({
      model: "STUDY_ROOT",
      level: target as QueryLevel,
      keys: query.keys,
      limit: limit + 1,
      offset: query.offset,
      fuzzyPn: query.fuzzy,
      relational: true,
    });
  } catch (error) {
    if (error instanceof QueryError) throw badRequest(error.message);
    throw error;
  }
  const warnings: string[] = [];
  if (matches.length > limit) {
    matches = matches.slice(0, limit);
    if (query.limit === undefined || query.limit > max) {
      warnings.push(warning("There are additional results that can be requested"));
    }
  }
  if (query.unsupportedMatching.length > 0) {
    warnings.push(
      warning(
        `The following attributes are not supported for matching: ${query.unsupportedMatching.join(", ")}`,
      ),
    );
  }
  const base = dicomWebBase(request, ctx.config.dicomWeb.publicUrl);
  const body = matches.map((match) => resultJson(match, target, base));
  auditAccess(ctx, request, {
    action: "qido",
    studyUid: path.study,
    seriesUid: path.series,
    detail: {
      level: target,
      matches: body.length,
      query: request.url.includes("?") ? request.url.slice(request.url.indexOf("?") + 1) : "",
    },
  });
  if (warnings.length > 0) reply.header("Warning", warnings);
  // An empty result is 200 with [] rather than 204: every client can parse the body the same way.
  return reply.type(type).send(JSON.stringify(body));
}

/** QIDO-RS under /dicom-web: permission studies:read. */
export function registerQido(app: FastifyInstance, ctx: WebContext): void {
  const options = { preHandler: [requirePermission("studies:read"), validateUidParams] };
  const route = (url: string, target: Target) =>
    app.get(url, options, (request, reply) => search(ctx, request, reply, target));
  route("/dicom-web/studies", "STUDY");
  route("/dicom-web/series", "SERIES");
  route("/dicom-web/instances", "IMAGE");
  route("/dicom-web/studies/:study/series", "SERIES");
  route("/dicom-web/studies/:study/instances", "IMAGE");
  route("/dicom-web/studies/:study/series/:series/instances", "IMAGE");
}
