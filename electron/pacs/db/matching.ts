import type { Database } from "better-sqlite3";
import type { AttributeDef } from "./catalog.js";
import {
  dateTimeKey,
  parseDateMatch,
  parseDateTimeMatch,
  parseTimeMatch,
  timeKey,
  type Range,
} from "./datetime.js";
import { DimseStatus, QueryError } from "./errors.js";
import { alphabeticGroup, pnFuzzyKey, pnMatchKey } from "./pn.js";

export interface PnOptions {
  caseInsensitive: boolean;
  fuzzy: boolean;
}

const WILDCARD = /[*?]/u;
const ONLY_STARS = /^\*+$/u;

/** DICOM `*`/`?` are GLOB's own; `[` is the one other GLOB metacharacter. `%` and `_` are literal in GLOB. */
function globPattern(value: string): string {
  return value.replaceAll("[", "[[]");
}

function textCondition(expr: string, value: string, params: unknown[]): string {
  if (!WILDCARD.test(value)) {
    params.push(value);
    return `${expr} = ?`;
  }
  params.push(globPattern(value));
  return `${expr} GLOB ?`;
}

function pnCondition(def: AttributeDef, value: string, pn: PnOptions, params: unknown[]): string | undefined {
  const group = alphabeticGroup(value);
  if (group === "" || ONLY_STARS.test(group) || !def.pnKeys) return undefined;
  if (pn.fuzzy) return textCondition(def.pnKeys.fuzzy, pnFuzzyKey(group), params);
  const folded = textCondition(def.pnKeys.norm, pnMatchKey(group), params);
  if (pn.caseInsensitive) return folded;
  // The folded key narrows through its index; the exact comparison then decides.
  return `${folded} AND ${textCondition(`pn_alphabetic(${def.column})`, group, params)}`;
}

function splitValues(value: string): string[] {
  return value
    .split("\\")
    .map((v) => v.trim())
    .filter((v) => v !== "");
}

function uidCondition(column: string, value: string, params: unknown[]): string {
  const uids = splitValues(value);
  if (uids.length === 1) {
    params.push(uids[0]);
    return `${column} = ?`;
  }
  params.push(JSON.stringify(uids));
  return `${column} IN (SELECT value FROM json_each(?))`;
}

function modalitiesCondition(value: string, params: unknown[]): string {
  const any = splitValues(value).map((modality) => textCondition("modality", modality, params));
  return `s.id IN (SELECT study_fk FROM series WHERE ${any.join(" OR ")})`;
}

function invalid(def: AttributeDef, value: string, expected: string): QueryError {
  return new QueryError(DimseStatus.UnableToProcess, `${def.keyword}: "${value}" is not ${expected}`);
}

function rangeCondition(expr: string, range: Range, params: unknown[]): string {
  if (range.lo !== undefined && range.lo === range.hi) {
    params.push(range.lo);
    return `${expr} = ?`;
  }
  const parts: string[] = [];
  if (range.lo !== undefined) {
    parts.push(`${expr} >= ?`);
    params.push(range.lo);
  }
  if (range.hi !== undefined) {
    parts.push(`${expr} <= ?`);
    params.push(range.hi);
  }
  return parts.join(" AND ");
}

function temporalCondition(def: AttributeDef, value: string, params: unknown[]): string {
  const [parse, expr, expected] =
    def.match === "date"
      ? [parseDateMatch, def.column, "a DA value or range"]
      : def.match === "time"
        ? [parseTimeMatch, `dicom_time(${def.column})`, "a TM value or range"]
        : [parseDateTimeMatch, `dicom_datetime(${def.column})`, "a DT value or range"];
  const range = parse(value);
  if (!range) throw invalid(def, value, expected);
  return rangeCondition(expr, range, params);
}

/**
 * The SQL condition for one key, or undefined for universal matching (zero length, or only `*`).
 * Values are bound as parameters; `params` receives them in order.
 */
export function keyCondition(
  def: AttributeDef,
  raw: string,
  pn: PnOptions,
  params: unknown[],
): string | undefined {
  const value = raw.trim();
  if (value === "" || ONLY_STARS.test(value)) return undefined;
  switch (def.match) {
    case "pn":
      return pnCondition(def, value, pn, params);
    case "text":
      return textCondition(def.column, value, params);
    case "uid":
      return uidCondition(def.column, value, params);
    case "modalities":
      return modalitiesCondition(value, params);
    case "multi-text":
    case "multi-uid":
      params.push(value);
      return `dicom_any(${def.column}, ?, ${def.match === "multi-text" ? 1 : 0})`;
    case "int":
      if (!/^[+-]?\d+$/u.test(value)) throw invalid(def, value, "an integer");
      params.push(Number(value));
      return `${def.column} = ?`;
    default:
      return temporalCondition(def, value, params);
  }
}

const regExps = new Map<string, RegExp>();

function wildcardRegExp(value: string): RegExp {
  let re = regExps.get(value);
  if (re) return re;
  const source = [...value]
    .map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[.+^${}()|[\]\\]/gu, "\\$&")))
    .join("");
  re = new RegExp(`^${source}$`, "su");
  if (regExps.size > 64) regExps.clear();
  regExps.set(value, re);
  return re;
}

/** A multi-valued stored attribute matches when any of its values matches any value of the key. */
function anyValueMatches(stored: unknown, query: string, wildcards: number): number {
  if (typeof stored !== "string") return 0;
  const values = stored.split("\\");
  const matches = (q: string): boolean => {
    if (!wildcards || !WILDCARD.test(q)) return values.includes(q);
    const re = wildcardRegExp(q);
    return values.some((v) => re.test(v));
  };
  return splitValues(query).some(matches) ? 1 : 0;
}

/** The SQL functions the conditions above use; registered on every connection. */
export function registerMatchFunctions(db: Database): void {
  const deterministic = { deterministic: true };
  db.function("pn_alphabetic", deterministic, (name: unknown) =>
    typeof name === "string" ? alphabeticGroup(name) : null,
  );
  db.function("dicom_time", deterministic, timeKey);
  db.function("dicom_datetime", deterministic, dateTimeKey);
  db.function("dicom_any", deterministic, (stored: unknown, query: unknown, wildcards: unknown) =>
    anyValueMatches(stored, String(query), Number(wildcards)),
  );
}
