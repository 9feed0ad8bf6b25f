import { Tag, formatTag } from "./attributes.js";
import { CATALOG, Level, REQUEST_ATTRIBUTES, UNIQUE_KEYS, type AttributeDef } from "./catalog.js";
import { DimseStatus, QueryError } from "./errors.js";
import { keyCondition, type PnOptions } from "./matching.js";
import type { StatementCache } from "./statements.js";

export { DimseStatus, QueryError } from "./errors.js";

export type QueryLevel = "PATIENT" | "STUDY" | "SERIES" | "IMAGE";
export type QueryModel = "PATIENT_ROOT" | "STUDY_ROOT";

export interface QueryKey {
  tag: number;
  vr: string;
  /** null = zero length = universal matching (return only). */
  value: string | null;
  /** Sequence matching: one item of keys. */
  items?: QueryKey[][];
}

export interface FindRequest {
  model: QueryModel;
  level: QueryLevel;
  keys: QueryKey[];
  limit?: number;
  offset?: number;
  /** PN matching ignores case (default true). */
  caseInsensitivePn?: boolean;
  /** PN matching also ignores accents (C.2.2.2.1.1 fuzzy semantic matching). */
  fuzzyPn?: boolean;
  /**
   * Relational query (C.4.1.2.2): the unique keys of the levels above need not be given, so a search
   * spans every study (QIDO-RS /series, /instances). Without it the search is hierarchical.
   */
  relational?: boolean;
}

export type ReturnValue = string | null | Array<Map<number, ReturnValue>>;
/** Tag → value for exactly the requested keys, plus (0008,0052) QueryRetrieveLevel. */
export type FindMatch = Map<number, ReturnValue>;

const LEVELS: readonly QueryLevel[] = ["PATIENT", "STUDY", "SERIES", "IMAGE"];

const FROM = [
  "patients p",
  "studies s JOIN patients p ON p.id = s.patient_fk",
  "series se JOIN studies s ON s.id = se.study_fk JOIN patients p ON p.id = s.patient_fk",
  "instances i JOIN series se ON se.id = i.series_fk JOIN studies s ON s.id = se.study_fk " +
    "JOIN patients p ON p.id = s.patient_fk",
];

/** Stable order, so that QIDO paging with offset is consistent; each one is served by an index. */
const ORDER = [
  "p.id",
  "s.id",
  "se.study_fk, se.series_number, se.id",
  "i.series_fk, i.instance_number, i.id",
];

export interface CompiledFind {
  sql: string;
  params: unknown[];
  /** Per returned key: its column in the result row, or undefined when the index does not know it. */
  outputs: Array<{ tag: number; column: number | undefined }>;
}

function identifierError(message: string): QueryError {
  return new QueryError(DimseStatus.IdentifierDoesNotMatchSOPClass, message);
}

/** In Study Root the patient attributes are attributes of the study (PS3.4 C.6.2.1). */
function levelOf(def: AttributeDef, model: QueryModel): number {
  return model === "STUDY_ROOT" && def.level === Level.PATIENT ? Level.STUDY : def.level;
}

function queryLevel(request: FindRequest): number {
  const level = LEVELS.indexOf(request.level);
  if (level < 0) throw new QueryError(DimseStatus.UnableToProcess, `Unknown query level "${request.level}"`);
  if (request.model === "STUDY_ROOT" && level === Level.PATIENT) {
    throw identifierError("Study Root has no PATIENT level");
  }
  return level;
}

/** First key per tag; QueryRetrieveLevel describes the request and is answered separately. */
function distinctKeys(keys: readonly QueryKey[]): QueryKey[] {
  const seen = new Set<number>([Tag.QueryRetrieveLevel]);
  return keys.filter((key) => !seen.has(key.tag) && seen.add(key.tag));
}

function checkBelowLevel(keys: readonly QueryKey[], request: FindRequest, level: number): void {
  for (const key of keys) {
    const def = CATALOG.get(key.tag);
    if (def && levelOf(def, request.model) > level) {
      throw identifierError(`${def.keyword} ${formatTag(key.tag)} is below the ${request.level} query level`);
    }
  }
}

/**
 * Hierarchical query: the unique key of every level above the query level must be present (C.4.1.2.1).
 * Patient ID at STUDY level in Patient Root is optional, as many SCUs query studies across patients.
 * Patient ID may be zero length (objects without one are indexed under ""); the UIDs need a value.
 */
function checkUniqueKeys(keys: readonly QueryKey[], request: FindRequest, level: number): void {
  const top = request.model === "PATIENT_ROOT" ? Level.PATIENT : Level.STUDY;
  for (let parent = top; parent < level; parent++) {
    if (parent === Level.PATIENT && level === Level.STUDY) continue;
    const tag = UNIQUE_KEYS[parent] ?? 0;
    const def = CATALOG.get(tag);
    const key = keys.find((k) => k.tag === tag);
    if (!key) throw identifierError(`${request.level} level query needs ${def?.keyword} ${formatTag(tag)}`);
    if (parent !== Level.PATIENT && !key.value?.trim()) {
      throw identifierError(`${def?.keyword} ${formatTag(tag)} needs a value above the query level`);
    }
  }
}

/**
 * Compiles a C-FIND identifier into one SQL statement. Keys of the query level and of the levels above
 * are matched alike: the hierarchical search walks down from the top and matches the keys it finds at
 * each level (C.4.1.3.1.1), and the required unique keys above keep it one branch wide.
 */
export function compileFind(request: FindRequest): CompiledFind {
  const level = queryLevel(request);
  const keys = distinctKeys(request.keys);
  checkBelowLevel(keys, request, level);
  if (!request.relational) checkUniqueKeys(keys, request, level);
  const pn: PnOptions = {
    caseInsensitive: request.caseInsensitivePn ?? true,
    fuzzy: request.fuzzyPn ?? false,
  };
  const params: unknown[] = [];
  const conditions: string[] = [];
  const columns: string[] = [];
  const outputs: CompiledFind["outputs"] = [];
  for (const key of keys) {
    const def = CATALOG.get(key.tag);
    if (!def) {
      outputs.push({ tag: key.tag, column: undefined });
      continue;
    }
    outputs.push({ tag: key.tag, column: columns.push(def.column) - 1 });
    const condition = key.value === null ? undefined : keyCondition(def, key.value, pn, params);
    if (condition) conditions.push(`(${condition})`);
  }
  const where = conditions.length > 0 ? conditions.join(" AND ") : "1";
  const select = columns.length > 0 ? columns.join(", ") : "1";
  params.push(request.limit ?? -1, request.offset ?? 0);
  const sql = `SELECT ${select} FROM ${FROM[level]} WHERE ${where} ORDER BY ${ORDER[level]} LIMIT ? OFFSET ?`;
  return { sql, params, outputs };
}

function returnValue(value: unknown): string | null {
  return value === null || value === undefined || value === "" ? null : String(value);
}

export function runFind(statements: StatementCache, request: FindRequest): FindMatch[] {
  const { sql, params, outputs } = compileFind(request);
  const rows = statements
    .get(sql)
    .raw(true)
    .all(...params) as unknown[][];
  return rows.map((row) => {
    const match: FindMatch = new Map();
    for (const { tag, column } of outputs)
      match.set(tag, column === undefined ? null : returnValue(row[column]));
    match.set(Tag.QueryRetrieveLevel, request.level);
    return match;
  });
}

/**
 * Requested keys the index neither matches nor returns (sequences included): the SCP may answer its
 * pending responses with 0xFF01 (DimseStatus.PendingWarningUnsupportedOptionalKeys) when this is not empty.
 */
export function unsupportedKeys(keys: readonly QueryKey[]): number[] {
  return distinctKeys(keys)
    .map((key) => key.tag)
    .filter((tag) => !CATALOG.has(tag) && !REQUEST_ATTRIBUTES.has(tag));
}
