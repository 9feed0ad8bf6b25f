/**
 * DA/TM/DT values as comparable keys. Keys are fixed-width strings, so SQL string comparison orders them;
 * a partial value (e.g. TM "1430") stands for the whole period it names: its start as a lower bound, its
 * end as an upper bound.
 */

/** Inclusive bounds; an absent side is open. */
export interface Range {
  lo?: string;
  hi?: string;
}

type Bound = (value: string, upper: boolean) => string | undefined;

/** "YYYY.MM.DD" (ACR-NEMA) becomes "YYYYMMDD"; anything else is kept as received. */
export function normaliseDate(value: string): string {
  return /^\d{4}\.\d{2}\.\d{2}$/u.test(value) ? value.replaceAll(".", "") : value;
}

function dateBound(value: string): string | undefined {
  const date = normaliseDate(value);
  return /^\d{8}$/u.test(date) ? date : undefined;
}

const TIME = /^(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,6}))?)?)?$/u;

function timeBound(value: string, upper: boolean): string | undefined {
  const m = TIME.exec(value.replaceAll(":", ""));
  if (!m) return undefined;
  const [, hh, mm, ss, frac] = m;
  const fill = upper ? "9" : "0";
  return `${hh}${mm ?? (upper ? "59" : "00")}${ss ?? (upper ? "59" : "00")}.${(frac ?? "").padEnd(6, fill)}`;
}

const DATETIME =
  /^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,6}))?)?)?)?)?)?(?:([+-])(\d{2})(\d{2}))?$/u;

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

function lastDayOfMonth(year: number, month: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month, 0);
  return d.getUTCDate();
}

/** Shifts a local date-time by a UTC offset; Date keeps millisecond precision, the microseconds ride along. */
function toUtc(parts: number[], sign: string, offsetMinutes: number): number[] {
  const [year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0] = parts;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute - (sign === "-" ? -offsetMinutes : offsetMinutes), second, 0);
  return [
    d.getUTCFullYear(),
    d.getUTCMonth() + 1,
    d.getUTCDate(),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
  ];
}

function dateTimeBound(value: string, upper: boolean): string | undefined {
  const m = DATETIME.exec(value);
  if (!m) return undefined;
  const [, yyyy = "", mo, dd, hh, mi, ss, frac, sign, oh, om] = m;
  const year = Number(yyyy);
  const month = Number(mo ?? (upper ? 12 : 1));
  const day = dd !== undefined ? Number(dd) : upper ? lastDayOfMonth(year, month) : 1;
  let parts = [
    year,
    month,
    day,
    Number(hh ?? (upper ? 23 : 0)),
    Number(mi ?? (upper ? 59 : 0)),
    Number(ss ?? (upper ? 59 : 0)),
  ];
  if (sign !== undefined) {
    if (Number(oh) > 14 || Number(om) > 59) return undefined;
    parts = toUtc(parts, sign, Number(oh) * 60 + Number(om));
  }
  const [y = 0, ...rest] = parts;
  const micros = (frac ?? "").padEnd(6, upper ? "9" : "0");
  return `${pad(y, 4)}${rest.map((n) => pad(n, 2)).join("")}.${micros}`;
}

/** Single value or "lo-hi", "lo-", "-hi". A whole value that parses wins, so a DT "…-0500" offset is not a range. */
function parseMatch(value: string, bound: Bound): Range | undefined {
  const lo = bound(value, false);
  if (lo !== undefined) return { lo, hi: bound(value, true) };
  for (let i = value.indexOf("-"); i >= 0; i = value.indexOf("-", i + 1)) {
    const left = value.slice(0, i);
    const right = value.slice(i + 1);
    if (left === "" && right === "") return undefined;
    const range: Range = {};
    if (left !== "") range.lo = bound(left, false);
    if (right !== "") range.hi = bound(right, true);
    if ((left === "" || range.lo !== undefined) && (right === "" || range.hi !== undefined)) return range;
  }
  return undefined;
}

export function parseDateMatch(value: string): Range | undefined {
  return parseMatch(value, dateBound);
}

export function parseTimeMatch(value: string): Range | undefined {
  return parseMatch(value, timeBound);
}

export function parseDateTimeMatch(value: string): Range | undefined {
  return parseMatch(value, dateTimeBound);
}

/** Comparable key of a stored TM ("HHMMSS.FFFFFF"), or null when it is absent or malformed. */
export function timeKey(stored: unknown): string | null {
  return typeof stored === "string" ? (timeBound(stored, false) ?? null) : null;
}

/** Comparable key of a stored DT (UTC when it carries an offset), or null when absent or malformed. */
export function dateTimeKey(stored: unknown): string | null {
  return typeof stored === "string" ? (dateTimeBound(stored, false) ?? null) : null;
}
